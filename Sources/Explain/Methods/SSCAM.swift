import Tensor

/// SS-CAM (Wang et al., "Smoothed Score-CAM"), as torch-cam 0.5 computes it
/// (`torchcam.methods.SSCAM`):
///
/// 1. the masks `M_c` of IS-CAM (`TorchCAMMasks`: each channel min-max normalized at the
///    layer's resolution, then upsampled to the input size, half-pixel bilinear);
/// 2. for `i = 1…n` (`samples`, default 35) the model scores `x ⊙ (M_c + σ z_{i,c})`, with
///    `z_{i,c}` standard normal at the input's resolution (`noise_level` `σ`, default 2.0);
/// 3. `w[k, c] = softmax_c( (1/n) Σ_i s_i[c, class_k] )`; the map is `ReLU(Σ_c w[k, c] A_c)`.
///
/// `z_{i,c}` are `WeightGenerator(seed)` normals (`fillNormals`), sample after sample, channel after
/// channel, each plane row-major: torch-cam's order (one `[1, C, H, W]` draw per sample).
/// The noise makes every mask non-zero: `samples · C` passes, batched (`maskedInputScores`).
/// With several layers, the draws go on from one layer to the next, in the request's layer
/// order (torch-cam draws from one stream across its `target_layer` list).
struct SSCAM: ExplanationMethod {
    static let defaultSamples = 35
    static let defaultNoiseLevel: Float = 2

    var name: String { "sscam" }
    var summary: String { "SS-CAM: Score-CAM with each channel's score averaged over noisy copies of its mask (torch-cam; seeded)" }
    var needs: MethodNeeds { MethodNeeds(layerActivations: true, scores: true) }

    func parameters(_ requested: MethodParameters) -> [String: ParameterValue] {
        ["samples": .int(requested.samples ?? Self.defaultSamples),
         "noise_level": .number(Double(requested.noiseLevel ?? Self.defaultNoiseLevel)), "seed": requested.seedValue]
    }

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        let parameters = evidence.parameters
        let samples = parameters.samples ?? Self.defaultSamples
        let sigma = parameters.noiseLevel ?? Self.defaultNoiseLevel
        var generator = WeightGenerator(seed: parameters.seedOrDefault)
        return evidence.explanations(try evidence.layerMaps { layer in
            let a = layer.activations
            let masks = TorchCAMMasks(a, height: evidence.input.shape[2], width: evidence.input.shape[3])
            var noise = [Float](repeating: 0, count: masks.height * masks.width)
            let weights = try masks.sampledScoreWeights(samples: samples, evidence) { _, c, plane in
                masks.write(channel: c, scale: 1, into: plane)
                noise.withUnsafeMutableBufferPointer { generator.fillNormals($0) }
                for p in plane.indices { plane[p] += sigma * noise[p] }
            }
            return a.weightedSum(weights)
        })
    }
}

extension Method {
    public static let sscam = Method(SSCAM())
}
