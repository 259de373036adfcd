import Foundation
import Tensor

/// Score-CAM (Wang et al.), as pytorch-grad-cam computes it (`score_cam.py`):
///
/// 1. each activation channel `A_c` is upsampled to the input size (bilinear,
///    corner-aligned: `torch.nn.UpsamplingBilinear2d`) and min-max normalized:
///    `M_c = (U_c − min U_c) / (max U_c − min U_c + 1e-8)`;
/// 2. the model scores the masked inputs `x ⊙ M_c` (masks broadcast over the colour channels),
///    batched, the all-zero masks of dead channels sharing one pass (`Evidence.maskedInputScores`);
/// 3. the weights are a softmax over channels of each target's score: `w[k, c] = softmax_c(s[c, class_k])`.
///
/// All targets share one set of masked forward passes.
struct ScoreCAM: ExplanationMethod {
    var name: String { "scorecam" }
    var summary: String { "Score-CAM: channels weighted by the class score of the input masked by each; no gradients" }
    var needs: MethodNeeds { MethodNeeds(layerActivations: true, scores: true) }
    var smoothing: Smoothing { .all }

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        evidence.explanations(try evidence.camMaps { layer in .channels(try Self.weights(layer.activations, evidence)) })
    }

    /// Channel weights `[K, C]`.
    static func weights(_ a: LayerActivations, _ evidence: Evidence) throws -> [Float] {
        let height = evidence.input.shape[2], width = evidence.input.shape[3]
        var scores = try evidence.maskedInputScores(count: a.channels) { c, mask in
            normalizedMask(a, channel: c, height: height, width: width, into: mask)
        }
        softmaxRows(&scores, width: a.channels)
        return scores
    }

    /// Softmax of each row of `values` (`width` wide), in place, computed in Double.
    static func softmaxRows(_ values: inout [Float], width: Int) {
        for start in stride(from: 0, to: values.count, by: width) {
            let row = start ..< start + width
            let top = values[row].max() ?? 0
            let exps = values[row].map { exp(Double($0 - top)) }
            let total = exps.reduce(0, +)
            for (i, e) in zip(row, exps) { values[i] = Float(e / total) }
        }
    }

    /// Channel `c` upsampled to `height x width` with corner-aligned bilinear interpolation,
    /// then min-max normalized, written into `out` (`height·width` floats).
    static func normalizedMask(_ a: LayerActivations, channel c: Int, height: Int, width: Int,
                               into out: UnsafeMutableBufferPointer<Float>) {
        let plane = a.plane, base = c * plane
        let sy = height > 1 ? Float(a.height - 1) / Float(height - 1) : 0
        let sx = width > 1 ? Float(a.width - 1) / Float(width - 1) : 0
        a.values.withUnsafeBufferPointer { v in
            for y in 0..<height {
                let fy = Float(y) * sy
                let y0 = min(Int(fy), a.height - 1), y1 = min(y0 + 1, a.height - 1)
                let dy = fy - Float(y0)
                for x in 0..<width {
                    let fx = Float(x) * sx
                    let x0 = min(Int(fx), a.width - 1), x1 = min(x0 + 1, a.width - 1)
                    let dx = fx - Float(x0)
                    let top = v[base + y0 * a.width + x0] * (1 - dx) + v[base + y0 * a.width + x1] * dx
                    let bottom = v[base + y1 * a.width + x0] * (1 - dx) + v[base + y1 * a.width + x1] * dx
                    out[y * width + x] = top * (1 - dy) + bottom * dy
                }
            }
        }
        let lo = out.min() ?? 0, hi = out.max() ?? 0
        let scale = 1 / (hi - lo + 1e-8)
        for i in out.indices { out[i] = (out[i] - lo) * scale }
    }
}

extension Method {
    public static let scorecam = Method(ScoreCAM())
}
