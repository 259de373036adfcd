import Tensor

/// Captum's `NoiseTunnel` over `Saliency` (the absolute input gradient): the saliency of
/// `samples` noisy copies `x_i = x + σ z_i` of the preprocessed input, `z_i` standard normal,
/// combined per value as
/// - SmoothGrad (Smilkov et al.): the mean `E[|g(x_i)|]`;
/// - VarGrad (Adebayo et al.): the variance `E[|g(x_i)|²] − E[|g(x_i)|]²`.
///
/// Parameters: `samples` (Captum's `nt_samples`, default 5), `noise_level` (`σ`, Captum's
/// `stdevs`, default 1.0, in the preprocessed input's units), `seed`: `z_i` are
/// `WeightGenerator.normal()` draws, sample after sample, each in channels-first order. The
/// underlying method is always Saliency (the request has no way to name another yet).
struct NoiseTunnel: ExplanationMethod {
    enum Combination { case smoothgrad, vargrad }
    let combination: Combination

    var name: String { combination == .smoothgrad ? "smoothgrad" : "vargrad" }
    var attributesInput: Bool { true }
    var summary: String {
        combination == .smoothgrad
            ? "SmoothGrad: the mean saliency of noisy copies of the input (seeded); no layer"
            : "VarGrad: the variance of the saliency of noisy copies of the input (seeded); no layer"
    }
    var needs: MethodNeeds { MethodNeeds() }

    static let defaultSamples = 5
    static let defaultNoiseLevel: Float = 1

    func parameters(_ requested: MethodParameters) -> [String: ParameterValue] {
        ["samples": .int(requested.samples ?? Self.defaultSamples),
         "noise_level": .number(Double(requested.noiseLevel ?? Self.defaultNoiseLevel)),
         "seed": requested.seedValue, "base": .string("saliency")]
    }

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        var copies = NoisyCopies(evidence, defaultSamples: Self.defaultSamples, defaultNoiseLevel: Self.defaultNoiseLevel)
        let samples = copies.samples, x = evidence.input.floats
        let zeros = [Double](repeating: 0, count: x.count)
        var sums = [[Double]](repeating: zeros, count: evidence.classes.count), squares = sums
        try evidence.forEachInputGradient(count: samples, row: { _, row in copies.write(into: &row) }) { k, _, gradient in
            let start = gradient.startIndex
            for j in x.indices {
                let saliency = Double(abs(gradient[start + j]))
                sums[k][j] += saliency
                squares[k][j] += saliency * saliency
            }
        }
        let n = Double(samples)
        return evidence.classes.indices.map { k in
            let values = x.indices.map { j in
                let mean = sums[k][j] / n
                return Float(combination == .smoothgrad ? mean : squares[k][j] / n - mean * mean)
            }
            return InputAttribution.explanation(evidence, k, name: name, values: InputAttribution.tensor(evidence, values))
        }
    }
}

extension Method {
    public static let smoothgrad = Method(NoiseTunnel(combination: .smoothgrad))
    public static let vargrad = Method(NoiseTunnel(combination: .vargrad))
}
