import Explain
import Imaging
import Models

/// What a user asks of an explanation (CLI flags and HTTP parameters alike).
public struct ExplainOptions: Sendable {
    public var method: Method = .gradcam
    /// The method's parameters (nil fields: its defaults).
    public var parameters = MethodParameters()
    /// Class indices or labels; empty means the `topClasses` most likely classes.
    public var classes: [String] = []
    /// With no `classes`, how many of the most likely classes are explained, most likely first
    /// (from the explanation's own forward pass), in `classCountRange`.
    public var topClasses = 1
    /// Layer names (tensor, node or alias); several are fused; empty means the model's default.
    public var layers: [String] = []
    /// Explain the dilated equivalent of the network (pooling before the layer removed).
    public var dilate = false
    public var colormap: Colormap = .default
    public var alpha: Float = Image.defaultOverlayAlpha
    /// Number of predictions listed.
    public var top = 5
    /// Longest side of the rendered overlay and guided images (aspect kept); larger inputs are
    /// drawn on a copy resized to fit, so rendering costs at most this many pixels squared.
    public var maxSide = ExplainOptions.defaultMaxSide
    /// Faithfulness metrics computed for each class's map (none by default: they cost forward passes).
    public var metrics: [FaithfulnessMetric] = []
    /// The seed of the metrics' noise (ROAD's imputation), in `SanityOptions.seedRange`.
    public var metricsSeed: UInt64 = 0
    /// The object's box, for `pointing-game`.
    public var box: ObjectBox?

    /// Default `maxSide`: 4096 (a 48 MB RGB8 canvas at most).
    public static let defaultMaxSide = 4096
    /// Accepted `maxSide` values, within what the PNG writer takes (`Image.maxPNGSide`).
    public static let maxSideRange = 1...16384
    /// Classes one explanation may explain (each is one more backward pass's seed).
    public static let classCountRange = 1...64
    /// Accepted `top` values (predictions listed), for explanations and predictions alike.
    public static let topRange = 1...1000

    /// Checks a `top` value; the message says what is accepted.
    public static func validate(top: Int) throws(ModelError) {
        guard topRange.contains(top) else {
            throw .invalidRequest("top must be between \(topRange.lowerBound) and \(topRange.upperBound), got \(top)")
        }
    }

    public init() {}

    /// The metrics `names` name, in order, once each; an unknown name is an error naming the known ones.
    public static func metrics(named names: [String]) throws(ModelError) -> [FaithfulnessMetric] {
        var metrics: [FaithfulnessMetric] = []
        for name in names {
            guard let metric = FaithfulnessMetric(rawValue: name) else {
                throw .invalidRequest("unknown metric '\(name.prefix(64))'; metrics: \(FaithfulnessMetric.allNames.joined(separator: ", "))")
            }
            if !metrics.contains(metric) { metrics.append(metric) }
        }
        return metrics
    }

    /// Checks the values a user can get wrong; the message says what is accepted.
    public func validate() throws(ModelError) {
        guard alpha >= 0 && alpha <= 1 && alpha.isFinite else {
            throw .invalidRequest("alpha must be between 0 and 1, got \(alpha)")
        }
        try Self.validate(top: top)
        guard Self.classCountRange.contains(classes.count) || classes.isEmpty else {
            throw .invalidRequest("at most \(Self.classCountRange.upperBound) classes per request, got \(classes.count)")
        }
        guard Self.classCountRange.contains(topClasses) else {
            throw .invalidRequest("the top classes explained must be between \(Self.classCountRange.lowerBound) and \(Self.classCountRange.upperBound), got \(topClasses)")
        }
        guard layers.count <= 16 else { throw .invalidRequest("at most 16 layers per request, got \(layers.count)") }
        guard Self.maxSideRange.contains(maxSide) else {
            throw .invalidRequest("max_side must be between \(Self.maxSideRange.lowerBound) and \(Self.maxSideRange.upperBound), got \(maxSide)")
        }
        guard SanityOptions.seedRange.contains(metricsSeed) else {
            throw .invalidRequest("metrics_seed must be an integer in \(SanityOptions.seedRange.lowerBound)...\(SanityOptions.seedRange.upperBound), got \(metricsSeed)")
        }
        guard metrics.contains(.pointingGame) == (box != nil) else {
            throw .invalidRequest(box == nil ? "metric pointing-game needs the object's box: box=x0,y0,x1,y1 in image pixels"
                                             : "box is read only by the pointing game: add pointing-game to metrics")
        }
        do { try parameters.validate() } catch { throw .invalidRequest(error.description) }
    }
}

/// Time spent per stage of one request.
public struct PipelineTimings: Sendable, Equatable {
    public var decode: Duration = .zero
    public var preprocess: Duration = .zero
    public var forward: Duration = .zero
    public var backward: Duration = .zero
    public var map: Duration = .zero
    /// Faithfulness metrics (their forward passes included), when asked.
    public var metrics: Duration = .zero
    public var encode: Duration = .zero

    public init() {}

    public var total: Duration { decode + preprocess + forward + backward + map + metrics + encode }

    /// Stage names and durations in pipeline order (`metrics` only when metrics ran).
    public var stages: [(name: String, duration: Duration)] {
        [("decode", decode), ("preprocess", preprocess), ("forward", forward), ("backward", backward), ("map", map)]
            + (metrics > .zero ? [("metrics", metrics)] : []) + [("encode", encode)]
    }
}
