/// A faithfulness metric: how much the model's confidence in a class follows its map. Names
/// are the CLI's `--metrics` and the HTTP API's `metrics` values, and the keys of an
/// explanation's `"metrics"` object.
public enum FaithfulnessMetric: String, CaseIterable, Sendable, Codable {
    /// ROAD (Rong, Leemann et al.): remove and impute the most or least relevant pixels.
    case road
    /// pytorch-grad-cam's `CamMultImageConfidenceChange`: the input times the map.
    case confidenceChange = "confidence-change"
    /// RISE's deletion game (Petsiuk et al.): pixels set to zero, most relevant first.
    case deletion
    /// RISE's insertion game: pixels of the image put into a blurred copy, most relevant first.
    case insertion
    /// Average drop and increase in confidence (Chattopadhyay et al., Grad-CAM++).
    case averageDrop = "average-drop"
    /// The pointing game (Zhang et al.): whether the map's maximum lies on the object.
    case pointingGame = "pointing-game"

    public static var allNames: [String] { allCases.map(\.rawValue) }
}

/// Why a metric cannot be computed.
public enum FaithfulnessError: Error, Equatable, CustomStringConvertible {
    /// The model's input is too large for the metric's memory budget.
    case inputTooLarge(metric: String, String)
    /// The pointing game was asked for without a target region.
    case noTarget

    public var description: String {
        switch self {
        case let .inputTooLarge(metric, reason): "metric '\(metric)' cannot be computed for this model: \(reason)"
        case .noTarget: "metric 'pointing-game' needs the object's box"
        }
    }
}
