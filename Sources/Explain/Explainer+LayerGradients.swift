import Tensor

extension Explainer {
    /// The activations of `layers` and the class gradients to them at every row of a batch of
    /// channels-first inputs `x [B, C, H, W]` (preprocessed): for row `b`, one `LayerEvidence`
    /// per layer, in the order of `layers`, holding `A_l(x_b) [1, C_l, h, w]` and
    /// `G [K, C_l, h, w]` whose row `k` is `∂S_{classes[k]}(x_b) / ∂A_l(x_b)`. Channels-last
    /// layers are read as `[1, C, h, w]`, like the explained input's.
    ///
    /// One forward pass of the batch keeping the layers, then one backward pass per class
    /// seeded `[B, classes]` one-hot at that class in every row, so row `b`'s gradient is
    /// `x_b`'s alone. A graph that cannot run a batch (the pass throws, or its scores or
    /// layers are not `B` rows) runs the rows one at a time, now and from then on
    /// (`scoreBatchSize` becomes 1). Throws `Cancellation.Stopped` when the request must stop.
    func layerEvidence(of batch: Tensor, classes: [Int], layers: [Layer]) throws -> [[LayerEvidence]] {
        let plan = try layerPlan(layers)
        let count = batch.shape[0]
        if count > 1 && scoreBatchSize > 1 {
            do {
                return try layerPass(batch, classes: classes, layers: layers, plan: plan)
            } catch is EngineError {
                scoreBatchSize = 1
            }
        }
        let size = batch.count / max(count, 1)
        return try (0..<count).flatMap { row in
            try layerPass(Tensor(shape: [1] + batch.shape.dropFirst(), floats: Array(batch.floats[row * size ..< (row + 1) * size])),
                          classes: classes, layers: layers, plan: plan)
        }
    }

    /// Rows per `layerEvidence` batch under the memory budget (`gradientBatchSize(for:)`): the
    /// pass keeps the layers besides what its backward pass retains.
    func layerEvidenceBatchSize(layers: [Layer]) throws -> Int {
        gradientBatchSize(for: try layerPlan(layers), keeping: Set(layers.map(\.value)))
    }

    /// The backward pass from the scores to `layers`.
    private func layerPlan(_ layers: [Layer]) throws -> BackwardPlan {
        try BackwardPlan(graph: model.graph, from: model.logits, to: Set(layers.map(\.value)))
    }

    /// `[N, classes]` (in the logits' shape) with a 1 at `cls` in every row: the seed of a
    /// backward pass giving each row of a batch its own gradient of class `cls`.
    func batchSeed(rows n: Int, class cls: Int) -> Tensor {
        batchSeed(classes: Array(repeating: cls, count: n))
    }

    /// `[N, classes]` (in the logits' shape) with row `b` one-hot at `classes[b]`: the seed of a
    /// backward pass giving each row of a batch its own gradient of its own class.
    func batchSeed(classes rowClasses: [Int]) -> Tensor {
        let classCount = model.classCount, n = rowClasses.count
        var seed = Tensor.zeros([n, classCount])
        for (row, cls) in rowClasses.enumerated() { seed.floats[row * classCount + cls] = 1 }
        return seed.reshaped([n] + model.shapes[model.logits.index]!.dropFirst())
    }

    /// The passes of `layerEvidence` for one batch `[N, C, H, W]`.
    private func layerPass(_ batch: Tensor, classes: [Int], layers: [Layer], plan: BackwardPlan) throws -> [[LayerEvidence]] {
        let n = batch.shape[0]
        let results = try executor.forward([model.input: model.inputLayout.fromNCHW(batch)], keep: Set(layers.map(\.value)),
                                           preparing: [plan])
        let logits = try results.tensor(model.logits)
        // [N, C_l, h, w] per layer, read before the backward passes reuse the buffers.
        let activations = try layers.map { try $0.layout.nchw(results.tensor($0.value)) }
        guard logits.shape.first == n, logits.count == n * model.classCount,
              activations.allSatisfy({ $0.rank == 4 && $0.shape[0] == n }) else {
            throw EngineError.graph("scores of shape \(logits.shape) or layers of shapes \(activations.map(\.shape)) for a batch of \(n)")
        }
        // [class][layer] -> [N, C_l, h, w].
        let gradients = try classes.map { cls in
            let values = try executor.backward(plan, seed: batchSeed(rows: n, class: cls))
            return try layers.map { try $0.layout.nchw(values.tensor($0.value)) }
        }
        return try (0..<n).map { b in
            try layers.indices.map { l in
                let shape = Array(activations[l].shape.dropFirst()), size = activations[l].count / n
                let rows = b * size ..< (b + 1) * size
                return try LayerEvidence(
                    layer: layers[l],
                    activations: LayerActivations(Tensor(shape: [1] + shape, floats: Array(activations[l].floats[rows])), layer: layers[l].name),
                    gradients: Tensor(shape: [classes.count] + shape, floats: Array(gradients.map { $0[l].floats[rows] }.joined())))
            }
        }
    }
}
