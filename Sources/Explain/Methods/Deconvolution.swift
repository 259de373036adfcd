import Tensor

/// Deconvolution (Zeiler and Fergus), as Captum's `Deconvolution`: the input gradient with
/// every ReLU passing `max(dy, 0)` back whatever its forward sign (`RectifierRule.deconvolution`),
/// `[C, H, W]` per class, signed.
struct Deconvolution: GradientAttribution {
    var name: String { "deconvolution" }
    var attributesInput: Bool { true }
    var summary: String { "Deconvolution: the input gradient with ReLUs rectifying the gradient instead of gating on the input; no layer" }
    var needs: MethodNeeds { MethodNeeds(inputGradients: [rule]) }
    var rule: RectifierRule { .deconvolution }
    var attributionName: String { "deconvolution" }

    func attribution(input x: Float, gradient g: Float) -> Float { g }
}

extension Method {
    public static let deconvolution = Method(Deconvolution())
}
