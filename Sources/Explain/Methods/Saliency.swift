import Tensor

/// Saliency (Simonyan et al.), as Captum's `Saliency` with its default `abs=True`: the
/// absolute input gradient `|∂S_k/∂x|`, `[C, H, W]` per class.
struct Saliency: GradientAttribution {
    var name: String { "saliency" }
    var attributesInput: Bool { true }
    var summary: String { "Saliency: the absolute input gradient; no layer" }
    var needs: MethodNeeds { MethodNeeds(inputGradients: [rule]) }
    var rule: RectifierRule { .standard }
    var attributionName: String { "saliency" }

    func attribution(input x: Float, gradient g: Float) -> Float { abs(g) }
}

extension Method {
    public static let saliency = Method(Saliency())
}
