import Tensor

/// A Captum input attribution made of the input and its gradient alone, value by value:
/// `a = f(x, ∂S_k/∂x)` with the gradient taken through rectifiers under `rule`, `[C, H, W]`
/// per class (Saliency, InputXGradient, Deconvolution). `NoiseTunnel` evaluates one at its
/// noisy copies from batched input gradients (`base_method`).
protocol GradientAttribution: ExplanationMethod {
    /// The rectifier rule of the input gradient `f` reads.
    var rule: RectifierRule { get }
    /// The attribution's name in the document.
    var attributionName: String { get }
    /// `f(x, g)` for one value of the preprocessed input and its gradient.
    func attribution(input x: Float, gradient g: Float) -> Float
}

extension GradientAttribution {
    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        try evidence.classes.indices.map { k in
            var values = try evidence.inputGradient(k, rule: rule)
            for i in values.floats.indices { values.floats[i] = attribution(input: evidence.input.floats[i], gradient: values.floats[i]) }
            return InputAttribution.explanation(evidence, k, name: attributionName, values: values)
        }
    }
}
