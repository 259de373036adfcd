/// A parsed media type such as `multipart/form-data; boundary=x` (RFC 9110 §8.3.1).
public struct MediaType: Sendable, Equatable {
    /// The top-level type, lowercased, e.g. `multipart`.
    public var type: String
    /// The subtype, lowercased, e.g. `form-data`.
    public var subtype: String
    /// Parameters by lowercased name; values keep their case (a boundary is case-sensitive).
    public var parameters: [String: String]

    /// Parses a `Content-Type` value; `nil` if it is not `type/subtype *(; parameter)`.
    public init?(_ text: String) {
        guard let (value, parameters) = HeaderParameters.parse(text) else { return nil }
        let pieces = value.split(separator: "/", omittingEmptySubsequences: false)
        guard pieces.count == 2, !pieces[0].isEmpty, !pieces[1].isEmpty else { return nil }
        self.type = String(pieces[0])
        self.subtype = String(pieces[1])
        self.parameters = parameters
    }

    /// `type/subtype` without parameters.
    public var essence: String { "\(type)/\(subtype)" }
}
