import Tensor

extension Evidence {
    /// Class gradients at an explained layer for other values of its activations, from passes
    /// that start at the layer (`Explainer.layerGradients(from:activations:classes:)`): row `b`
    /// of the result `[B, C, h, w]` is `∂S_{classes[b]}/∂A` at `A = batch[b]`
    /// (`batch [B, C, h, w]`, channels first). Counted as forward time.
    ///
    /// - Throws: `ExplainError.unsupportedModel` when a pass cannot start at the layer (a skip
    ///   connection around it).
    func layerGradients(_ layer: LayerEvidence, at batch: Tensor, classes: [Int]) throws -> Tensor {
        try explainer.timedPass { try explainer.layerGradients(from: layer.layer, activations: batch, classes: classes) }
    }
}
