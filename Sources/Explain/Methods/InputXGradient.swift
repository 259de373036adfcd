/// Input × gradient (Shrikumar et al.), as Captum's `InputXGradient`: `x ⊙ ∂S_k/∂x`,
/// `[C, H, W]` per class, `x` the preprocessed input.
struct InputXGradient: ExplanationMethod {
    var name: String { "input-x-gradient" }
    var attributesInput: Bool { true }
    var summary: String { "Input x gradient: the preprocessed input times its gradient; no layer" }
    var needs: MethodNeeds { MethodNeeds(inputGradients: [.standard]) }

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        try evidence.classes.indices.map { k in
            var product = try evidence.inputGradient(k, rule: .standard)
            for i in product.floats.indices { product.floats[i] *= evidence.input.floats[i] }
            return InputAttribution.explanation(evidence, k, name: "input_x_gradient", values: product)
        }
    }
}

extension Method {
    public static let inputXGradient = Method(InputXGradient())
}
