import Tensor

/// Guided backpropagation (Springenberg et al.): the input gradient through guided ReLUs,
/// `[C, H, W]` per class; its heatmap is the saliency `max_c |g_c|` per pixel, normalized.
struct GuidedBackprop: ExplanationMethod {
    var name: String { "guided-backprop" }
    var attributesInput: Bool { true }
    var summary: String { "Guided backpropagation: the input gradient through guided ReLUs; no layer" }
    var needs: MethodNeeds { MethodNeeds(inputGradients: [.guided]) }

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        try evidence.classes.indices.map { k in
            let guided = try evidence.inputGradient(k, rule: .guided)
            return ClassExplanation(classIndex: evidence.classes[k], heatmap: Self.saliency(guided),
                                    attributions: [Attribution(name: "guided_backprop", values: guided)])
        }
    }

    /// The saliency of an input gradient `[C, H, W]`: `max_c |g_c|` per pixel, normalized.
    static func saliency(_ gradient: Tensor) -> Heatmap {
        let channels = gradient.shape[0], height = gradient.shape[1], width = gradient.shape[2]
        let plane = height * width
        let values = (0..<plane).map { i in (0..<channels).reduce(Float(0)) { max($0, abs(gradient.floats[$1 * plane + i])) } }
        return Heatmap(raw: values, width: width, height: height)
    }
}

extension Method {
    public static let guidedBackprop = Method(GuidedBackprop())
}
