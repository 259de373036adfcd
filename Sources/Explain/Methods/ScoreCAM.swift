import Foundation
import Tensor

/// Score-CAM (Wang et al.), as pytorch-grad-cam computes it (`score_cam.py`):
///
/// 1. each activation channel `A_c` is upsampled to the input size (bilinear,
///    corner-aligned: `torch.nn.UpsamplingBilinear2d`) and min-max normalized:
///    `M_c = (U_c − min U_c) / (max U_c − min U_c + 1e-8)`;
/// 2. the model scores the masked inputs `x ⊙ M_c` (masks broadcast over the colour channels),
///    `Evidence.scoreBatchSize` at a time;
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
        let input = evidence.input, classes = evidence.classes
        let inputChannels = input.shape[1], height = input.shape[2], width = input.shape[3]
        let pixels = height * width
        var scores = [Float](repeating: 0, count: classes.count * a.channels)
        var start = 0
        while start < a.channels {
            let count = min(max(evidence.scoreBatchSize, 1), a.channels - start)
            var batch = [Float](repeating: 0, count: count * inputChannels * pixels)
            for b in 0..<count {
                let mask = normalizedMask(a, channel: start + b, height: height, width: width)
                for ic in 0..<inputChannels {
                    let offset = (b * inputChannels + ic) * pixels
                    let source = ic * pixels
                    for i in 0..<pixels { batch[offset + i] = input.floats[source + i] * mask[i] }
                }
            }
            let logits = try evidence.scores(Tensor(shape: [count, inputChannels, height, width], floats: batch))
            let classCount = logits.count / count
            for b in 0..<count {
                for (k, cls) in classes.enumerated() {
                    scores[k * a.channels + start + b] = logits[b * classCount + cls]
                }
            }
            start += count
        }
        // Softmax over channels, per target.
        for k in classes.indices {
            let row = k * a.channels ..< (k + 1) * a.channels
            let top = scores[row].max() ?? 0
            let exps = scores[row].map { exp(Double($0 - top)) }
            let total = exps.reduce(0, +)
            for (i, e) in zip(row, exps) { scores[i] = Float(e / total) }
        }
        return scores
    }

    /// Channel `c` upsampled to `height x width` with corner-aligned bilinear interpolation,
    /// then min-max normalized.
    static func normalizedMask(_ a: LayerActivations, channel c: Int, height: Int, width: Int) -> [Float] {
        let plane = Array(a.values[c * a.plane ..< (c + 1) * a.plane])
        var up = [Float](repeating: 0, count: height * width)
        let sy = height > 1 ? Float(a.height - 1) / Float(height - 1) : 0
        let sx = width > 1 ? Float(a.width - 1) / Float(width - 1) : 0
        for y in 0..<height {
            let fy = Float(y) * sy
            let y0 = min(Int(fy), a.height - 1), y1 = min(y0 + 1, a.height - 1)
            let dy = fy - Float(y0)
            for x in 0..<width {
                let fx = Float(x) * sx
                let x0 = min(Int(fx), a.width - 1), x1 = min(x0 + 1, a.width - 1)
                let dx = fx - Float(x0)
                let top = plane[y0 * a.width + x0] * (1 - dx) + plane[y0 * a.width + x1] * dx
                let bottom = plane[y1 * a.width + x0] * (1 - dx) + plane[y1 * a.width + x1] * dx
                up[y * width + x] = top * (1 - dy) + bottom * dy
            }
        }
        let lo = up.min() ?? 0, hi = up.max() ?? 0
        let scale = 1 / (hi - lo + 1e-8)
        return up.map { ($0 - lo) * scale }
    }
}

extension Method {
    public static let scorecam = Method(ScoreCAM())
}
