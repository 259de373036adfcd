import Tensor

/// Guided Grad-CAM (Selvaraju et al.): each channel of the guided gradient `[C, H, W]` times
/// the Grad-CAM class map upsampled (bilinear) to `H x W`. The heatmap is Grad-CAM's; the
/// attributions are the product, then the guided gradient it was made from.
struct GuidedGradCAM: ExplanationMethod {
    var name: String { "guided-gradcam" }
    var attributesInput: Bool { true }
    var summary: String { "Guided Grad-CAM: guided backpropagation times the upsampled Grad-CAM map" }
    var needs: MethodNeeds {
        GradCAM().needs.union(GuidedBackprop().needs)
    }
    /// Its Grad-CAM map's `eigen_smooth`.
    var smoothing: Smoothing { .eigen }

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        let maps = try GradCAM.maps(evidence)
        return try evidence.classes.indices.map { k in
            let guided = try evidence.inputGradient(k, rule: .guided)
            return ClassExplanation(classIndex: evidence.classes[k], heatmap: maps[k], attributions: [
                Attribution(name: "guided_gradcam", values: Self.multiply(guided, by: maps[k])),
                Attribution(name: "guided_backprop", values: guided),
            ])
        }
    }

    /// Each channel of `gradient [C, H, W]` times `map` upsampled to `H x W`.
    static func multiply(_ gradient: Tensor, by map: Heatmap) -> Tensor {
        let height = gradient.shape[1], width = gradient.shape[2]
        let mask = map.upsampled(width: width, height: height).values
        var product = gradient
        for c in 0..<gradient.shape[0] {
            for i in 0..<height * width { product.floats[c * height * width + i] *= mask[i] }
        }
        return product
    }
}

extension Method {
    public static let guidedGradcam = Method(GuidedGradCAM())
}
