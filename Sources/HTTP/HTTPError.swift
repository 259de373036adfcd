/// A request the server refuses on its own, before any responder sees it.
///
/// Each one is rendered with the service's single error shape (see
/// ``HTTPResponse/error(status:code:message:)``) and the connection is closed after it,
/// because after a framing problem the server can no longer tell where the next
/// request would begin.
struct HTTPError: Error, Equatable {
    var status: HTTPStatus
    /// A stable, machine-readable code, e.g. `header_fields_too_large`.
    var code: String
    /// A short human-readable explanation.
    var message: String

    var response: HTTPResponse {
        .error(status: status, code: code, message: message)
    }

    static func badRequest(_ message: String) -> HTTPError {
        HTTPError(status: .badRequest, code: "bad_request", message: message)
    }

    static func headerFieldsTooLarge(_ message: String) -> HTTPError {
        HTTPError(status: .requestHeaderFieldsTooLarge, code: "header_fields_too_large", message: message)
    }

    static func contentTooLarge(limit: Int) -> HTTPError {
        HTTPError(status: .contentTooLarge, code: "content_too_large", message: "The request body exceeds \(limit) bytes.")
    }

    static func uriTooLong(limit: Int) -> HTTPError {
        HTTPError(status: .uriTooLong, code: "uri_too_long", message: "The request target exceeds \(limit) bytes.")
    }

    static func expectationFailed(_ expectation: String) -> HTTPError {
        HTTPError(status: .expectationFailed, code: "expectation_failed", message: "Unsupported expectation '\(expectation)'; only 100-continue is supported.")
    }

    static func notImplemented(_ message: String) -> HTTPError {
        HTTPError(status: .notImplemented, code: "not_implemented", message: message)
    }

    static let versionNotSupported = HTTPError(
        status: .httpVersionNotSupported, code: "http_version_not_supported", message: "Only HTTP/1.0 and HTTP/1.1 are supported."
    )

    static let requestTimeout = HTTPError(
        status: .requestTimeout, code: "request_timeout", message: "The request was not received in time."
    )

    static let serverBusy = HTTPError(
        status: .serviceUnavailable, code: "server_busy", message: "Too many open connections; retry later."
    )

    static let tlsRequired = HTTPError(
        status: .badRequest, code: "tls_required", message: "This port speaks HTTPS; a plain HTTP request was sent."
    )

    static let invalidResponse = HTTPError(
        status: .internalServerError, code: "invalid_response", message: "The application produced a response that cannot be sent."
    )
}
