/// The plain answer for one method. Rule: the mean, over the cascade's steps (step 0 left out),
/// of Spearman's ρ between the absolute maps of the randomized and the original network —
/// Quantus's MPRT average correlation — at or above `threshold` means the map survives the
/// randomization of most of the network: the method is insensitive to the model's weights.
/// An undefined ρ (the map went flat) counts as 0: nothing of the original map is left.
public enum SanityVerdict: String, Sendable, Codable {
    case dependsOnWeights = "depends on the model's weights"
    case insensitive = "insensitive: do not trust it for this model"

    /// The mean Spearman's ρ (absolute maps) over the cascade at or above which a method fails.
    public static let threshold = 0.5

    /// The mean Spearman's ρ of the absolute maps over steps 1...n of `curve` (nil without steps).
    public static func meanCorrelation(_ curve: [Similarities]) -> Double? {
        let steps = curve.dropFirst()
        guard !steps.isEmpty else { return nil }
        return steps.reduce(0) { $0 + ($1.spearmanAbs ?? 0) } / Double(steps.count)
    }

    /// The verdict on a method's curve (step 0, the original network, first).
    public init(curve: [Similarities]) {
        self = (Self.meanCorrelation(curve) ?? 0) >= Self.threshold ? .insensitive : .dependsOnWeights
    }
}
