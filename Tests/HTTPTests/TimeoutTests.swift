import TestSupport
import Testing
@testable import HTTP

/// Deadlines over real sockets, with the `.testing` timeouts of 800 ms.
@Suite(.timeLimit(.minutes(2))) struct TimeoutTests {
    /// The longest the tests accept past a deadline on a loaded machine.
    static let slack = 1.5

    @Test func cutsOffASlowlorisAtTheHeaderDeadline() async throws {
        try await withServer { _, port in
            let client = try SocketClient(port: port)
            let start = monotonicSeconds()
            let trickler = client.trickle("GET / HTTP/1.1\r\nHost: t\r\n")
            let closed = await client.waitForClose()
            let elapsed = monotonicSeconds() - start
            trickler.cancel()
            #expect(closed)
            #expect(elapsed >= 0.7 && elapsed < 0.8 + Self.slack, "closed after \(elapsed) s")
            #expect(try await serverStillAnswers(port: port))
        }
    }

    @Test func answers408ToAStalledHeaderSection() async throws {
        try await withServer { _, port in
            try await expectClosingError("GET / HTTP/1.1\r\nHost: t\r\n", 408, "request_timeout", port: port)
        }
    }

    @Test func closesAConnectionThatSendsNothing() async throws {
        try await withServer { _, port in
            let client = try SocketClient(port: port)
            try await expectClosedAtTheDeadline(client, since: monotonicSeconds())
        }
    }

    @Test func cutsOffAStalledBody() async throws {
        try await withServer { _, port in
            let client = try SocketClient(port: port)
            // Timed from before the send: the server's idle timer starts after it.
            let start = monotonicSeconds()
            let response = try await client.exchange("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n0123456789")
            let elapsed = monotonicSeconds() - start
            #expect(response.status == 408)
            #expect(elapsed >= 0.7 && elapsed < 0.8 + Self.slack, "answered after \(elapsed) s")
            #expect(await client.waitForClose())
            #expect(try await serverStillAnswers(port: port))
        }
    }

    @Test func aBodyArrivingSlowlyButSteadilyIsAccepted() async throws {
        var configuration = HTTPServer.Configuration.testing
        configuration.bodyIdleTimeout = .seconds(2)
        try await withServer(configuration) { _, port in
            let client = try SocketClient(port: port)
            await client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\n")
            // Five gaps of 600 ms: longer than the 2 s idle timeout in total, each well
            // within it (wide margins: a loaded machine may stall a sleeper for 1 s).
            for byte in "hello" {
                try await Task.sleep(for: .milliseconds(600))
                await client.send(String(byte))
            }
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "hello")
        }
    }

    @Test func closesAnIdleKeepAliveConnection() async throws {
        try await withServer { _, port in
            let client = try SocketClient(port: port)
            // Timed from before the request: the idle timer starts after the response.
            let start = monotonicSeconds()
            await client.send(get("/"))
            #expect(try await client.readResponse().status == 200)
            try await expectClosedAtTheDeadline(client, since: start)
        }
    }

    @Test func dropsAClientThatStopsReadingItsResponse() async throws {
        try await withServer { server, port in
            let client = try SocketClient(port: port)
            await client.send(get("/big?bytes=\(64 << 20)"))
            // The client reads nothing; once the socket buffers fill, the server
            // waits on it for the write timeout and then gives up.
            #expect(try await eventually(within: .seconds(0.8 + 4 * Self.slack)) { server.connectionCount == 0 })
        }
    }
}
