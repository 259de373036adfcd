import Tensor

extension Evidence {
    /// `∂T_r/∂A` at each explained layer, in `layers` order, for `R` targets made of the
    /// logits `s`: `T_r = Σ_i seeds[r, i]·s_i` (`seeds [R, classes]` flattened; the seed of
    /// a target `f(s)` is its gradient `∂f/∂s` at `logits`). Each is `[R, C, h, w]`; one backward
    /// pass (`Explainer.layerGradients(at:layers:seeds:)`), counted as forward time. The method
    /// must declare `MethodNeeds.targetGradients`.
    func layerGradients(seeds: [Float]) throws -> [Tensor] {
        try explainer.timedPass { try explainer.layerGradients(at: input, layers: layers.map(\.layer), seeds: seeds) }
    }
}
