import Foundation

/// A JSON value of unknown shape, as KServe's protocols send them: tensors whose nesting
/// follows a shape given beside them, and `parameters` whose values may be strings, numbers
/// or booleans. Decoded by `JSONDecoder` (whose nesting limit bounds the recursion).
enum JSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    /// A non-negative integer from 2⁵³ up, which `number` could round (a 64-bit `seed`): kept exact.
    case largeInteger(UInt64)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        if let budget = decoder.userInfo[Budget.key] as? Budget {
            budget.left -= 1
            guard budget.left >= 0 else {
                throw ServiceError(.badRequest, "bad_request", "the request holds more than \(Self.maxValues) JSON values beside the inputs' data; send a few parameters")
            }
        }
        // Numbers first: they are the most common, and a failed attempt costs a thrown error.
        let value = try decoder.singleValueContainer()
        if value.decodeNil() {
            self = .null
        } else if let number = try? value.decode(Double.self) {
            if abs(number) >= 0x1p53, let exact = try? value.decode(UInt64.self) {
                self = .largeInteger(exact)
            } else {
                self = .number(number)
            }
        } else if let flag = try? value.decode(Bool.self) {
            self = .bool(flag)
        } else if let text = try? value.decode(String.self) {
            self = .string(text)
        } else if var items = try? decoder.unkeyedContainer() {
            var array: [JSONValue] = []
            while !items.isAtEnd { array.append(try items.decode(JSONValue.self)) }
            self = .array(array)
        } else {
            let members = try decoder.container(keyedBy: JSONMemberName.self)
            var object: [String: JSONValue] = [:]
            for key in members.allKeys { object[key.stringValue] = try members.decode(JSONValue.self, forKey: key) }
            self = .object(object)
        }
    }

    /// The values left to decode as `JSONValue`s in one ``decode(_:from:what:maxValues:)``: a
    /// text may hold more values than ``maxValues`` only in what its type decodes otherwise
    /// (an FP32 tensor's numbers), and decoding stops once the rest passes it.
    final class Budget: @unchecked Sendable {  // Used by one decode, on one thread.
        static let key = CodingUserInfoKey(rawValue: "JSONValue.Budget")!
        var left = JSONValue.maxValues
    }

    /// Values a KServe request may hold: a few parameters and at most 16 images (up to 64
    /// classes and 16 layers) need far fewer. Checked before decoding, because a decoded value
    /// takes many times the bytes of its text (`[0,0,...]`: 2 bytes each).
    static let maxValues = 1024
    /// Nesting a KServe request may have (tensor data nested as its shape: a few levels).
    static let maxDepth = 32

    /// Parses a JSON text of at most ``maxValues`` values nested at most ``maxDepth`` deep;
    /// `what` names the text in the error (e.g. "the request body").
    static func parse(_ bytes: some Collection<UInt8>, what: String) throws -> JSONValue {
        try decode(JSONValue.self, from: bytes, what: what)
    }

    /// Decodes a JSON text of at most `maxValues` values nested at most ``maxDepth`` deep as `T`.
    static func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>, what: String,
                                     maxValues: Int = JSONValue.maxValues) throws -> T {
        try checkSize(bytes, what: what, maxValues: maxValues)
        do {
            let decoder = JSONDecoder()
            decoder.userInfo[Budget.key] = Budget()
            return try decoder.decode(T.self, from: Data(bytes))
        } catch let refusal as ServiceError {
            throw refusal  // `T` refused what it decoded, saying why.
        } catch {
            throw ServiceError(.badRequest, "bad_request", "\(what) is not valid JSON")
        }
    }

    /// Counts the values (one, plus one per comma and per array or object) and the nesting
    /// of a JSON text outside its strings, and refuses it past the limits.
    private static func checkSize(_ bytes: some Collection<UInt8>, what: String, maxValues: Int) throws {
        var inString = false, escaped = false
        var depth = 0, values = 1
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                values += 1
                guard depth <= maxDepth else {
                    throw ServiceError(.badRequest, "bad_request", "\(what) nests arrays and objects more than \(maxDepth) deep")
                }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            case UInt8(ascii: ","): values += 1
            default: break
            }
            guard values <= maxValues else {
                throw ServiceError(.badRequest, "bad_request", "\(what) holds more than \(maxValues) JSON values; send at most 16 images and a few parameters"
                                   + (maxValues > Self.maxValues ? " (larger image tensors as binary data)" : ""))
            }
        }
    }

    /// The JSON type's name, for messages.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number, .largeInteger: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// The value as an integer, when it is a number without a fraction within `Int`'s range.
    var integer: Int? {
        if case let .largeInteger(value) = self { return Int(exactly: value) }
        guard case let .number(value) = self, value.rounded() == value, abs(value) < 0x1p62 else { return nil }
        return Int(value)
    }

    /// A parameter value as the text a query parameter would carry: strings as they are,
    /// integers without a fraction, booleans as `true`/`false`; `nil` for null, arrays and objects.
    var parameterText: String? {
        switch self {
        case let .string(text): text
        case let .bool(flag): flag ? "true" : "false"
        case let .number(value): integer.map(String.init) ?? String(value)
        case let .largeInteger(value): String(value)
        case .null, .array, .object: nil
        }
    }
}

/// Any member name of a JSON object.
struct JSONMemberName: CodingKey {
    let stringValue: String
    init(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}
