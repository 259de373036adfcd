import ClientText

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
        var response = HTTPResponse.error(status: status, code: code, message: message)
        if status == .serviceUnavailable { response.headers["Retry-After"] = "1" }
        return response
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
        HTTPError(status: .expectationFailed, code: "expectation_failed", message: "Unsupported expectation \(ClientText.quoted(expectation)); only 100-continue is supported.")
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

    /// A body that missed its overall deadline or fell below the minimum rate (a
    /// stall past the idle timeout counts as falling below it).
    static func bodyTooSlow(_ configuration: HTTPServer.Configuration) -> HTTPError {
        let within = Int(configuration.bodyTimeout.seconds.rounded(.up))
        let idle = Int(configuration.bodyIdleTimeout.seconds.rounded(.up))
        let rate = configuration.minBodyBytesPerSecond > 0 ? ", at \(configuration.minBodyBytesPerSecond) bytes/s or more on average" : ""
        return HTTPError(
            status: .requestTimeout, code: "request_timeout",
            message: "The request body arrived too slowly: send it within \(within) s\(rate), pausing no more than \(idle) s."
        )
    }

    static let serverBusy = HTTPError(
        status: .serviceUnavailable, code: "server_busy", message: "Too many open connections; retry later."
    )

    static let tooManyFromAddress = HTTPError(
        status: .serviceUnavailable, code: "server_busy", message: "Too many open connections from this address; close some or retry later."
    )

    static let shuttingDown = HTTPError(
        status: .serviceUnavailable, code: "shutting_down", message: "The server is shutting down and could not finish this request in time; retry."
    )

    static let tlsRequired = HTTPError(
        status: .badRequest, code: "tls_required", message: "This port speaks HTTPS; a plain HTTP request was sent."
    )

    static let invalidResponse = HTTPError(
        status: .internalServerError, code: "invalid_response", message: "The application produced a response that cannot be sent."
    )
}
