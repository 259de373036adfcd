/// Deconvolution (Zeiler and Fergus), as Captum's `Deconvolution`: the input gradient with
/// every ReLU passing `max(dy, 0)` back whatever its forward sign (`RectifierRule.deconvolution`),
/// `[C, H, W]` per class, signed.
struct Deconvolution: ExplanationMethod {
    var name: String { "deconvolution" }
    var attributesInput: Bool { true }
    var summary: String { "Deconvolution: the input gradient with ReLUs rectifying the gradient instead of gating on the input; no layer" }
    var needs: MethodNeeds { MethodNeeds(inputGradients: [.deconvolution]) }

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        try evidence.classes.indices.map { k in
            InputAttribution.explanation(evidence, k, name: "deconvolution", values: try evidence.inputGradient(k, rule: .deconvolution))
        }
    }
}

extension Method {
    public static let deconvolution = Method(Deconvolution())
}
