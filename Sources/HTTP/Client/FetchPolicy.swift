import ClientText

/// What the URL fetcher may fetch (no SSRF): only from hosts the operator listed, only to
/// public addresses unless the address itself is listed, within size and time caps.
public struct FetchPolicy: Sendable {
    /// One `--fetch-allow` entry: a host name or IP literal, and the port (80 when not given).
    public struct Entry: Sendable, Equatable {
        public var host: String
        public var port: Int
        /// The entry's host as an address when it is an IP literal.
        var address: IPAddress? { IPAddress(literal: host) }

        /// `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address (`::1`).
        public init(_ text: String) throws(FetchError) {
            if let address = IPAddress(literal: text), address.bytes.count == 16 {
                (host, port) = (text.lowercased(), 80)
            } else {
                (host, port) = try FetchURL.hostAndPort(Substring(text), defaultPort: 80)
            }
        }
    }

    public var allowed: [Entry]
    /// The largest response body accepted (images: 20 MiB, as the upload cap).
    public var maximumBytes = 20 * 1024 * 1024
    /// The longest a whole fetch may take, redirects included: resolving, connecting and reading
    /// (a slow body that trickles in is cut off at this time, whatever its rate).
    public var timeout: Duration = .seconds(10)
    /// Redirects followed, each to the same host and port.
    public var maximumRedirects = 3
    /// The `Authorization` header sent (Label Studio's `Token …`), or nil.
    public var authorization: String?
    /// A PEM file of the CA certificates `https://` servers are verified against
    /// (`--fetch-ca-file`, for a private CA), instead of the system's store; nil: the system's.
    public var trustedCertificates: String?

    public init(allowed: [Entry]) {
        self.allowed = allowed
    }

    /// Refuses a URL whose host and port no entry lists.
    func check(_ url: FetchURL) throws(FetchError) {
        guard allowed.contains(where: { entryMatches($0, url) }) else {
            let listed = allowed.isEmpty ? "none is allowed (start the server with --fetch-allow HOST[:PORT])"
                                         : "allowed: " + allowed.map { "\($0.host):\($0.port)" }.joined(separator: ", ")
            throw .refused("\(ClientText.quoted(url.host)) port \(url.port) is not an allowed host; \(listed)")
        }
    }

    /// Refuses an address in a special range (loopback, private, link-local, …) unless an
    /// entry names that very address.
    func check(_ address: IPAddress, of host: String) throws(FetchError) {
        guard let range = address.specialRange else { return }
        guard allowed.contains(where: { $0.address == address }) else {
            throw .refused("\(ClientText.quoted(host)) resolves to \(address), a \(range) address; list that address with --fetch-allow to allow it")
        }
    }

    private func entryMatches(_ entry: Entry, _ url: FetchURL) -> Bool {
        guard entry.port == url.port else { return false }
        if let a = entry.address, let b = IPAddress(literal: url.host) { return a == b }
        return entry.host == url.host
    }
}
