/// The pointing game (Zhang et al., "Top-down Neural Attention by Excitation Backprop",
/// 2016) as Quantus's `PointingGame` computes it (no tolerance margin): a hit when a pixel
/// where the map (at the input's resolution) reaches its maximum lies on the target.
public struct PointingGame: Codable, Sendable, Equatable {
    public var hit: Bool

    /// `target`: the object's pixels at the input's resolution, row-major.
    init(_ context: MetricContext, target: [Bool]) {
        let top = context.map.max() ?? 0
        hit = zip(context.map, target).contains { $0 == top && $1 }
    }
}
