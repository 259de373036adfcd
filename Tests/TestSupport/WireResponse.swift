import Foundation

/// One HTTP/1.1 response as a `SocketClient` read it off the wire: no normalisation
/// beyond splitting the head, so tests see exactly what the server sent.
public struct WireResponse: Sendable, CustomStringConvertible {
    public var status: Int
    /// In the order sent; names as sent.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header named `name` (case-insensitive), if any.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The body as UTF-8 text.
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// Whether this is the server's error answer `status` whose JSON body has `code`, and
    /// that tells the client the connection closes (`Connection: close`): how the server
    /// answers a request it will not read past.
    public func isClosingError(_ status: Int, _ code: String) -> Bool {
        self.status == status && errorCode == code && header("Connection")?.lowercased() == "close"
    }

    /// The status, headers and (the first 500 bytes of) the body as text, for failure messages.
    public var description: String {
        let head = (["\(status)"] + headers.map { "\($0.name): \($0.value)" }).joined(separator: "\n")
        let shown = String(decoding: body.prefix(500), as: UTF8.self)
        return head + "\n\n" + shown + (body.count > 500 ? "... (\(body.count) bytes)" : "")
    }

    /// The `code` of a server-generated `{"error": {"code": ..., "message": ...}}` body;
    /// `nil` when the body is not such a document.
    public var errorCode: String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let error = object["error"] as? [String: Any] else { return nil }
        return error["code"] as? String
    }
}
