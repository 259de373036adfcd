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

    /// torch-cam's sampled score weights `[K, C]` (IS-CAM, SS-CAM): the model scores
    /// `x ⊙ m_{i,c}` for every sample `i < samples` and channel `c`, where `mask(i, c, plane)`
    /// writes `m_{i,c}` (`height·width` floats, zeroed before each call; called sample after
    /// sample, channel after channel), batched by `Evidence.maskedInputScores`; then
    /// `w[k, c] = softmax_c( (1/n) Σ_i s_i[c, class_k] )`. (torch-cam subtracts the clean input's
    /// score from each, which a softmax ignores.)
    func sampledScoreWeights(samples: Int, _ evidence: Evidence,
                             mask: (_ sample: Int, _ channel: Int, _ plane: UnsafeMutableBufferPointer<Float>) -> Void) throws -> [Float] {
        let channels = activations.channels
        let scores = try evidence.maskedInputScores(count: samples * channels) { index, plane in
            let (sample, c) = index.quotientAndRemainder(dividingBy: channels)
            mask(sample, c, plane)
        }
        // Mean over samples, per target and channel: scores are [K, samples · C].
        var weights = [Float](repeating: 0, count: evidence.classes.count * channels)
        for k in evidence.classes.indices {
            for c in 0..<channels {
                var sum = 0.0
                for s in 0..<samples { sum += Double(scores[(k * samples + s) * channels + c]) }
                weights[k * channels + c] = Float(sum / Double(samples))
            }
        }
        ScoreCAM.softmaxRows(&weights, width: channels)
        return weights
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
