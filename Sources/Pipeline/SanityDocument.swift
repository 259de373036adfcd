import Explain
import Models

/// The JSON document of `gradcam sanity --format json` and `POST /sanity`:
///
/// ```json
/// {"model": "shapes-vgg", "layer": "…", "image": {"width": 640, "height": 480},
///  "class": {"class": 2, "label": "square", "score": 0.99, "logit": 7.2},
///  "seed": 42, "initialization": "…", "rule": "…",
///  "steps": [{"step": 0, "layer": null, "op": null}, {"step": 1, "layer": "fc3", "op": "Gemm"}, …],
///  "methods": [{"method": "gradcam", "verdict": "depends on the model's weights", "mean_spearman_abs": 0.02,
///               "curve": [{"spearman_abs": 1, "spearman": 1, "ssim": 1, "hog": 1}, …]}]}
/// ```
/// `steps[k]` is the network with the layers of steps 1...k randomized; each method's
/// `curve[k]` compares its map at step k with step 0's (null where undefined: a flat map).
public struct SanityDocument: Codable, Sendable, Equatable {
    public var model: String
    /// The explained layer's tensor name; fused layers are joined by commas.
    public var layer: String
    public var image: ImageSize
    /// The class explained at every step: the original network's.
    public var `class`: Prediction
    public var seed: UInt64
    /// How the randomized parameters are drawn.
    public var initialization: String
    /// How the verdict is reached.
    public var rule: String
    public var steps: [SanityStep]
    public var methods: [SanityCurve]

    public static let initialization = "PyTorch's reset_parameters (as Quantus's MPRT): Conv, Gemm and MatMul weights and biases uniform on [-1/sqrt(fan_in), 1/sqrt(fan_in)); BatchNormalization scale 1, bias 0, mean 0, variance 1; SplitMix64 per layer, seeded"
    public static let rule = "insensitive when the mean over the steps of Spearman's rank correlation of the absolute maps (Quantus's MPRT average) is at least \(SanityVerdict.threshold); a flat map counts as 0"
}

public struct SanityStep: Codable, Sendable, Equatable {
    public var step: Int
    /// The node randomized at this step (null at step 0, the original network).
    public var layer: String?
    public var op: String?

    enum CodingKeys: String, CodingKey { case step, layer, op }

    /// Writes `layer` and `op` as null at step 0 rather than leaving them out.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(step, forKey: .step)
        try c.encode(layer, forKey: .layer)
        try c.encode(op, forKey: .op)
    }
}

public struct SanityCurve: Codable, Sendable, Equatable {
    public var method: String
    public var verdict: String
    /// The mean of `spearman_abs` over steps 1...n (null as 0): what the verdict is drawn from.
    public var meanSpearmanAbs: Double
    public var curve: [Similarities]

    enum CodingKeys: String, CodingKey {
        case method, verdict, meanSpearmanAbs = "mean_spearman_abs", curve
    }
}
