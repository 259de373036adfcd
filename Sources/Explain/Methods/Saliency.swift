/// Saliency (Simonyan et al.), as Captum's `Saliency` with its default `abs=True`: the
/// absolute input gradient `|∂S_k/∂x|`, `[C, H, W]` per class.
struct Saliency: ExplanationMethod {
    var name: String { "saliency" }
    var attributesInput: Bool { true }
    var summary: String { "Saliency: the absolute input gradient; no layer" }
    var needs: MethodNeeds { MethodNeeds(inputGradients: [.standard]) }

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        try evidence.classes.indices.map { k in
            var gradient = try evidence.inputGradient(k, rule: .standard)
            for i in gradient.floats.indices { gradient.floats[i] = abs(gradient.floats[i]) }
            return InputAttribution.explanation(evidence, k, name: "saliency", values: gradient)
        }
    }
}

extension Method {
    public static let saliency = Method(Saliency())
}
