import Explain
import Models

/// What a user asks of a sanity check (`gradcam sanity` flags and `POST /sanity` parameters).
public struct SanityOptions: Sendable {
    /// Adebayo et al.'s three: the class map, and the two guided ones.
    public static let defaultMethods: [Method] = [.gradcam, .guidedBackprop, .guidedGradcam]
    /// Quantus's default seed for its randomisation test.
    public static let defaultSeed: UInt64 = 42
    /// Seeds are integers a JSON number carries exactly (JavaScript's safe integers).
    public static let seedRange: ClosedRange<UInt64> = 0...(1 << 53 - 1)

    public var methods = SanityOptions.defaultMethods
    /// At most one class, by index or label; empty means the original network's top-1 class.
    public var classes: [String] = []
    /// Layer names (tensor, node or alias); empty means the model's default.
    public var layers: [String] = []
    public var seed = SanityOptions.defaultSeed

    public init() {}

    /// Parses a comma-separated method list; the message names every accepted method.
    public static func methods(_ names: [String]) throws(ModelError) -> [Method] {
        var methods: [Method] = []
        for name in names {
            guard let method = Method(named: name) else {
                throw .invalidRequest("unknown method '\(name.prefix(64))'; methods: \(Method.allNames.joined(separator: ", "))")
            }
            guard !methods.contains(method) else { throw .invalidRequest("method '\(name)' is named twice") }
            methods.append(method)
        }
        guard !methods.isEmpty else { throw .invalidRequest("name at least one method; methods: \(Method.allNames.joined(separator: ", "))") }
        return methods
    }

    /// Parses a seed; the message says what is accepted.
    public static func seed(_ text: String) throws(ModelError) -> UInt64 {
        guard let seed = UInt64(text), seedRange.contains(seed) else {
            throw .invalidRequest("seed must be an integer in \(seedRange.lowerBound)...\(seedRange.upperBound), got '\(text.prefix(64))'")
        }
        return seed
    }

    /// Checks the values a user can get wrong; the message says what is accepted.
    public func validate() throws(ModelError) {
        _ = try Self.methods(methods.map(\.name))
        guard classes.count <= 1 else {
            throw .invalidRequest("the sanity check explains one class, got \(classes.count)")
        }
        guard layers.count <= 16 else { throw .invalidRequest("at most 16 layers per request, got \(layers.count)") }
        guard Self.seedRange.contains(seed) else {
            throw .invalidRequest("seed must be an integer in \(Self.seedRange.lowerBound)...\(Self.seedRange.upperBound), got \(seed)")
        }
    }
}
