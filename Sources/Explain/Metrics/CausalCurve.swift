/// RISE's deletion and insertion games (Petsiuk et al., "RISE", 2018; their `CausalMetric`):
/// pixels go from a `start` image to a `finish` image in order of decreasing map value
/// (ties by raster order), `pixelsPerStep = ⌈H·W / steps⌉` at a time (all channels), and the
/// class probability is read before the first step and after each:
///
///     curve[i], i = 0...n,   auc = (Σ curve − curve[0]/2 − curve[n]/2) / n
///
/// (the trapezoid rule over the fraction of pixels moved). Deletion goes from the input to
/// zeros (lower is better); insertion from the input blurred (`RISEBlur`) to the input
/// (higher is better). RISE moves 224 pixels per step on a 224 x 224 input (224 passes); we
/// take `defaultSteps` steps.
public struct CausalCurve: Codable, Sendable, Equatable {
    public var auc: Float
    public var steps: Int
    public var pixelsPerStep: Int
    /// What the pixels are replaced by (deletion) or taken from at first (insertion).
    public var baseline: String
    /// The class probability after `i` steps, `i = 0...steps`.
    public var curve: [Float]

    enum CodingKeys: String, CodingKey {
        case auc, steps, pixelsPerStep = "pixels_per_step", baseline, curve
    }

    /// Steps per game: 32 forward passes (and one) per game.
    public static let defaultSteps = 32

    /// The deletion game: from the input to zeros.
    static func deletion(_ context: MetricContext, steps: Int = defaultSteps) throws -> CausalCurve {
        try play(context, from: context.input, to: [Float](repeating: 0, count: context.input.count),
                 baseline: "zeros", steps: steps)
    }

    /// The insertion game: from the input blurred to the input.
    static func insertion(_ context: MetricContext, steps: Int = defaultSteps) throws -> CausalCurve {
        let blurred = RISEBlur.blurred(context.input, channels: context.channels, height: context.height, width: context.width)
        return try play(context, from: blurred, to: context.input, baseline: "blur", steps: steps)
    }

    private static func play(_ context: MetricContext, from start: [Float], to finish: [Float], baseline: String,
                             steps requested: Int) throws -> CausalCurve {
        let pixels = context.pixels, map = context.map
        let perStep = (pixels + requested - 1) / requested
        let steps = (pixels + perStep - 1) / perStep
        let order = (0..<pixels).sorted { map[$0] > map[$1] || (map[$0] == map[$1] && $0 < $1) }
        var images = [start]
        var image = start
        for i in 0..<steps {
            for p in order[i * perStep ..< min(pixels, (i + 1) * perStep)] {
                for c in 0..<context.channels { image[c * pixels + p] = finish[c * pixels + p] }
            }
            images.append(image)
        }
        let curve = try context.probabilities(images)
        let sum = curve.reduce(0.0) { $0 + Double($1) }
        let auc = (sum - Double(curve[0]) / 2 - Double(curve[steps]) / 2) / Double(steps)
        return CausalCurve(auc: Float(auc), steps: steps, pixelsPerStep: perStep, baseline: baseline, curve: curve)
    }
}
