import Imaging
import Tensor

/// FullGrad (Srinivas & Fleuret 2019), as pytorch-grad-cam's `FullGrad` computes it, for class
/// `k`, with `n(p) = (p − min p) / (max(p − min p) + 1e-7)` the library's per-plane min-max:
///
///     M = n_final( Σ_c n(|x[c] · ∂S_k/∂x[c]|)  +  Σ_l Σ_c up(n(|b_l[c] · G_l[k, c]|)) )
///
/// over the input's channels `c`, and over every bias layer `l` (`BiasLayer`: each convolution
/// with a bias, each batch normalization with its effective bias) with `G_l = ∂S_k/∂z_l` at its
/// output, where `up` is the bilinear resize to the input's `H x W` (half-pixel centres, as
/// `cv2.resize`). The resize is linear, so each layer's channel sum is resized once. No layer is
/// chosen: the map is `H x W`, a class map (not an attribution). The gradients come from the one
/// standard backward pass to the input (`MethodNeeds.biasGradients`). The library's
/// `eigen_smooth` (a principal component of the terms) is not offered.
struct FullGrad: ExplanationMethod {
    var name: String { "fullgrad" }
    var summary: String { "FullGrad: |input × gradient| plus each conv/BN layer's |bias × gradient|, at the input's resolution; no layer" }
    var needs: MethodNeeds { MethodNeeds(inputGradients: [.standard], biasGradients: true) }

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        let channels = evidence.input.shape[1], height = evidence.input.shape[2], width = evidence.input.shape[3]
        let plane = height * width
        return try evidence.classes.indices.map { k in
            let gradient = try evidence.inputGradient(k, rule: .standard)
            var total = [Float](repeating: 0, count: plane)
            for c in 0..<channels {
                let range = c * plane ..< (c + 1) * plane
                let product = zip(evidence.input.floats[range], gradient.floats[range]).map { abs($0 * $1) }
                Self.addNormalized(product, to: &total)
            }
            for term in evidence.biasGradients {
                let g = term.gradients, layerChannels = g.shape[1], h = g.shape[2], w = g.shape[3]
                var layerSum = [Float](repeating: 0, count: h * w)
                for c in 0..<layerChannels {
                    let start = (k * layerChannels + c) * h * w, bias = term.layer.bias[c]
                    Self.addNormalized(g.floats[start ..< start + h * w].map { abs(bias * $0) }, to: &layerSum)
                }
                let resized = FloatPlane(width: w, height: h, values: layerSum).resized(width: width, height: height)
                for i in 0..<plane { total[i] += resized.values[i] }
            }
            return ClassExplanation(classIndex: evidence.classes[k], heatmap: Heatmap(raw: total, width: width, height: height),
                                    attributions: [])
        }
    }

    /// Adds `n(values)`, the library's `scale_cam_image` min-max, to `sum`.
    private static func addNormalized(_ values: [Float], to sum: inout [Float]) {
        let lo = values.min() ?? 0
        let scale = 1 / ((values.max() ?? 0) - lo + 1e-7)
        for (i, v) in zip(sum.indices, values) { sum[i] += (v - lo) * scale }
    }
}

extension Method {
    public static let fullgrad = Method(FullGrad())
}
