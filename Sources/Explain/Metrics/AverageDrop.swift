/// Average drop and increase in confidence (Chattopadhyay et al., "Grad-CAM++", 2018) for one
/// image: with `Y` the class probability of the input and `O` that of the input times its map
/// (`ConfidenceChange`), `drop = 100 · max(0, Y − O) / Y` (percent; lower is better) and
/// `increase = O > Y`. Averaged over a data set these are the paper's numbers.
public struct AverageDrop: Codable, Sendable, Equatable {
    /// Percent of the confidence lost; null when `Y` is 0 (nothing to lose).
    public var drop: Float?
    public var increase: Bool

    init(_ context: MetricContext, explanationScore: Float) {
        let y = context.baseline
        drop = y > 0 ? 100 * max(0, y - explanationScore) / y : nil
        increase = explanationScore > y
    }
}
