import Tensor

extension Explainer {
    /// Bytes of activations one batch of scored inputs may hold (Score-CAM's masked inputs):
    /// it bounds the memory a many-pass method adds to a worker.
    public static let scoreBatchBudget = 256 << 20
    /// The largest batch worth running: beyond it a batch saves no more weight reads.
    public static let maximumScoreBatch = 32

    /// Inputs per scoring pass under `scoreBatchBudget`: a forward pass holds about its two
    /// largest values at once, so one input costs `2 · 4 · max_v |v|` bytes (its values' sizes at
    /// batch 1); the batch is `budget / that`, between 1 and `maximumScoreBatch`.
    static func scoreBatchSize(for model: ExplainableModel) -> Int {
        let largest = model.shapes.compactMap { $0?.reduce(1, *) }.max() ?? 1
        return min(max(scoreBatchBudget / (2 * 4 * max(largest, 1)), 1), maximumScoreBatch)
    }

    /// Inputs per gradient pass (`inputGradients`, `layerEvidence`) under `scoreBatchBudget`:
    /// besides about its two largest values at once, such a pass holds every value `plan`
    /// retains for its backward pass, and the `kept` values, until it ends, so one input costs
    /// `4 · (Σ_{v retained or kept} |v| + 2 · max_v |v|)` bytes (sizes at batch 1). The batch is
    /// `budget / that`, between 1 and `scoreBatchSize` (itself 1 for graphs that cannot batch).
    /// Full-size VGG16's input gradients keep its thirteen ReLU outputs: 3 inputs per pass,
    /// where a scoring pass takes 10.
    func gradientBatchSize(for plan: BackwardPlan, keeping kept: Set<ValueID> = []) -> Int {
        let sizes = model.shapes.map { $0?.reduce(1, *) ?? 0 }
        let held = plan.retained.union(kept).reduce(0) { $0 + sizes[$1.index] }
        let perInput = 4 * (held + 2 * max(sizes.max() ?? 1, 1))
        return min(max(Self.scoreBatchBudget / perInput, 1), scoreBatchSize)
    }
}
