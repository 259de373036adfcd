/// Ablation-CAM (Desai and Ramaswamy), as pytorch-grad-cam computes it (`ablation_cam.py`,
/// `ablation_layer.py`, with its default `ratio_channels_to_ablate = 1.0`: every channel):
///
/// 1. for each channel `c`, the layer's activations with `A_c` ablated — set to 0 when the
///    activations' minimum is 0 (a rectified layer), else to `min A − 1e7` — run forward from
///    the layer (only the nodes after it: `Evidence.layerScores`), batched, giving `s_kc`;
/// 2. the weights are the relative drop of each target's score `s_k` (the explained pass's):
///    `w[k, c] = (s_k − s_kc) / s_k` (no division when `s_k = 0`).
///
/// A channel that already holds the ablation value everywhere (a dead rectified channel)
/// leaves the activations unchanged: its score is `s_k` and its weight 0, with no pass.
/// pytorch-grad-cam's ablation value drifts within a batch on layers whose minimum is not 0
/// (row `i` of a batch gets `min − (i + 1)·1e7`, as each row's ablation lowers the minimum the
/// next row reads); ours is `min − 1e7` for every channel, the library's value at batch size 1.
struct AblationCAM: ExplanationMethod {
    var name: String { "ablationcam" }
    var summary: String { "Ablation-CAM: channels weighted by the relative drop of the class score when each is ablated, run from the layer; no gradients" }
    var needs: MethodNeeds { MethodNeeds(layerActivations: true, scores: true) }
    var smoothing: Smoothing { .all }

    /// How far below the activations' minimum an ablated channel is set on a layer whose
    /// minimum is not 0 (`ablation_layer.py`'s `ABLATION_VALUE`).
    static let ablationOffset: Float = 1e7

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        evidence.explanations(try evidence.camMaps { layer in .channels(try Self.weights(layer, evidence)) })
    }

    /// Channel weights `[K, C]`.
    static func weights(_ layer: LayerEvidence, _ evidence: Evidence) throws -> [Float] {
        let a = layer.activations
        let minimum = a.values.min() ?? 0
        let ablated = minimum == 0 ? 0 : minimum - ablationOffset
        var weights = try evidence.layerScores(layer, count: a.channels) { c, values in
            let channel = c * a.plane ..< (c + 1) * a.plane
            guard values[channel].contains(where: { $0 != ablated }) else { return false }
            for i in channel { values[i] = ablated }
            return true
        }
        for (k, cls) in evidence.classes.enumerated() {
            let score = evidence.logits[cls]
            for c in 0..<a.channels {
                let drop = score - weights[k * a.channels + c]
                weights[k * a.channels + c] = score == 0 ? drop : drop / score
            }
        }
        return weights
    }
}

extension Method {
    public static let ablationcam = Method(AblationCAM())
}
