import ClientText

/// An absolute `http://` or `https://` URL as the fetcher accepts it: no user information, a
/// port in 1...65535 (default 80, or 443 for https), a host name or an IP literal (IPv6 in
/// brackets). The path keeps its query; a fragment is dropped. Only printable ASCII without
/// spaces is accepted.
public struct FetchURL: Sendable, Equatable, CustomStringConvertible {
    /// `https://`: fetched over TLS (``FetchTLSSession``).
    public let secure: Bool
    /// Lowercased; an IPv6 literal without its brackets.
    public let host: String
    public let port: Int
    /// The request target: `/` and on.
    public let target: String

    /// URLs longer than this are refused (browsers stop near 2 KB for links; 8 KiB is generous).
    public static let maximumLength = 8192

    public init(_ text: String) throws(FetchError) {
        guard text.utf8.count <= Self.maximumLength else { throw .refused("the URL is longer than \(Self.maximumLength) bytes") }
        guard text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .refused("the URL has a space, a control character or non-ASCII text")
        }
        let lower = text.lowercased()
        secure = lower.hasPrefix("https://")
        guard secure || lower.hasPrefix("http://") else { throw .refused("only http:// and https:// URLs are fetched") }
        var rest = Substring(text.dropFirst(secure ? "https://".count : "http://".count))
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let path = rest[authorityEnd...]
        target = path.isEmpty ? "/" : path.hasPrefix("?") ? "/" + path : String(path)
        guard !authority.contains("@") else { throw .refused("the URL has user information (user@host); send no credentials in URLs") }
        let (host, port) = try Self.hostAndPort(authority, defaultPort: secure ? 443 : 80)
        self.host = host
        self.port = port
    }

    /// `host`, `host:port`, `[v6]` or `[v6]:port`; the host lowercased, the port checked.
    static func hostAndPort(_ authority: Substring, defaultPort: Int) throws(FetchError) -> (String, Int) {
        let host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .refused("an IPv6 address in brackets is not closed") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .refused("unexpected text after the IPv6 address") }
                portText = after.dropFirst()
            }
            guard let address = IPAddress(literal: String(host)), address.bytes.count == 16 else {
                throw .refused("\(ClientText.quoted(host)) in brackets is not an IPv6 address")
            }
        } else {
            if let colon = authority.firstIndex(of: ":") {
                host = authority[..<colon]
                portText = authority[authority.index(after: colon)...]
            } else {
                host = authority
            }
            guard !host.isEmpty, host.utf8.allSatisfy({ Self.isHostByte($0) }) else {
                throw .refused("the host \(ClientText.quoted(host)) is empty or has characters a host name cannot have")
            }
        }
        var port = defaultPort
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, let value = Int(portText), (1...65535).contains(value) else {
                throw .refused("the port \(ClientText.quoted(portText)) is not a number in 1...65535")
            }
            port = value
        }
        return (host.lowercased(), port)
    }

    /// Letters, digits, `-`, `.` and `_` (DNS names and IPv4 literals).
    static func isHostByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) || b == 0x2D || b == 0x2E || b == 0x5F
    }

    public var description: String {
        let shown = host.contains(":") ? "[\(host)]" : host
        return "\(secure ? "https" : "http")://\(shown):\(port)\(target)"
    }
}
