import COpenSSL
import Foundation

/// API keys from a file (one per line; blank lines and lines starting with `#` are
/// ignored), reloadable while the server runs (on SIGHUP).
///
/// Keys are compared in constant time: the request's key and every stored key are
/// hashed with SHA-256 and all digests are compared in full, so neither the position of
/// the first differing byte nor the key's length shows in the timing. Keys are never logged.
public final class APIKeys: @unchecked Sendable {
    public enum Failure: Error, CustomStringConvertible {
        case unreadable(path: String)
        case empty(path: String)

        public var description: String {
            switch self {
            case let .unreadable(path): "cannot read the API key file '\(path)'"
            case let .empty(path): "the API key file '\(path)' holds no key"
            }
        }
    }

    public let path: String
    private let lock = NSLock()
    private var digests: [[UInt8]] = []

    /// Reads the key file; throws if it cannot be read or holds no key.
    public init(path: String) throws {
        self.path = path
        try reload()
    }

    /// Number of keys loaded.
    public var count: Int { lock.withLock { digests.count } }

    /// Rereads the file. On failure the keys in use stay in use.
    public func reload() throws {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw Failure.unreadable(path: path)
        }
        let keys = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard !keys.isEmpty else { throw Failure.empty(path: path) }
        let hashed = keys.map { Self.digest(Array($0.utf8)) }
        lock.withLock { digests = hashed }
    }

    /// Whether an `Authorization` header value carries a valid key: `Bearer <key>`, or, when
    /// `basic` allows it, HTTP Basic (RFC 7617) with the key as the password and any user name
    /// (how Label Studio authenticates to an ML backend: its `basic_auth_user`/`basic_auth_pass`).
    public func accepts(authorization: String?, basic: Bool = false) -> Bool {
        guard let authorization else { return false }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2 else { return false }
        let credentials = parts[1].trimmingCharacters(in: .whitespaces)
        switch parts[0].lowercased() {
        case "bearer":
            return matches(Array(credentials.utf8))
        case "basic" where basic:
            guard let decoded = Data(base64Encoded: credentials), let colon = decoded.firstIndex(of: UInt8(ascii: ":")) else { return false }
            return matches(Array(decoded[(colon + 1)...]))
        default:
            return false
        }
    }

    /// Whether `key` is one of the keys, comparing every stored digest in full.
    private func matches(_ key: [UInt8]) -> Bool {
        let offered = Self.digest(key)
        let stored = lock.withLock { digests }
        var matched = false
        for digest in stored {
            // Both are 32 bytes; CRYPTO_memcmp reads them all whatever they hold.
            matched = (CRYPTO_memcmp(digest, offered, 32) == 0) || matched
        }
        return matched
    }

    private static func digest(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        _ = bytes.withUnsafeBufferPointer { COpenSSL.SHA256($0.baseAddress, $0.count, &out) }
        return out
    }
}
