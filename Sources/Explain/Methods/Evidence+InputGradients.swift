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
    /// first, into a zeroed buffer), computed as many rows at a time as the memory budget
    /// allows (`Explainer.gradientBatchSize(for:)`), so that memory stays bounded whatever
    /// `count`: `body(k, i, g)` receives class `k`'s gradient `g` of row `i`.
    func forEachInputGradient(count: Int, rule: RectifierRule = .standard,
                              row: (_ i: Int, _ values: inout ArraySlice<Float>) -> Void,
                              _ body: (_ k: Int, _ i: Int, _ gradient: ArraySlice<Float>) -> Void) throws {
        let size = input.count
        let rowsPerBatch = try explainer.inputGradientBatchSize(rule: rule)
        try forEachBatch(count: count, rowsPerBatch: rowsPerBatch, row: row) { first, batch in
            let rows = batch.shape[0]
            for (k, gradient) in try inputGradients(of: batch, rule: rule).enumerated() {
                for b in 0..<rows { body(k, first + b, gradient.floats[b * size ..< (b + 1) * size]) }
            }
        }
    }

    /// The `count` inputs that `row(i)` writes (`C·H·W` values each, channels first, into a
    /// zeroed buffer) as batches `[≤ rowsPerBatch, C, H, W]`: `pass(first, batch)` for each,
    /// `first` being the index of its first row.
    func forEachBatch(count: Int, rowsPerBatch: Int, row: (_ i: Int, _ values: inout ArraySlice<Float>) -> Void,
                      _ pass: (_ first: Int, _ batch: Tensor) throws -> Void) throws {
        let size = input.count
        var start = 0
        while start < count {
            let rows = min(max(rowsPerBatch, 1), count - start)
            var values = [Float](repeating: 0, count: rows * size)
            for b in 0..<rows { row(start + b, &values[b * size ..< (b + 1) * size]) }
            try pass(start, Tensor(shape: [rows] + input.shape.dropFirst(), floats: values))
            start += rows
        }
    }
}
