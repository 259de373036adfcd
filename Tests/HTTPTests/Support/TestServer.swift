import HTTP
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension HTTPServer.Configuration {
    /// Small limits and short timeouts, so limit tests send little and timeout tests
    /// finish fast.
    static var testing: HTTPServer.Configuration {
        HTTPServer.Configuration(
            host: "127.0.0.1",
            port: 0,
            maxTargetLength: 1024,
            maxHeaderBytes: 4096,
            maxHeaderCount: 20,
            maxBodyBytes: 64 * 1024,
            headerTimeout: .milliseconds(800),
            bodyIdleTimeout: .milliseconds(800),
            keepAliveTimeout: .milliseconds(800),
            writeTimeout: .milliseconds(800),
            lingerTimeout: .milliseconds(300),
            maxRequestsPerConnection: 100,
            maxConnections: 64
        )
    }
}

/// Routes by path:
/// - `/echo`: the body back, with `X-Method`, `X-Path`, `X-Query` and `X-Version`.
/// - `/slow?ms=N`: answers after N milliseconds.
/// - `/big?bytes=N`: an N-byte body.
/// - `/close`: a response that asks for `Connection: close`.
/// - `/bad-header`: a header value with CRLF in it (the server must refuse to send it).
/// - anything else: `ok`.
struct TestResponder: HTTPResponder {
    func respond(to request: HTTPRequest) async -> HTTPResponse {
        switch request.path {
        case "/echo":
            var response = HTTPResponse(status: .ok, body: request.body)
            response.headers["X-Method"] = request.method
            response.headers["X-Path"] = request.path
            response.headers["X-Query"] = request.query.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
            response.headers["X-Version"] = request.version.description
            return response
        case "/slow":
            let milliseconds = Int(request.queryValue("ms") ?? "") ?? 500
            try? await Task.sleep(for: .milliseconds(milliseconds))
            return .text("slow")
        case "/big":
            let count = Int(request.queryValue("bytes") ?? "") ?? 0
            return HTTPResponse(body: [UInt8](repeating: UInt8(ascii: "x"), count: count))
        case "/close":
            return HTTPResponse(status: .ok, headers: ["Connection": "close"], body: Array("bye".utf8))
        case "/bad-header":
            return HTTPResponse(status: .ok, headers: ["X-Evil": "a\r\nSet-Cookie: x=1"], body: [])
        default:
            return .text("ok")
        }
    }
}

/// Starts a server on a free port, runs `body`, and shuts the server down.
func withServer(
    _ configuration: HTTPServer.Configuration = .testing,
    responder: some HTTPResponder = TestResponder(),
    _ body: (HTTPServer, Int) async throws -> Void
) async throws {
    let server = HTTPServer(configuration: configuration, responder: responder)
    let port = try server.start()
    do {
        try await body(server, port)
    } catch {
        await server.shutdown(grace: .zero)
        throw error
    }
    await server.shutdown(grace: .seconds(2))
}

/// A well-formed GET for `path`, optionally with `Connection: close`.
func get(_ path: String, close: Bool = false) -> String {
    "GET \(path) HTTP/1.1\r\nHost: test\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n"
}

/// Sends `request` on a new connection and expects the server's closing error (`status`,
/// the JSON `code`, `Connection: close`), then the close itself; returns the answer for
/// further checks.
@discardableResult
func expectClosingError(
    _ request: String, _ status: Int, _ code: String, port: Int, sourceLocation: SourceLocation = #_sourceLocation
) async throws -> WireResponse {
    let client = try SocketClient(port: port)
    let response = try await client.exchange(request)
    #expect(response.isClosingError(status, code), sourceLocation: sourceLocation)
    #expect(await client.waitForClose(), "the server kept the connection open", sourceLocation: sourceLocation)
    return response
}

/// Opens two connections and waits until `server` holds both, then opens a third: for a
/// server capped at two connections (in all, or from one address). Returns the two held
/// and the third, whose answer is the caller's to read.
func connectionsPastACapOfTwo(_ server: HTTPServer, port: Int) async throws -> (held: [SocketClient], third: SocketClient) {
    let held = [try SocketClient(port: port), try SocketClient(port: port)]
    try #require(try await eventually { server.connectionCount == 2 }, "the server did not take both connections")
    return (held, try SocketClient(port: port))
}

/// Expects the server to close `client`, sending nothing more, when the `.testing`
/// timeouts (800 ms) have passed since `start` (`monotonicSeconds()`).
func expectClosedAtTheDeadline(
    _ client: SocketClient, since start: Double, sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    #expect(try await client.readToEnd().isEmpty, sourceLocation: sourceLocation)
    let elapsed = monotonicSeconds() - start
    #expect(elapsed >= 0.7 && elapsed < 0.8 + TimeoutTests.slack, "closed after \(elapsed) s", sourceLocation: sourceLocation)
}

/// Asserts nothing about the connection that misbehaved: opens a fresh one and
/// checks the server still answers a normal request.
func serverStillAnswers(port: Int) async throws -> Bool {
    let client = try SocketClient(port: port)
    await client.send(get("/", close: true))
    return try await client.readResponse().status == 200
}

/// Seconds since an arbitrary start, for timing assertions.
func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
