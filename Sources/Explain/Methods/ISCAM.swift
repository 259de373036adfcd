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
            let scores = try evidence.maskedInputScores(count: samples * a.channels) { index, plane in
                let (sample, c) = index.quotientAndRemainder(dividingBy: a.channels)
                masks.write(channel: c, scale: coefficients[sample], into: plane)
            }
            // Mean over samples, per target and channel: scores are [K, samples · C].
            let targets = evidence.classes.count
            var weights = [Float](repeating: 0, count: targets * a.channels)
            for k in 0..<targets {
                for c in 0..<a.channels {
                    var sum = 0.0
                    for s in 0..<samples { sum += Double(scores[(k * samples + s) * a.channels + c]) }
                    weights[k * a.channels + c] = Float(sum / Double(samples))
                }
            }
            ScoreCAM.softmaxRows(&weights, width: a.channels)
            return a.weightedSum(weights)
        })
    }
}

/// torch-cam's Score-CAM-family masks: each channel min-max normalized at the layer's
/// resolution (`_CAM._normalize`, eps 1e-8 on the range), then upsampled bilinearly with
/// half-pixel centres (`F.interpolate(..., align_corners=False)`) to the input's `height x width`.
struct TorchCAMMasks {
    let activations: LayerActivations
    let height: Int, width: Int
    /// `N [C, h, w]`, the normalized channels.
    private let normalized: [Float]
    /// The source taps of each output row and column (`taps`).
    private let rows: [(Int, Int, Float)], columns: [(Int, Int, Float)]

    init(_ a: LayerActivations, height: Int, width: Int) {
        activations = a
        self.height = height
        self.width = width
        var n = a.values
        for c in 0..<a.channels {
            let plane = c * a.plane ..< (c + 1) * a.plane
            let lo = n[plane].min() ?? 0
            for i in plane { n[i] -= lo }
            let hi = (n[plane].max() ?? 0) + 1e-8
            for i in plane { n[i] /= hi }
        }
        normalized = n
        rows = Self.taps(output: height, input: a.height)
        columns = Self.taps(output: width, input: a.width)
    }

    /// `scale · U(N_c)` into `out` (`height·width` floats).
    func write(channel c: Int, scale: Float, into out: UnsafeMutableBufferPointer<Float>) {
        let a = activations, base = c * a.plane
        normalized.withUnsafeBufferPointer { v in
            for (y, (y0, y1, ly)) in rows.enumerated() {
                for (x, (x0, x1, lx)) in columns.enumerated() {
                    let top = v[base + y0 * a.width + x0] * (1 - lx) + v[base + y0 * a.width + x1] * lx
                    let bottom = v[base + y1 * a.width + x0] * (1 - lx) + v[base + y1 * a.width + x1] * lx
                    out[y * width + x] = scale * (top * (1 - ly) + bottom * ly)
                }
            }
        }
    }

    /// PyTorch's half-pixel source taps: `src = max((d + 0.5) · in/out − 0.5, 0)`,
    /// `i0 = ⌊src⌋`, `i1 = min(i0 + 1, in − 1)`, weight `src − i0` on `i1`.
    static func taps(output: Int, input: Int) -> [(Int, Int, Float)] {
        let scale = Float(input) / Float(output)
        return (0..<output).map { d in
            let source = max((Float(d) + 0.5) * scale - 0.5, 0)
            let i0 = min(Int(source), input - 1)
            return (i0, min(i0 + 1, input - 1), source - Float(i0))
        }
    }
}

extension Method {
    public static let iscam = Method(ISCAM())
}
