/// HiResCAM (Draelos and Carin): the channel sum of gradients times activations, per pixel,
/// `Σ_c G[k, c] ⊙ A[c]`.
struct HiResCAM: ExplanationMethod {
    var name: String { "hirescam" }
    var summary: String { "HiResCAM: the channel sum of gradients times activations, per pixel" }
    var needs: MethodNeeds { MethodNeeds(layerActivations: true, layerGradients: true) }
    var smoothing: Smoothing { .all }

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        evidence.explanations(try evidence.camMaps { _ in .elements { g, a in g * a } })
    }
}

extension Method {
    public static let hirescam = Method(HiResCAM())
}
