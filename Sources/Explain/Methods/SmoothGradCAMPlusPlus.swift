import Tensor

/// Smooth Grad-CAM++ (Omeiza et al.), as torch-cam 0.5 computes it
/// (`torchcam.methods.SmoothGradCAMpp`). With `n` noisy copies `x_i = x + σ z_i` of the
/// preprocessed input (`samples`, default 4; `noise_level` `σ`, default 0.3; `z_i` standard
/// normal) and `G_i = ∂S_k/∂A(x_i)` at the layer, per class `k`, channel `c` and pixel `ij`:
///
///     D₂ = (1/n) Σ_i G_i²,   D₃ = (1/n) Σ_i G_i³
///     α[c, ij] = D₂ / (2 D₂ + Σ_ab A[c, ab] · D₃[c, ab] + 1e-8)      (A: the input's activations)
///     w[k, c] = Σ_ij α[c, ij] · ReLU(G_n[c, ij])
///     map = ReLU(Σ_c w[k, c] · A(x_n)[c])
///
/// As torch-cam does, the last term's gradient `G_n` and the activations the map combines are
/// the last noisy copy's (its hooks keep the last pass's), not the clean input's.
///
/// The copies are `NoisyCopies` (torch-cam draws one `[1, C, H, W]` block per sample, in that order). The `n` passes
/// (a forward and a backward pass per class each) run in batches the memory budget allows
/// (`Evidence.forEachLayerEvidence`); it declares `scores` since it runs passes of other
/// inputs, which keeps it out of the batched path of `Explainer+Batch.swift`.
struct SmoothGradCAMPlusPlus: ExplanationMethod {
    static let defaultSamples = 4
    static let defaultNoiseLevel: Float = 0.3

    var name: String { "smoothgradcam++" }
    var summary: String { "Smooth Grad-CAM++: Grad-CAM++'s pixel weights from gradients averaged over noisy copies of the input (torch-cam; seeded)" }
    var needs: MethodNeeds { MethodNeeds(layerActivations: true, scores: true) }

    func parameters(_ requested: MethodParameters) -> [String: ParameterValue] {
        ["samples": .int(requested.samples ?? Self.defaultSamples),
         "noise_level": .number(Double(requested.noiseLevel ?? Self.defaultNoiseLevel)), "seed": requested.seedValue]
    }

    /// One layer's sums over the noisy copies, `[K, C, h, w]` each, and the last copy's evidence.
    private struct Moments {
        var squares: [Double], cubes: [Double]
        var last: LayerEvidence?
    }

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        var copies = NoisyCopies(evidence, defaultSamples: Self.defaultSamples, defaultNoiseLevel: Self.defaultNoiseLevel)
        let samples = copies.samples, targets = evidence.classes.count
        var moments = evidence.layers.map { layer in
            let zeros = [Double](repeating: 0, count: targets * layer.activations.values.count)
            return Moments(squares: zeros, cubes: zeros, last: nil)
        }
        try evidence.forEachLayerEvidence(count: samples, row: { _, row in copies.write(into: &row) }) { i, layers in
            for (l, layer) in layers.enumerated() {
                let g = try layer.requireGradients()
                for j in g.indices {
                    let v = Double(g[j]), square = v * v
                    moments[l].squares[j] += square
                    moments[l].cubes[j] += square * v
                }
                if i == samples - 1 { moments[l].last = layer }
            }
        }
        return evidence.explanations(try evidence.layerMaps { layer in
            guard let l = evidence.layers.firstIndex(where: { $0.layer == layer.layer }), let last = moments[l].last else {
                throw ExplainError.internalInconsistency("no noisy passes at layer '\(layer.layer.name)'")
            }
            return last.activations.weightedSum(try Self.weights(moments[l], activations: layer.activations, samples: samples))
        })
    }

    /// `w [K, C]` from one layer's moments and the input's activations `A`.
    private static func weights(_ m: Moments, activations a: LayerActivations, samples: Int) throws -> [Float] {
        let lastGradients = try m.last!.requireGradients()
        let targets = m.squares.count / a.values.count, n = Double(samples)
        var weights = [Float](repeating: 0, count: targets * a.channels)
        for k in 0..<targets {
            for c in 0..<a.channels {
                let base = (k * a.channels + c) * a.plane
                var activationCubes = 0.0
                for i in 0..<a.plane { activationCubes += Double(a.values[c * a.plane + i]) * m.cubes[base + i] / n }
                var total = 0.0
                for i in 0..<a.plane {
                    let d2 = m.squares[base + i] / n
                    let denominator = 2 * d2 + activationCubes + 1e-8
                    if denominator != 0 { total += d2 / denominator * Double(max(lastGradients[base + i], 0)) }
                }
                weights[k * a.channels + c] = Float(total)
            }
        }
        return weights
    }
}

extension Method {
    public static let smoothgradcamPlusPlus = Method(SmoothGradCAMPlusPlus())
}
