import Tensor

/// GradientSHAP (Lundberg and Lee), as Captum's `GradientShap` with one baseline `b` for its
/// distribution: for `samples` draws, the noisy input `x_i = x + σ z_i` and the point
/// `p_i = b + t_i (x_i − b)` with `t_i` uniform on [0, 1); the attribution is the mean
/// `(1/n) Σ_i (x_i − b) ⊙ ∂S_k/∂x (p_i)`, `[C, H, W]` per class.
///
/// Parameters: `samples` (Captum's `n_samples`, default 5), `noise_level` (`σ`, Captum's
/// `stdevs`, default 0), `baseline` (default `black`; `BaselineInput`), `seed`. Draw order
/// from `WeightGenerator(seed)`: the uniform-noise baseline's values (if asked), then
/// `t_0 … t_{n−1}` (`unit()`), then `z_0, z_1, …` (`normal()`, channels first) when `σ > 0`.
struct GradientShap: ExplanationMethod {
    var name: String { "gradient-shap" }
    var attributesInput: Bool { true }
    var summary: String { "GradientSHAP: input gradients at random points between a baseline and the noisy input (seeded); no layer" }
    var needs: MethodNeeds { MethodNeeds() }

    static let defaultSamples = 5
    static let defaultNoiseLevel: Float = 0

    func parameters(_ requested: MethodParameters) -> [String: ParameterValue] {
        ["samples": .int(requested.samples ?? Self.defaultSamples),
         "noise_level": .number(Double(requested.noiseLevel ?? Self.defaultNoiseLevel)),
         "baseline": .string((requested.baseline ?? .black).rawValue),
         "seed": requested.seedValue]
    }

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        let parameters = evidence.parameters
        let samples = parameters.samples ?? Self.defaultSamples
        let sigma = parameters.noiseLevel ?? Self.defaultNoiseLevel
        var generator = WeightGenerator(seed: parameters.seedOrDefault)
        let baseline = (parameters.baseline ?? .black).values(for: evidence.input, generator: &generator)
        let coefficients = (0..<samples).map { _ in generator.unit() }
        let x = evidence.input.floats
        var sums = [[Double]](repeating: [Double](repeating: 0, count: x.count), count: evidence.classes.count)
        // x_i − b of the rows in flight, by sample, until the last class has used it.
        var differences: [Int: [Float]] = [:]
        try evidence.forEachInputGradient(count: samples, row: { i, row in
            let noise = sigma > 0 ? generator.normals(x.count) : []
            let difference = x.indices.map { j in x[j] + (sigma > 0 ? sigma * noise[j] : 0) - baseline[j] }
            let start = row.startIndex
            for j in x.indices { row[start + j] = baseline[j] + coefficients[i] * difference[j] }
            differences[i] = difference
        }) { k, i, gradient in
            let difference = differences[i]!, start = gradient.startIndex
            for j in x.indices { sums[k][j] += Double(difference[j]) * Double(gradient[start + j]) }
            if k == evidence.classes.count - 1 { differences[i] = nil }
        }
        return evidence.classes.indices.map { k in
            let values = sums[k].map { Float($0 / Double(samples)) }
            return InputAttribution.explanation(evidence, k, name: "gradient_shap", values: InputAttribution.tensor(evidence, values))
        }
    }
}

extension Method {
    public static let gradientShap = Method(GradientShap())
}
