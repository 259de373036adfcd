import Tensor

/// Integrated gradients (Sundararajan et al.), as Captum's `IntegratedGradients` with its
/// default `method="gausslegendre"`: `a = (x − b) ⊙ Σ_i w_i ∂S_k/∂x (b + α_i (x − b))`, the
/// path integral of the gradient from the baseline `b` to the input `x` by Gauss–Legendre
/// quadrature on `steps` points (`GaussLegendre`), `[C, H, W]` per class.
///
/// Parameters: `steps` (Captum's `n_steps`, default 50), `baseline` (default `black`, Captum's
/// zeros; `BaselineInput`), `seed` (the uniform-noise baseline's draws). The `steps` points
/// run through the network in batches the memory budget allows, each batch one forward pass
/// and one backward pass per class (`Evidence.forEachInputGradient`).
struct IntegratedGradients: ExplanationMethod {
    var name: String { "integrated-gradients" }
    var attributesInput: Bool { true }
    var summary: String { "Integrated gradients: the input gradient integrated from a baseline to the input; no layer" }
    var needs: MethodNeeds { MethodNeeds() }

    static let defaultSteps = 50

    func parameters(_ requested: MethodParameters) -> [String: ParameterValue] {
        var used: [String: ParameterValue] = [
            "steps": .int(requested.steps ?? Self.defaultSteps),
            "baseline": .string((requested.baseline ?? .black).rawValue),
            "quadrature": .string("gausslegendre"),
        ]
        if requested.baseline == .uniformNoise { used["seed"] = requested.seedValue }
        return used
    }

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        let parameters = evidence.parameters
        var generator = WeightGenerator(seed: parameters.seedOrDefault)
        let baseline = (parameters.baseline ?? .black).values(for: evidence.input, generator: &generator)
        let x = evidence.input.floats
        let (points, weights) = GaussLegendre.unitInterval(parameters.steps ?? Self.defaultSteps)
        var sums = [[Double]](repeating: [Double](repeating: 0, count: x.count), count: evidence.classes.count)
        try evidence.forEachInputGradient(count: points.count, row: { i, row in
            let alpha = Float(points[i]), start = row.startIndex
            for j in x.indices { row[start + j] = baseline[j] + alpha * (x[j] - baseline[j]) }
        }) { k, i, gradient in
            let start = gradient.startIndex
            for j in x.indices { sums[k][j] += weights[i] * Double(gradient[start + j]) }
        }
        return evidence.classes.indices.map { k in
            let attribution = x.indices.map { j in (x[j] - baseline[j]) * Float(sums[k][j]) }
            return InputAttribution.explanation(evidence, k, name: "integrated_gradients", values: InputAttribution.tensor(evidence, attribution))
        }
    }
}

extension Method {
    public static let integratedGradients = Method(IntegratedGradients())
}
