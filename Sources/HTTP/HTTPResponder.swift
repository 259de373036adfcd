/// Turns a request into a response: the whole application as the server sees it.
///
/// A responder is pure request-to-response, with no socket in sight, so tests can
/// call it directly. The server calls it from a `Task` and never blocks its own I/O
/// on it, so a responder may take seconds (the application runs its heavy compute on
/// its own worker threads and awaits the result).
public protocol HTTPResponder: Sendable {
    /// Decides on a request from its head alone, before the server reads (or invites
    /// with `100 Continue`) any of its body: `nil` lets the request proceed, a
    /// response refuses it, and the connection closes after that response without
    /// reading the body. This is where a check that needs no body belongs, such as
    /// authentication: otherwise an unauthenticated client makes the server read and
    /// hold a whole body before it is turned away. `head.body` is empty. Called on
    /// the connection's I/O queue, so it must be quick and must not block. The
    /// default accepts every request.
    func screen(head: HTTPRequest) -> HTTPResponse?

    func respond(to request: HTTPRequest) async -> HTTPResponse
}

extension HTTPResponder {
    public func screen(head: HTTPRequest) -> HTTPResponse? {
        nil
    }
}

/// A responder made from a closure, for tests and small tools; `screen` decides on
/// request heads (see ``HTTPResponder/screen(head:)``).
public struct ClosureResponder: HTTPResponder {
    private let body: @Sendable (HTTPRequest) async -> HTTPResponse
    private let screening: @Sendable (HTTPRequest) -> HTTPResponse?

    public init(
        screen: @escaping @Sendable (HTTPRequest) -> HTTPResponse? = { _ in nil },
        _ body: @escaping @Sendable (HTTPRequest) async -> HTTPResponse
    ) {
        self.screening = screen
        self.body = body
    }

    public func screen(head: HTTPRequest) -> HTTPResponse? {
        screening(head)
    }

    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        await body(request)
    }
}
