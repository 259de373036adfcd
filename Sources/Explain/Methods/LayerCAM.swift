/// LayerCAM (Jiang et al.): the channel sum of positive gradients times activations, per
/// pixel, `Σ_c ReLU(G[k, c]) ⊙ A[c]`.
struct LayerCAM: ExplanationMethod {
    var name: String { "layercam" }
    var summary: String { "LayerCAM: the channel sum of positive gradients times activations, per pixel" }
    var needs: MethodNeeds { MethodNeeds(layerActivations: true, layerGradients: true) }
    var smoothing: Smoothing { .all }

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        evidence.explanations(try evidence.camMaps { _ in .elements { g, a in max(g, 0) * a } })
    }
}

extension Method {
    public static let layercam = Method(LayerCAM())
}
