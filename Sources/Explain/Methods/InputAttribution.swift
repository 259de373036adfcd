import Tensor

/// What the input-attribution methods (Captum's) share: an attribution `a [C, H, W]` per
/// class at the input's resolution, and its heatmap `|Σ_c a[c]|` per pixel, normalized
/// (`Heatmap(raw:)`): Captum's `visualize_image_attr` sums the channels, and the absolute
/// value is its `sign="absolute_value"` view.
enum InputAttribution {
    /// The heatmap of `attribution [C, H, W]`: `|Σ_c a[c]|` per pixel, summed in Double.
    static func heatmap(_ attribution: Tensor) -> Heatmap {
        let channels = attribution.shape[0], height = attribution.shape[1], width = attribution.shape[2]
        let plane = height * width
        let values = (0..<plane).map { i in
            Float(abs((0..<channels).reduce(0.0) { $0 + Double(attribution.floats[$1 * plane + i]) }))
        }
        return Heatmap(raw: values, width: width, height: height)
    }

    /// Class `k`'s explanation by the attribution `values [C, H, W]`, named `name`.
    static func explanation(_ evidence: Evidence, _ k: Int, name: String, values: Tensor) -> ClassExplanation {
        ClassExplanation(classIndex: evidence.classes[k], heatmap: heatmap(values), attributions: [Attribution(name: name, values: values)])
    }

    /// `values` as an attribution shaped like one input `[C, H, W]`.
    static func tensor(_ evidence: Evidence, _ values: [Float]) -> Tensor {
        Tensor(shape: Array(evidence.input.shape.dropFirst()), floats: values)
    }
}
