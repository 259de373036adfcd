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
}
