/// The protocol version of a request: HTTP/1.0 or HTTP/1.1, the only two this server speaks.
public enum HTTPVersion: Sendable, Hashable, CustomStringConvertible {
    case http1_0
    case http1_1

    public var description: String {
        switch self {
        case .http1_0: "HTTP/1.0"
        case .http1_1: "HTTP/1.1"
        }
    }
}

/// A parsed HTTP/1.1 request with its whole body.
public struct HTTPRequest: Sendable {
    /// The method token as sent (methods are case-sensitive), e.g. `GET`.
    public var method: String
    /// The request target as sent, e.g. `/gradcam?model=vgg16&class=242`.
    public var target: String
    /// The percent-decoded path of the target, without the query, e.g. `/gradcam`.
    /// For an absolute-form target (`http://host/p?q`) this is `/p`; for `*` it is `*`.
    public var path: String
    /// The query items in order, percent- and `+`-decoded; repeated names are kept.
    public var query: [(name: String, value: String)]
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    /// The whole body; chunked bodies arrive here already de-chunked.
    public var body: [UInt8]
    /// The peer as `address:port` (IPv6 as `[address]:port`), or `nil` when the
    /// request did not come from a socket (for example in tests).
    public var remoteAddress: String?

    public init(
        method: String,
        target: String,
        version: HTTPVersion = .http1_1,
        headers: HTTPHeaders = [:],
        body: [UInt8] = [],
        remoteAddress: String? = nil
    ) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
        let (rawPath, rawQuery) = Self.split(target: target)
        self.path = URLEncoding.decode(rawPath, plusAsSpace: false)
        self.query = rawQuery.map { URLEncoding.formItems($0) } ?? []
    }

    /// The first query value named `name`, if any.
    public func queryValue(_ name: String) -> String? {
        query.first { $0.name == name }?.value
    }

    /// The body decoded as `application/x-www-form-urlencoded` pairs.
    public func urlEncodedForm() -> [(name: String, value: String)] {
        URLEncoding.formItems(body)
    }

    /// The body parsed as `multipart/form-data`, with the boundary taken from
    /// `Content-Type`.
    public func multipartFormData(limits: MultipartFormData.Limits = .init()) throws(MultipartFormData.Error) -> MultipartFormData {
        try MultipartFormData(body: body, contentType: headers["Content-Type"], limits: limits)
    }

    /// Splits a target into its raw path and raw query. The absolute form
    /// (`http://authority/path?query`) loses its scheme and authority.
    private static func split(target: String) -> (path: Substring, query: Substring?) {
        var rest = Substring(target)
        if !rest.hasPrefix("/"), let colon = rest.firstIndex(of: ":"), rest[colon...].hasPrefix("://") {
            let authority = rest[rest.index(colon, offsetBy: 3)...]
            let pathStart = authority.firstIndex { $0 == "/" || $0 == "?" } ?? authority.endIndex
            rest = authority[pathStart...]
            if !rest.hasPrefix("/") {
                rest = Substring("/" + rest)
            }
        }
        guard let questionMark = rest.firstIndex(of: "?") else {
            return (rest, nil)
        }
        return (rest[..<questionMark], rest[rest.index(after: questionMark)...])
    }
}
