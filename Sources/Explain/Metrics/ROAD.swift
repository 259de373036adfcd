/// ROAD (Rong, Leemann et al., "A Consistent and Efficient Evaluation Strategy for Attribution
/// Methods", 2022) as pytorch-grad-cam's `ROADCombined` computes it. At each percentile `p`:
///
/// - most relevant first (MoRF): keep the pixels whose map value is below the map's `p`-th
///   percentile (numpy's linear interpolation), impute the others (`NoisyLinearImputer`);
/// - least relevant first (LeRF): the same with `1 − map`;
///
/// each reported as the class probability after imputation minus before (a faithful map
/// makes MoRF fall and LeRF stay), and `combined = (mean LeRF − mean MoRF) / 2`, higher is
/// better. Noise is drawn from one seeded stream, LeRF's percentiles first and then MoRF's,
/// ascending: the order of the reference's calls, so it can be fed the same numbers.
public struct ROADScores: Codable, Sendable, Equatable {
    public var percentiles: [Int]
    /// Probability change per percentile, most relevant pixels removed.
    public var mostRelevantFirst: [Float]
    /// Probability change per percentile, least relevant pixels removed.
    public var leastRelevantFirst: [Float]
    public var combined: Float
    /// The imputation noise's standard deviation.
    public var noise: Float
    public var seed: UInt64

    enum CodingKeys: String, CodingKey {
        case percentiles, mostRelevantFirst = "most_relevant_first", leastRelevantFirst = "least_relevant_first"
        case combined, noise, seed
    }

    /// pytorch-grad-cam's default percentiles.
    public static let defaultPercentiles = [10, 20, 30, 40, 50, 60, 70, 80, 90]

    static func evaluate(_ context: MetricContext, seed: UInt64, percentiles: [Int] = defaultPercentiles) throws -> ROADScores {
        var noise = GaussianNoise(seed: seed)
        let inverse = context.map.map { 1 - $0 }
        var images: [[Float]] = []
        for relevance in [inverse, context.map] {  // LeRF, then MoRF
            let sorted = relevance.sorted()
            for p in percentiles {
                try context.cancellation?.check()
                let threshold = Self.percentile(sorted, p)
                images.append(try NoisyLinearImputer.impute(
                    context.input, channels: context.channels, height: context.height, width: context.width,
                    kept: relevance.map { $0 < threshold }, noise: &noise))
            }
        }
        let changes = try context.probabilities(images).map { $0 - context.baseline }
        let lerf = Array(changes[..<percentiles.count]), morf = Array(changes[percentiles.count...])
        let mean = { (values: [Float]) in values.reduce(0, +) / Float(values.count) }
        return ROADScores(percentiles: percentiles, mostRelevantFirst: morf, leastRelevantFirst: lerf,
                          combined: (mean(lerf) - mean(morf)) / 2, noise: Float(NoisyLinearImputer.noise), seed: seed)
    }

    /// numpy's `percentile(values, p)` (linear interpolation, in Float as numpy computes it for
    /// float32) of ascending `sorted` values.
    static func percentile(_ sorted: [Float], _ p: Int) -> Float {
        let index = Double(p) / 100 * Double(sorted.count - 1)
        let lower = Int(index.rounded(.down)), t = index - Double(lower)
        let a = sorted[lower], b = sorted[min(lower + 1, sorted.count - 1)], d = b - a
        return t < 0.5 ? a + d * Float(t) : b - d * Float(1 - t)
    }
}
