import Tensor

extension Evidence {
    /// The explained layers' activations and the explained classes' gradients to them at
    /// other inputs: for each row `x_b` of `batch [B, C, H, W]` (channels first, preprocessed
    /// like `input`), one `LayerEvidence` per explained layer, in the order of `layers`, with
    /// `A(x_b) [1, C_l, h, w]` and `G [K, C_l, h, w]`, row `k` = `∂S_{classes[k]}(x_b)/∂A(x_b)`.
    /// One forward pass and one backward pass per class; counted as forward time.
    func layerEvidence(of batch: Tensor) throws -> [[LayerEvidence]] {
        try explainer.timedPass { try explainer.layerEvidence(of: batch, classes: classes, layers: layers.map(\.layer)) }
    }

    /// `layerEvidence` of `count` inputs that `row(i)` writes (`C·H·W` values each, channels
    /// first, into a zeroed buffer), as many rows at a time as the memory budget allows
    /// (`Explainer.gradientBatchSize(for:)`), so that memory stays bounded whatever `count`:
    /// `body(i, layers)` receives input `i`'s evidence.
    func forEachLayerEvidence(count: Int, row: (_ i: Int, _ values: inout ArraySlice<Float>) -> Void,
                              _ body: (_ i: Int, _ layers: [LayerEvidence]) throws -> Void) throws {
        let rowsPerBatch = try explainer.layerEvidenceBatchSize(layers: layers.map(\.layer))
        try forEachBatch(count: count, rowsPerBatch: rowsPerBatch, row: row) { first, batch in
            for (b, layers) in try layerEvidence(of: batch).enumerated() { try body(first + b, layers) }
        }
    }
}
