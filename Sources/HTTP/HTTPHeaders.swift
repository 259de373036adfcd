/// An ordered list of header fields with case-insensitive name lookup.
///
/// Order and duplicates are kept as received, because some fields (such as
/// `Set-Cookie`) may legitimately repeat and because proxies care about order.
/// Names compare ASCII case-insensitively, as RFC 9110 §5.1 requires.
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Element = (name: String, value: String)

    private var fields: [Element]

    public init(_ fields: [Element] = []) {
        self.fields = fields
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.fields = elements.map { (name: $0.0, value: $0.1) }
    }

    /// The number of fields, counting repeated names separately.
    public var count: Int { fields.count }

    public func makeIterator() -> IndexingIterator<[Element]> {
        fields.makeIterator()
    }

    /// The value of the first field named `name`; setting replaces every field with
    /// that name by one field (or removes them all when set to `nil`).
    public subscript(name: String) -> String? {
        get { fields.first { Self.namesMatch($0.name, name) }?.value }
        set {
            let position = fields.firstIndex { Self.namesMatch($0.name, name) } ?? fields.count
            remove(name)
            if let newValue {
                fields.insert((name: name, value: newValue), at: position)
            }
        }
    }

    /// Every value of the fields named `name`, in order.
    public func values(for name: String) -> [String] {
        fields.filter { Self.namesMatch($0.name, name) }.map(\.value)
    }

    /// Every comma-separated element of the fields named `name`, trimmed of spaces
    /// and tabs, with empty elements dropped (the list syntax of RFC 9110 §5.6.1).
    public func listValues(for name: String) -> [String] {
        values(for: name).flatMap { value in
            value.split(separator: ",").map { $0.trimmingHTTPWhitespace() }.filter { !$0.isEmpty }
        }
    }

    public func contains(_ name: String) -> Bool {
        fields.contains { Self.namesMatch($0.name, name) }
    }

    /// Appends a field, keeping any existing fields with the same name.
    public mutating func add(name: String, value: String) {
        fields.append((name: name, value: value))
    }

    /// Removes every field named `name`.
    public mutating func remove(_ name: String) {
        fields.removeAll { Self.namesMatch($0.name, name) }
    }

    /// ASCII case-insensitive comparison of two field names.
    static func namesMatch(_ lhs: String, _ rhs: String) -> Bool {
        lhs.equalsIgnoringASCIICase(rhs)
    }
}

/// Lowercases one ASCII letter byte and leaves every other byte alone.
@inline(__always)
func asciiLowercase(_ byte: UInt8) -> UInt8 {
    (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte
}

extension StringProtocol {
    /// The string without leading and trailing spaces and horizontal tabs (HTTP's OWS).
    func trimmingHTTPWhitespace() -> String {
        let isOWS: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isOWS($0) }), let last = lastIndex(where: { !isOWS($0) }) else {
            return ""
        }
        return String(self[first...last])
    }

    /// ASCII case-insensitive equality, for tokens such as `chunked` or `close`.
    func equalsIgnoringASCIICase(_ other: some StringProtocol) -> Bool {
        utf8.count == other.utf8.count && zip(utf8, other.utf8).allSatisfy { asciiLowercase($0) == asciiLowercase($1) }
    }
}
