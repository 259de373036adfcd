import Tensor

extension Explainer {
    /// The logits `[B, classes]` (flattened) of a batch `[B, C, H, W]` of preprocessed inputs,
    /// NCHW whatever the model's layout (converted here), run `scoreCAMBatchSize` at a time
    /// (graphs that cannot run a batch fall back to 1), under the request's cancellation.
    /// The faithfulness metrics score their perturbed inputs with it.
    public func scores(batch: Tensor) throws -> [Float] {
        let layout = model.inputLayout
        guard batch.rank == 4, layout.shape(batch: 1, channels: batch.shape[1], height: batch.shape[2], width: batch.shape[3])
                == model.inputShape else {
            throw ExplainError.internalInconsistency("a batch of shape \(batch.shape); the model takes \(model.inputShape) (\(layout.rawValue))")
        }
        let (count, channels, height, width) = (batch.shape[0], batch.shape[1], batch.shape[2], batch.shape[3])
        let size = channels * height * width
        var logits: [Float] = []
        var start = 0
        while start < count {
            let n = min(scoreCAMBatchSize, count - start)
            let chunk = Tensor(shape: [n, channels, height, width], floats: Array(batch.floats[start * size ..< (start + n) * size]))
            do {
                logits += try executor.forward([model.input: layout.fromNCHW(chunk)]).tensor(model.logits).floats
            } catch is EngineError where scoreCAMBatchSize > 1 {
                scoreCAMBatchSize = 1
                continue
            }
            start += n
        }
        return logits
    }
}
