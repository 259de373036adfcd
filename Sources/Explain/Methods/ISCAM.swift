import Foundation

/// IS-CAM (Naidu et al.), as torch-cam 0.5 computes it (`torchcam.methods.ISCAM`):
///
/// 1. each activation channel is min-max normalized at the layer's resolution,
///    `N_c = (A_c − min A_c) / (max A_c − min A_c + 1e-8)`, then upsampled to the input size
///    (bilinear, half-pixel: `F.interpolate(align_corners=False)`), giving `M_c`;
/// 2. for `i = 1…n` (`samples`, default 10) the model scores `γ_i · (x ⊙ M_c)` with
///    `γ_i = Σ_{j=1…i} j / n` (torch-cam's running coefficient, which grows past 1);
/// 3. `w[k, c] = softmax_c( (1/n) Σ_i s_i[c, class_k] )` (torch-cam subtracts the clean input's
///    score first, which a softmax ignores); the map is `ReLU(Σ_c w[k, c] A_c)`.
///
/// Where it differs from pytorch-grad-cam's Score-CAM (`ScoreCAM.swift`): normalization before
/// upsampling rather than after, and half-pixel rather than corner-aligned upsampling.
/// A dead channel's masks are all zero at every `i`: they share one pass.
struct ISCAM: ExplanationMethod {
    static let defaultSamples = 10

    var name: String { "iscam" }
    var summary: String { "IS-CAM: Score-CAM with each channel's score integrated over scaled copies of its masked input (torch-cam)" }
    var needs: MethodNeeds { MethodNeeds(layerActivations: true, scores: true) }

    func parameters(_ requested: MethodParameters) -> [String: ParameterValue] {
        ["samples": .int(requested.samples ?? Self.defaultSamples)]
    }

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        let samples = evidence.parameters.samples ?? Self.defaultSamples
        return evidence.explanations(try evidence.layerMaps { layer in
            let a = layer.activations
            let masks = TorchCAMMasks(a, height: evidence.input.shape[2], width: evidence.input.shape[3])
            var coefficients: [Float] = []
            var total = 0.0
            for i in 1...samples {
                total += Double(i) / Double(samples)
                coefficients.append(Float(total))
            }
            let weights = try masks.sampledScoreWeights(samples: samples, evidence) { sample, c, plane in
                masks.write(channel: c, scale: coefficients[sample], into: plane)
            }
            return a.weightedSum(weights)
        })
    }
}

extension Method {
    public static let iscam = Method(ISCAM())
}
