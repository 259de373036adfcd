/// Turns a response into the bytes of an HTTP/1.1 response message.
///
/// The server owns the framing: it always writes `Content-Length` (except for 1xx,
/// 204 and 304, which carry no body), `Date` when the responder set none, and
/// `Connection`, and drops any `Transfer-Encoding`, `Content-Length`, `Connection`
/// or `Keep-Alive` the responder set, so a responder can never desynchronize the
/// framing of a persistent connection.
enum ResponseSerializer {
    /// What the server tells the client about the connection after this response.
    enum Persistence {
        /// `Connection: close`.
        case close
        /// Nothing: HTTP/1.1 connections persist by default.
        case keepAlive
        /// `Connection: keep-alive`, which an HTTP/1.0 client needs to hear.
        case keepAliveHTTP10
    }

    /// The interim response sent before reading a body that `Expect: 100-continue` held back.
    static let continueResponse = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    private static let ownedFields = ["Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive"]

    /// The response's bytes, or `nil` when the responder produced something that
    /// cannot be sent safely: a field name that is not a token, or a control
    /// character (CR, LF, NUL, ...) in a field value or the reason phrase, which
    /// would let data inject fields or split the response.
    static func serialize(_ response: HTTPResponse, headOnly: Bool, persistence: Persistence) -> [UInt8]? {
        let status = response.status
        guard (100...999).contains(status.code), status.reasonPhrase.utf8.allSatisfy(Syntax.isFieldValueByte) else {
            return nil
        }
        var head = "HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n"
        var hasDate = false
        for field in response.headers {
            guard Syntax.isToken(field.name.utf8), field.value.utf8.allSatisfy(Syntax.isFieldValueByte) else {
                return nil
            }
            if ownedFields.contains(where: { HTTPHeaders.namesMatch($0, field.name) }) {
                continue
            }
            hasDate = hasDate || HTTPHeaders.namesMatch(field.name, "Date")
            head += "\(field.name): \(field.value)\r\n"
        }
        if !hasDate {
            head += "Date: \(HTTPDate.now())\r\n"
        }
        let body = status.forbidsBody ? [] : response.body
        if !status.forbidsBody {
            head += "Content-Length: \(body.count)\r\n"
        }
        switch persistence {
        case .close: head += "Connection: close\r\n"
        case .keepAlive: break
        case .keepAliveHTTP10: head += "Connection: keep-alive\r\n"
        }
        head += "\r\n"

        var bytes = Array(head.utf8)
        if !headOnly {
            bytes.append(contentsOf: body)
        }
        return bytes
    }
}
