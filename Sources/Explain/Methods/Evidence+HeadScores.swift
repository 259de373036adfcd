extension Evidence {
    /// The scores `[classes]` the model's head gives each of `features` (`C` values each) in
    /// place of the global average pool of `layer`'s activations: `S(z) = W·z + b` for a layer
    /// that feeds a global average pool and a linear head (`ClassActivationHead`), else
    /// `noClassActivationHead` naming what is missing. Counted as forward time.
    func headScores(of features: [[Float]], at layer: LayerEvidence) throws -> [[Float]] {
        try explainer.timedPass {
            try ClassActivationHead(model: explainer.model, layers: [layer.layer]).scores(of: features, model: explainer.model)
        }
    }
}
