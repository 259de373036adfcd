import Tensor

extension Explainer {
    /// The logits `[B, classes]` (flattened) of a batch `[B, C, H, W]` of preprocessed inputs,
    /// NCHW whatever the model's layout, run `scoreBatchSize` at a time (`scores(_:)`: graphs
    /// that cannot run a batch fall back to one row at a time), under the request's
    /// cancellation. The faithfulness metrics score their perturbed inputs with it.
    public func scores(batch: Tensor) throws -> [Float] {
        guard batch.rank == 4, model.inputLayout.shape(batch: 1, channels: batch.shape[1], height: batch.shape[2], width: batch.shape[3])
                == model.inputShape else {
            throw ExplainError.internalInconsistency("a batch of shape \(batch.shape); the model takes \(model.inputShape) (\(model.inputLayout.rawValue))")
        }
        let count = batch.shape[0], size = batch.count / max(count, 1)
        var logits: [Float] = []
        var start = 0
        while start < count {
            let n = min(max(scoreBatchSize, 1), count - start)
            logits += try scores(Tensor(shape: [n] + batch.shape.dropFirst(), floats: Array(batch.floats[start * size ..< (start + n) * size])))
            start += n
        }
        return logits
    }
}
