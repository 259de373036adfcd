import Tensor

/// Input × gradient (Shrikumar et al.), as Captum's `InputXGradient`: `x ⊙ ∂S_k/∂x`,
/// `[C, H, W]` per class, `x` the preprocessed input.
struct InputXGradient: GradientAttribution {
    var name: String { "input-x-gradient" }
    var attributesInput: Bool { true }
    var summary: String { "Input x gradient: the preprocessed input times its gradient; no layer" }
    var needs: MethodNeeds { MethodNeeds(inputGradients: [rule]) }
    var rule: RectifierRule { .standard }
    var attributionName: String { "input_x_gradient" }

    func attribution(input x: Float, gradient g: Float) -> Float { x * g }
}

extension Method {
    public static let inputXGradient = Method(InputXGradient())
}
