/// Turns a request into a response: the whole application as the server sees it.
///
/// A responder is pure request-to-response, with no socket in sight, so tests can
/// call it directly. The server calls it from a `Task` and never blocks its own I/O
/// on it, so a responder may take seconds (the application runs its heavy compute on
/// its own worker threads and awaits the result).
public protocol HTTPResponder: Sendable {
    func respond(to request: HTTPRequest) async -> HTTPResponse
}

/// A responder made from a closure, for tests and small tools.
public struct ClosureResponder: HTTPResponder {
    private let body: @Sendable (HTTPRequest) async -> HTTPResponse

    public init(_ body: @escaping @Sendable (HTTPRequest) async -> HTTPResponse) {
        self.body = body
    }

    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        await body(request)
    }
}
