import ClientText
/// How the length of a request body is determined (RFC 9112 §6.3).
enum BodyFraming: Equatable {
    case none
    case length(Int)
    case chunked
}

/// A request line and header section that passed every check.
struct RequestHead {
    var method: String
    var target: String
    var version: HTTPVersion
    var headers: HTTPHeaders
    var framing: BodyFraming
    /// Whether the client allows the connection to stay open after this exchange:
    /// the default in HTTP/1.1 unless `Connection: close`; in HTTP/1.0 only with
    /// `Connection: keep-alive` (RFC 9112 §9.3).
    var keepAlive: Bool
    /// Whether the client waits for `100 Continue` before it sends the body.
    var expectsContinue: Bool
}

/// An incremental HTTP/1.1 request parser with limits, independent of sockets.
///
/// Feed it the bytes received so far; it consumes what it understands and keeps
/// its place between calls. Anything malformed or over a limit throws an
/// ``HTTPError`` carrying the status to answer with (after which the connection
/// must close, since the framing of what follows is unknown).
struct RequestParser {
    struct Limits {
        var maxTargetLength: Int
        var maxHeaderBytes: Int
        var maxHeaderCount: Int
        var maxBodyBytes: Int
    }

    enum Step {
        /// The buffer holds no further complete element.
        case needMoreData
        /// The head is complete and valid; the body (if any) comes next. Returned
        /// once per request, so the caller can answer `Expect: 100-continue` and
        /// switch from the header deadline to the body idle timeout.
        case head(RequestHead)
        /// The request is complete. The parser is ready for the next one.
        case request(HTTPRequest)
    }

    private enum Phase {
        case requestLine
        case headerFields
        case fixedBody(remaining: Int)
        case chunkedBody
        case complete
    }

    /// Room for the method, the spaces and the version around the target when the
    /// request line as a whole is bounded.
    private static let requestLineOverhead = 64

    let limits: Limits
    private var phase = Phase.requestLine
    private var lines = LineReader()
    private var requestLine: (method: String, target: String, version: HTTPVersion)?
    private var headers = HTTPHeaders()
    private var headerBytes = 0
    private var head: RequestHead?
    private var body: [UInt8] = []
    private var chunked = ChunkedDecoder()

    init(limits: Limits) {
        self.limits = limits
    }

    /// Whether part of a request has been consumed and the rest is still expected.
    var isInsideRequest: Bool {
        if case .requestLine = phase { return false }
        return true
    }

    /// Consumes bytes from `buffer` and reports the next thing completed.
    mutating func next(_ buffer: inout ReadBuffer) throws(HTTPError) -> Step {
        while true {
            switch phase {
            case .requestLine:
                // A request starts with a method token (or a stray CRLF): anything else, such as a
                // TLS ClientHello, is refused at its first byte instead of at the header deadline.
                if buffer.count > 0, buffer[0] != UInt8(ascii: "\r"), buffer[0] != UInt8(ascii: "\n"),
                   !Syntax.isTokenByte(buffer[0]) {
                    throw .badRequest("Not an HTTP request: it does not start with a method (TLS sent to a plain HTTP port?).")
                }
                switch try lines.read(&buffer, maxLength: limits.maxTargetLength + Self.requestLineOverhead) {
                case .incomplete:
                    return .needMoreData
                case .tooLong:
                    // A method and a space in front means the target is what is long.
                    let methodEnd = buffer.firstIndex(of: UInt8(ascii: " "), from: 0, limit: Self.requestLineOverhead)
                    if let methodEnd, Syntax.isToken(buffer[0..<methodEnd]) {
                        throw .uriTooLong(limit: limits.maxTargetLength)
                    }
                    throw .badRequest("Malformed request line.")
                case .line(let line):
                    // RFC 9112 §2.2: ignore empty lines received before a request line.
                    if !line.isEmpty {
                        requestLine = try parseRequestLine(line)
                        phase = .headerFields
                    }
                }
            case .headerFields:
                let room = limits.maxHeaderBytes - headerBytes - 2
                switch try lines.read(&buffer, maxLength: room) {
                case .incomplete:
                    return .needMoreData
                case .tooLong:
                    throw .headerFieldsTooLarge("The header section exceeds \(limits.maxHeaderBytes) bytes.")
                case .line(let line) where line.isEmpty:
                    let head = try makeHead()
                    self.head = head
                    switch head.framing {
                    case .none: phase = .complete
                    case .length(let length): phase = .fixedBody(remaining: length)
                    case .chunked: phase = .chunkedBody
                    }
                    return .head(head)
                case .line(let line):
                    guard headers.count < limits.maxHeaderCount else {
                        throw .headerFieldsTooLarge("More than \(limits.maxHeaderCount) header fields.")
                    }
                    let field = try Self.parseField(line)
                    headers.add(name: field.name, value: field.value)
                    headerBytes += line.count + 2
                }
            case .fixedBody(let remaining):
                let n = min(remaining, buffer.count)
                guard n > 0 else { return .needMoreData }
                if body.isEmpty {
                    // Grow as bytes arrive rather than trusting Content-Length up front.
                    body.reserveCapacity(min(remaining, 1 << 16))
                }
                body.append(contentsOf: buffer.take(n))
                phase = n == remaining ? .complete : .fixedBody(remaining: remaining - n)
            case .chunkedBody:
                let finished = try chunked.decode(
                    &buffer, into: &body, maxBodyBytes: limits.maxBodyBytes, maxTrailerBytes: limits.maxHeaderBytes
                )
                guard finished else { return .needMoreData }
                phase = .complete
            case .complete:
                return .request(finishRequest())
            }
        }
    }

    /// Builds the request and resets the parser for the next one.
    private mutating func finishRequest() -> HTTPRequest {
        let head = self.head!
        let request = HTTPRequest(method: head.method, target: head.target, version: head.version, headers: head.headers, body: body)
        self = RequestParser(limits: limits)
        return request
    }

    /// Parses `method SP request-target SP HTTP-version` (RFC 9112 §3).
    private func parseRequestLine(_ line: ArraySlice<UInt8>) throws(HTTPError) -> (method: String, target: String, version: HTTPVersion) {
        let parts = line.split(separator: UInt8(ascii: " "), maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, Syntax.isToken(parts[0]) else {
            throw .badRequest("Malformed request line.")
        }
        let version = try Self.parseVersion(parts[2])
        let target = parts[1]
        guard target.count <= limits.maxTargetLength else {
            throw .uriTooLong(limit: limits.maxTargetLength)
        }
        let method = String(decoding: parts[0], as: UTF8.self)
        guard Self.isValidTarget(target, method: method) else {
            throw .badRequest("Invalid request target.")
        }
        return (method, String(decoding: target, as: UTF8.self), version)
    }

    /// `HTTP/1.0` and `HTTP/1.1` are spoken; a later 1.x is answered as 1.1
    /// (RFC 9110 §6.2); any other well-formed version gets 505.
    private static func parseVersion(_ bytes: ArraySlice<UInt8>) throws(HTTPError) -> HTTPVersion {
        let text = Array(bytes)
        guard text.count == 8, text.starts(with: "HTTP/".utf8), text[6] == UInt8(ascii: "."),
              let major = Syntax.hexDigitValue(text[5]), major < 10,
              let minor = Syntax.hexDigitValue(text[7]), minor < 10 else {
            throw .badRequest("Malformed HTTP version.")
        }
        guard major == 1 else { throw .versionNotSupported }
        return minor == 0 ? .http1_0 : .http1_1
    }

    /// Accepts the origin form (`/path?query`), the absolute form
    /// (`http://host/path`) and `*` for `OPTIONS` (RFC 9112 §3.2). Bytes must be
    /// visible ASCII; a fragment (`#`) is never part of a request target.
    private static func isValidTarget(_ target: ArraySlice<UInt8>, method: String) -> Bool {
        guard !target.isEmpty, target.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "#") }) else {
            return false
        }
        if target.first == UInt8(ascii: "/") {
            return true
        }
        if target.elementsEqual("*".utf8) {
            return method == "OPTIONS"
        }
        let lowercased = String(decoding: target.prefix(8).map(asciiLowercase), as: UTF8.self)
        return lowercased.hasPrefix("http://") || lowercased.hasPrefix("https://")
    }

    /// Parses `field-name ":" OWS field-value OWS` (RFC 9112 §5). A space before the
    /// colon and obsolete line folding are both rejected, as RFC 9112 requires.
    private static func parseField(_ line: ArraySlice<UInt8>) throws(HTTPError) -> (name: String, value: String) {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), Syntax.isToken(line[..<colon]) else {
            throw .badRequest("Malformed header field.")
        }
        let value = Syntax.trimmingWhitespace(line[(colon + 1)...])
        guard value.allSatisfy(Syntax.isFieldValueByte) else {
            throw .badRequest("Invalid character in a header field value.")
        }
        return (String(decoding: line[..<colon], as: UTF8.self), Syntax.decodeFieldValue(value))
    }

    /// Checks the header section as a whole: `Host`, body framing, `Expect`.
    private func makeHead() throws(HTTPError) -> RequestHead {
        let (method, target, version) = requestLine!
        let hosts = headers.values(for: "Host")
        if version == .http1_1 && hosts.count != 1 {
            throw .badRequest("An HTTP/1.1 request must carry exactly one Host header.")
        }
        guard hosts.count <= 1, hosts.allSatisfy(Self.isValidHost) else {
            throw .badRequest("Invalid Host header.")
        }

        let framing = try bodyFraming(version: version)

        var expectsContinue = false
        if version == .http1_1 && headers.contains("Expect") {
            // RFC 9110 §10.1.1: 100-continue is the only expectation defined; an
            // HTTP/1.0 client cannot send one, so there it is ignored.
            let expectations = headers.listValues(for: "Expect")
            guard expectations.count == 1, expectations[0].equalsIgnoringASCIICase("100-continue") else {
                throw .expectationFailed(headers.values(for: "Expect").joined(separator: ", "))
            }
            expectsContinue = framing != .none
        }

        let connection = headers.listValues(for: "Connection")
        let close = connection.contains { $0.equalsIgnoringASCIICase("close") }
        let keepAlive = connection.contains { $0.equalsIgnoringASCIICase("keep-alive") }
        return RequestHead(
            method: method,
            target: target,
            version: version,
            headers: headers,
            framing: framing,
            keepAlive: !close && (version == .http1_1 || keepAlive),
            expectsContinue: expectsContinue
        )
    }

    /// Decides the body length from `Transfer-Encoding` and `Content-Length`
    /// (RFC 9112 §6), refusing every ambiguous combination, since ambiguity between
    /// this server and a proxy in front of it is how requests get smuggled.
    private func bodyFraming(version: HTTPVersion) throws(HTTPError) -> BodyFraming {
        let lengths = headers.values(for: "Content-Length")
        if headers.contains("Transfer-Encoding") {
            guard version == .http1_1 else {
                throw .badRequest("Transfer-Encoding is not allowed in an HTTP/1.0 request.")
            }
            guard lengths.isEmpty else {
                throw .badRequest("Content-Length and Transfer-Encoding must not be sent together.")
            }
            let codings = headers.listValues(for: "Transfer-Encoding")
            if let unsupported = codings.first(where: { !$0.equalsIgnoringASCIICase("chunked") }) {
                throw .notImplemented("Transfer coding \(ClientText.quoted(unsupported)) is not supported; only chunked is.")
            }
            guard codings.count == 1 else {
                throw .badRequest("Transfer-Encoding must be exactly 'chunked'.")
            }
            return .chunked
        }
        guard !lengths.isEmpty else { return .none }
        // Repeated or comma-separated values are allowed only when all are the same
        // (RFC 9110 §8.6).
        let values = lengths.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingHTTPWhitespace() } }
        guard let first = values.first, values.allSatisfy({ $0 == first }),
              Syntax.isDigits(first.utf8) else {
            throw .badRequest("Invalid or conflicting Content-Length.")
        }
        guard first.utf8.count <= 18, let length = Int(first), length <= limits.maxBodyBytes else {
            throw .contentTooLarge(limit: limits.maxBodyBytes)
        }
        return length == 0 ? .none : .length(length)
    }

    /// `Host = uri-host [ ":" port ]`: reg-name, IPv4 or IP-literal characters only,
    /// and empty is allowed (RFC 9110 §7.2).
    private static func isValidHost(_ host: String) -> Bool {
        host.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                true
            default:
                "-._~!$&'()*+,;=%:[]".utf8.contains(byte)
            }
        }
    }
}
