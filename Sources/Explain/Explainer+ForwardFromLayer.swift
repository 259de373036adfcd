import Tensor

extension Explainer {
    /// The logits `[B, classes]` (flattened) of a batch of `layer`'s activations `[B, C, h, w]`
    /// (channels first, converted to the layer's layout), from forward passes that start at
    /// the layer: only the nodes after it run (`Executor.forward(from:_:)`). Rows run
    /// `layerBatchSize(layer)` at a time; a graph that cannot run a batch scores them one at
    /// a time, now and from then on (as `scores(_:)`).
    ///
    /// - Throws: `ExplainError.unsupportedModel` when a pass cannot start at the layer (a node
    ///   after it also reads a value computed before it: a skip connection around it).
    func scores(from layer: Layer, activations batch: Tensor) throws -> [Float] {
        do {
            try executor.checkStart(layer.value)
        } catch let error as EngineError {
            throw ExplainError.unsupportedModel("a forward pass cannot start at the layer '\(layer.name)' (\(error)); choose a layer every path to the output goes through")
        }
        let run = { (rows: Tensor) throws -> [Float] in
            try self.executor.forward(from: layer.value, layer.layout.fromNCHW(rows)).tensor(self.model.logits).floats
        }
        let count = batch.shape[0], size = batch.count / max(count, 1)
        let rows = { (start: Int, n: Int) in
            Tensor(shape: [n] + batch.shape.dropFirst(), floats: Array(batch.floats[start * size ..< (start + n) * size]))
        }
        let batchSize = layerBatchSize(layer)
        var logits: [Float] = []
        var start = 0
        while start < count {
            let n = min(scoreBatchSize > 1 ? batchSize : 1, count - start)
            if n > 1 {
                do {
                    logits += try run(rows(start, n))
                    start += n
                    continue
                } catch is EngineError {
                    scoreBatchSize = 1
                }
            }
            logits += try run(rows(start, 1))
            start += 1
        }
        return logits
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
