import TestSupport
import Synchronization
import Testing
@testable import HTTP

/// ``HTTPResponder/screen(head:)``: a request refused on its head is answered without
/// its body being read or invited.
@Suite(.timeLimit(.minutes(2))) struct ScreeningTests {
    /// Refuses every request without `X-Key: k` with 401; counts the requests that
    /// reach `respond`.
    final class KeyedResponder: HTTPResponder {
        let responded = Atomic<Int>(0)

        func screen(head: HTTPRequest) -> HTTPResponse? {
            head.headers["X-Key"] == "k" ? nil : .error(status: .unauthorized, code: "unauthorized", message: "no key")
        }

        func respond(to request: HTTPRequest) async -> HTTPResponse {
            responded.add(1, ordering: .relaxed)
            return HTTPResponse(status: .ok, body: request.body)
        }
    }

    private var configuration: HTTPServer.Configuration {
        var configuration = HTTPServer.Configuration.testing
        configuration.maxBodyBytes = 64 * 1024 * 1024
        configuration.maxLingerBytes = 64 * 1024
        configuration.lingerTimeout = .seconds(5)
        configuration.bodyIdleTimeout = .seconds(5)
        return configuration
    }

    @Test func refusesBeforeSendingContinue() async throws {
        let responder = KeyedResponder()
        try await withServer(configuration, responder: responder) { _, port in
            let client = try SocketClient(port: port)
            await client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10000000\r\nExpect: 100-continue\r\n\r\n")
            // The first and only response is the refusal: no `100 Continue` before it.
            let response = try await client.readResponse()
            #expect(response.status == 401)
            #expect(response.header("Connection") == "close")
            #expect(await client.waitForClose())
            #expect(responder.responded.load(ordering: .relaxed) == 0)
        }
    }

    @Test func refusesWithoutReadingTheBody() async throws {
        let responder = KeyedResponder()
        try await withServer(configuration, responder: responder) { _, port in
            let client = try SocketClient(port: port)
            let response = try await client.exchange("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 60000000\r\n\r\n")
            #expect(response.status == 401)
            // The client keeps sending its 60 MB body; the server stops reading after
            // at most `maxLingerBytes` and closes, long before the linger timeout, and
            // the client's sends fail once the socket buffers between them are full.
            let start = monotonicSeconds()
            let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 64 * 1024)
            var sent = 0
            while sent < 60_000_000, await client.send(chunk) {
                sent += chunk.count
            }
            #expect(sent < 60_000_000, "the server read the whole body")
            #expect(monotonicSeconds() - start < 4)
            #expect(responder.responded.load(ordering: .relaxed) == 0)
        }
    }

    @Test func passesAcceptedHeadsOn() async throws {
        let responder = KeyedResponder()
        try await withServer(configuration, responder: responder) { _, port in
            let client = try SocketClient(port: port)
            await client.send("POST /echo HTTP/1.1\r\nHost: t\r\nX-Key: k\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
            #expect(try await client.readResponse().status == 100)
            let response = try await client.exchange("hello")
            #expect(response.status == 200)
            #expect(response.text == "hello")
            #expect(response.header("Connection") == nil)
        }
    }
}
