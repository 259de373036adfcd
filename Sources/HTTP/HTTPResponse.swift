#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A response: status, header fields and the whole body.
///
/// The server adds `Date`, `Content-Length` and `Connection` itself when it writes
/// the response, replacing any the responder set; it omits the body for `HEAD`.
public struct HTTPResponse: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A `text/plain; charset=utf-8` response.
    public static func text(_ text: String, status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: Array(text.utf8))
    }

    /// An `application/json` response from bytes that already are JSON.
    public static func json(bytes: [UInt8], status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: bytes)
    }

    /// An `application/json` response encoding `value`.
    public static func json(
        _ value: some Encodable,
        status: HTTPStatus = .ok,
        encoder: JSONEncoder = JSONEncoder()
    ) throws -> HTTPResponse {
        json(bytes: Array(try encoder.encode(value)), status: status)
    }

    /// The one error shape of the service: `{"error":{"code":"...","message":"..."}}`.
    ///
    /// The server renders its own errors (400, 413, 431, ...) this way, and the
    /// application should too, so that clients parse a single shape.
    public static func error(status: HTTPStatus, code: String, message: String) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Two strings cannot fail to encode.
        let body = (try? encoder.encode(ErrorDocument(error: .init(code: code, message: message)))).map(Array.init) ?? []
        return json(bytes: body, status: status)
    }
}

/// The body of every error response.
private struct ErrorDocument: Encodable {
    struct Detail: Encodable {
        let code: String
        let message: String
    }

    let error: Detail
}
