import Tensor

/// Captum's `NoiseTunnel` over a gradient attribution `f` (`base_method`: Saliency, the
/// default, InputXGradient or Deconvolution; `GradientAttribution`): `f` at `samples` noisy
/// copies `x_i = x + σ z_i` of the preprocessed input (`NoisyCopies`), combined per value as
/// - SmoothGrad (Smilkov et al.): the mean `E[f(x_i)]`;
/// - VarGrad (Adebayo et al.): the variance `E[f(x_i)²] − E[f(x_i)]²`.
///
/// Parameters: `samples` (Captum's `nt_samples`, default 5), `noise_level` (`σ`, Captum's
/// `stdevs`, default 1.0, in the preprocessed input's units), `seed`, `base_method`. Each
/// copy's attribution reads the copy itself (`x_i ⊙ ∂S/∂x_i` for InputXGradient), as Captum's
/// does. The copies' gradients run in batches the memory budget allows
/// (`Explainer.inputGradientBatchSize(rule:)`).
struct NoiseTunnel: ExplanationMethod {
    enum Combination { case smoothgrad, vargrad }
    let combination: Combination

    var name: String { combination == .smoothgrad ? "smoothgrad" : "vargrad" }
    var attributesInput: Bool { true }
    var summary: String {
        combination == .smoothgrad
            ? "SmoothGrad: the mean gradient attribution (saliency unless base_method says) of noisy copies of the input (seeded); no layer"
            : "VarGrad: the variance of the gradient attribution (saliency unless base_method says) of noisy copies of the input (seeded); no layer"
    }
    var needs: MethodNeeds { MethodNeeds() }

    static let defaultSamples = 5
    static let defaultNoiseLevel: Float = 1
    static let defaultBase: any GradientAttribution = Saliency()

    /// The methods `base_method` accepts: the registry's gradient attributions, in its order.
    static var bases: [any GradientAttribution] {
        Method.registry.compactMap { $0.implementation as? any GradientAttribution }
    }

    func parameters(_ requested: MethodParameters) -> [String: ParameterValue] {
        ["samples": .int(requested.samples ?? Self.defaultSamples),
         "noise_level": .number(Double(requested.noiseLevel ?? Self.defaultNoiseLevel)),
         "seed": requested.seedValue, "base_method": .string(requested.baseMethod ?? Self.defaultBase.name)]
    }

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        let base = try Self.base(evidence.parameters)
        var copies = NoisyCopies(evidence, defaultSamples: Self.defaultSamples, defaultNoiseLevel: Self.defaultNoiseLevel)
        let samples = copies.samples, size = evidence.input.count
        let zeros = [Double](repeating: 0, count: size)
        var sums = [[Double]](repeating: zeros, count: evidence.classes.count), squares = sums
        let rowsPerBatch = try evidence.explainer.inputGradientBatchSize(rule: base.rule)
        try evidence.forEachBatch(count: samples, rowsPerBatch: rowsPerBatch, row: { _, row in copies.write(into: &row) }) { _, batch in
            let gradients = try evidence.inputGradients(of: batch, rule: base.rule)
            for (k, gradient) in gradients.enumerated() {
                for j in 0 ..< batch.count {
                    let a = Double(base.attribution(input: batch.floats[j], gradient: gradient.floats[j]))
                    sums[k][j % size] += a
                    squares[k][j % size] += a * a
                }
            }
        }
        let n = Double(samples)
        return evidence.classes.indices.map { k in
            let values = (0..<size).map { j in
                let mean = sums[k][j] / n
                return Float(combination == .smoothgrad ? mean : squares[k][j] / n - mean * mean)
            }
            return InputAttribution.explanation(evidence, k, name: name, values: InputAttribution.tensor(evidence, values))
        }
    }

    /// The request's `base_method` (`MethodParameters.validate` has checked the name).
    static func base(_ parameters: MethodParameters) throws -> any GradientAttribution {
        guard let name = parameters.baseMethod else { return defaultBase }
        guard let base = bases.first(where: { $0.name == name }) else {
            throw ExplainError.invalidParameter(MethodParameters.baseMethodRefusal(name))
        }
        return base
    }
}

extension MethodParameters {
    /// The names `base_method` accepts (`NoiseTunnel.bases`).
    public static var baseMethodNames: [String] { NoiseTunnel.bases.map(\.name) }

    /// Why `name` is no `base_method`.
    static func baseMethodRefusal(_ name: String) -> String {
        "base_method must be one of \(baseMethodNames.joined(separator: ", ")) (an input attribution from the gradient alone), got '\(name)'"
    }
}

extension Method {
    public static let smoothgrad = Method(NoiseTunnel(combination: .smoothgrad))
    public static let vargrad = Method(NoiseTunnel(combination: .vargrad))
}
