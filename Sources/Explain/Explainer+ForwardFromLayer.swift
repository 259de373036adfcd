import Tensor

extension Explainer {
    /// The logits `[B, classes]` (flattened) of a batch of `layer`'s activations `[B, C, h, w]`
    /// (channels first, converted to the layer's layout), from forward passes that start at
    /// the layer: only the nodes after it run (`Executor.forward(from:_:)`). Rows run
    /// `layerBatchSize(layer)` at a time (`inLayerBatches`).
    ///
    /// - Throws: `ExplainError.unsupportedModel` when a pass cannot start at the layer (a node
    ///   after it also reads a value computed before it: a skip connection around it).
    func scores(from layer: Layer, activations batch: Tensor) throws -> [Float] {
        try inLayerBatches(layer, batch, rowsPerBatch: layerBatchSize(layer)) { rows, _ in
            try self.executor.forward(from: layer.value, layer.layout.fromNCHW(rows)).tensor(self.model.logits).floats
        }
    }

    /// The class gradients at `layer` of a batch of its activations, from passes that start at
    /// the layer: row `b` of the result `[B, C, h, w]` is `∂S_{classes[b]}/∂A` at
    /// `A = batch[b]` (`batch [B, C, h, w]` channels first, as the result). Per batch of rows
    /// (`inLayerBatches`, as many as `layerBatchSize` and `gradientBatchSize(for:)` both allow:
    /// the pass also holds what the backward pass reads), one forward pass from the layer preparing the backward plan
    /// (`Executor.forward(from:_:preparing:)`) and one backward pass seeded `[n, classes]`
    /// one-hot at each row's class, so each row's gradient is its own.
    ///
    /// - Throws: `ExplainError.unsupportedModel` when a pass cannot start at the layer.
    func layerGradients(from layer: Layer, activations batch: Tensor, classes: [Int]) throws -> Tensor {
        let plan = try BackwardPlan(graph: model.graph, from: model.logits, to: [layer.value])
        let rowsPerBatch = min(layerBatchSize(layer), gradientBatchSize(for: plan))
        let floats = try inLayerBatches(layer, batch, rowsPerBatch: rowsPerBatch) { rows, first in
            let n = rows.shape[0]
            try self.executor.forward(from: layer.value, layer.layout.fromNCHW(rows), preparing: [plan])
            let gradients = try self.executor.backward(plan, seed: self.batchSeed(classes: Array(classes[first ..< first + n])))
            return try layer.layout.nchw(gradients.tensor(layer.value)).floats
        }
        return Tensor(shape: batch.shape, floats: floats)
    }

    /// `run(rows, first)` over the rows of `batch [B, ...]` for passes that start at `layer`,
    /// `rowsPerBatch` rows at a time (`rows` is `[n, ...]` from row `first`), the
    /// results concatenated in row order. A graph that cannot run a batch (the pass throws an
    /// `EngineError`) runs the rows one at a time, now and from then on (`scoreBatchSize`
    /// becomes 1, as `scores(_:)`).
    ///
    /// - Throws: `ExplainError.unsupportedModel` when a pass cannot start at the layer.
    private func inLayerBatches(_ layer: Layer, _ batch: Tensor, rowsPerBatch: Int,
                                _ run: (_ rows: Tensor, _ first: Int) throws -> [Float]) throws -> [Float] {
        do {
            try executor.checkStart(layer.value)
        } catch let error as EngineError {
            throw ExplainError.unsupportedModel("a forward pass cannot start at the layer '\(layer.name)' (\(error)); choose a layer every path to the output goes through")
        }
        let count = batch.shape[0], size = batch.count / max(count, 1)
        let rows = { (start: Int, n: Int) in
            Tensor(shape: [n] + batch.shape.dropFirst(), floats: Array(batch.floats[start * size ..< (start + n) * size]))
        }
        var results: [Float] = []
        var start = 0
        while start < count {
            let n = min(scoreBatchSize > 1 ? rowsPerBatch : 1, count - start)
            if n > 1 {
                do {
                    results += try run(rows(start, n), start)
                    start += n
                    continue
                } catch is EngineError {
                    scoreBatchSize = 1
                }
            }
            results += try run(rows(start, 1), start)
            start += 1
        }
        return results
    }

    /// Rows per pass from `layer` under `scoreBatchBudget`, as `scoreBatchSize(for:)` counts
    /// it but over the values after the layer (the layer's and those computed from it):
    /// `budget / (2 · 4 · max_v |v|)`, between 1 and `maximumScoreBatch`.
    func layerBatchSize(_ layer: Layer) -> Int {
        let graph = model.graph
        var reached: Set<ValueID> = [layer.value]
        for node in graph.nodes where node.inputs.contains(where: { $0.map(reached.contains) ?? false }) {
            reached.formUnion(node.outputs)
        }
        let largest = reached.compactMap { model.shapes[$0.index]?.reduce(1, *) }.max() ?? 1
        return min(max(Self.scoreBatchBudget / (2 * 4 * max(largest, 1)), 1), Self.maximumScoreBatch)
    }
}
