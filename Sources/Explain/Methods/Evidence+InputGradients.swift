import Tensor

extension Evidence {
    /// `∂S_k/∂x` at every row of `batch [B, C, H, W]` (channels first, preprocessed like
    /// `input`), for each explained class `k`: one `[B, C, H, W]` per class, in the order of
    /// `classes`, through rectifiers under `rule`. One forward pass and one backward pass per
    /// class; a graph that cannot run batches runs the rows one at a time. Counted as forward time.
    public func inputGradients(of batch: Tensor, rule: RectifierRule = .standard) throws -> [Tensor] {
        try explainer.timedPass { try explainer.inputGradients(of: batch, classes: classes, rule: rule) }
    }

    /// Input gradients of `count` inputs that `row(i)` writes (`C·H·W` values each, channels
    /// first, into a zeroed buffer), computed `scoreBatchSize` rows at a time so that memory
    /// stays bounded whatever `count`: `body(k, i, g)` receives class `k`'s gradient `g` of row `i`.
    func forEachInputGradient(count: Int, rule: RectifierRule = .standard,
                              row: (_ i: Int, _ values: inout ArraySlice<Float>) -> Void,
                              _ body: (_ k: Int, _ i: Int, _ gradient: ArraySlice<Float>) -> Void) throws {
        let size = input.count
        var start = 0
        while start < count {
            let rows = min(max(scoreBatchSize, 1), count - start)
            var values = [Float](repeating: 0, count: rows * size)
            for b in 0..<rows { row(start + b, &values[b * size ..< (b + 1) * size]) }
            let gradients = try inputGradients(of: Tensor(shape: [rows] + input.shape.dropFirst(), floats: values), rule: rule)
            for (k, gradient) in gradients.enumerated() {
                for b in 0..<rows { body(k, start + b, gradient.floats[b * size ..< (b + 1) * size]) }
            }
            start += rows
        }
    }
}
