import Tensor

extension Explainer {
    /// `∂S_c/∂x` at every row of a batch of channels-first inputs `x [B, C, H, W]`, for each
    /// class `c` of `classes`, through rectifiers under `rule`: one `[B, C, H, W]` per class,
    /// in the order of `classes`.
    ///
    /// One forward pass of the batch (converted to the model's layout), then one backward
    /// pass per class seeded `[B, classes]` one-hot at that class in every row, so row `b` of
    /// the result is the gradient of `x_b` alone. A graph that cannot run a batch (the pass
    /// throws, or its scores are not `[B, classes]`) runs the rows one at a time, now and from
    /// then on (`scoreBatchSize` becomes 1). Throws `Cancellation.Stopped` when the request must stop.
    func inputGradients(of batch: Tensor, classes: [Int], rule: RectifierRule) throws -> [Tensor] {
        let plan = try inputGradientPlan(rule: rule)
        let count = batch.shape[0]
        if count > 1 && scoreBatchSize > 1 {
            do {
                return try gradientPass(batch, classes: classes, plan: plan)
            } catch is EngineError {
                scoreBatchSize = 1
            }
        }
        let size = batch.count / max(count, 1)
        var rows = classes.map { _ in [Float]() }
        for row in 0..<count {
            let one = Tensor(shape: [1] + batch.shape.dropFirst(), floats: Array(batch.floats[row * size ..< (row + 1) * size]))
            for (k, gradient) in try gradientPass(one, classes: classes, plan: plan).enumerated() { rows[k] += gradient.floats }
        }
        return rows.map { Tensor(shape: batch.shape, floats: $0) }
    }

    /// Rows per `inputGradients` batch under the memory budget (`gradientBatchSize(for:)`).
    func inputGradientBatchSize(rule: RectifierRule) throws -> Int {
        gradientBatchSize(for: try inputGradientPlan(rule: rule))
    }

    /// The backward pass from the scores to the input under `rule`.
    private func inputGradientPlan(rule: RectifierRule) throws -> BackwardPlan {
        try BackwardPlan(graph: model.graph, from: model.logits, to: [model.input], rule: rule)
    }

    /// The passes of `inputGradients` for one batch `[N, C, H, W]`.
    private func gradientPass(_ batch: Tensor, classes: [Int], plan: BackwardPlan) throws -> [Tensor] {
        let n = batch.shape[0], classCount = model.classCount
        let logits = try executor.forward([model.input: model.inputLayout.fromNCHW(batch)], preparing: [plan]).tensor(model.logits)
        guard logits.shape.first == n, logits.count == n * classCount else {
            throw EngineError.graph("scores of shape \(logits.shape) for a batch of \(n)")
        }
        return try classes.map { cls in
            try model.inputLayout.nchw(executor.backward(plan, seed: batchSeed(rows: n, class: cls)).tensor(model.input))
        }
    }
}
