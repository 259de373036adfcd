import Foundation
import Models

/// The one JSON encoding of the documents, used by the CLI and the HTTP API alike.
public enum DocumentEncoding {
    public static func json<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return Array(try encoder.encode(value))
    }

    public static func string<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try json(value), as: UTF8.self)
    }
}
