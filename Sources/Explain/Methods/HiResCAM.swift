/// HiResCAM (Draelos and Carin): the channel sum of gradients times activations, per pixel,
/// `Σ_c G[k, c] ⊙ A[c]`.
struct HiResCAM: ExplanationMethod {
    var name: String { "hirescam" }
    var summary: String { "HiResCAM: the channel sum of gradients times activations, per pixel" }
    var needs: MethodNeeds { MethodNeeds(layerActivations: true, layerGradients: true) }

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        evidence.explanations(try evidence.layerMaps { try $0.pixelWeighted { $0 } })
    }
}

extension Method {
    public static let hirescam = Method(HiResCAM())
}
