/// pytorch-grad-cam's `CamMultImageConfidenceChange`: the class probability of the input
/// times its map (`x ⊙ map`, the map broadcast over channels) minus that of the input. A map
/// that keeps what the class needs loses little (or gains).
public struct ConfidenceChange: Codable, Sendable, Equatable {
    /// The class probability of the input.
    public var score: Float
    /// The class probability of the input times the map.
    public var explanationScore: Float
    /// `explanationScore − score`.
    public var change: Float

    enum CodingKeys: String, CodingKey {
        case score, explanationScore = "explanation_score", change
    }

    init(_ context: MetricContext, explanationScore: Float) {
        score = context.baseline
        self.explanationScore = explanationScore
        change = explanationScore - context.baseline
    }
}
