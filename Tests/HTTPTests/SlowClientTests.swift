import TestSupport
import Testing
@testable import HTTP

/// The limits that keep slow or greedy clients from taking every connection slot:
/// the body's overall deadline and minimum rate, the per-address cap, and eviction of
/// idle keep-alive connections at the connection cap.
@Suite(.timeLimit(.minutes(2))) struct SlowClientTests {
    /// Sends a POST head announcing 1000 body bytes, then a body byte every 200 ms
    /// (each well inside the 5 s idle timeout, which alone would let this go on for
    /// ever), and returns the server's answer and the seconds it took.
    private func trickleABody(_ configure: (inout HTTPServer.Configuration) -> Void) async throws -> (WireResponse, Double) {
        var configuration = HTTPServer.Configuration.testing
        configuration.bodyIdleTimeout = .seconds(5)
        configure(&configuration)
        var result: (WireResponse, Double)?
        try await withServer(configuration) { _, port in
            let client = try SocketClient(port: port)
            let start = monotonicSeconds()
            let trickler = client.trickle(
                "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n", then: "x", every: .milliseconds(200))
            let response = try await client.readResponse()
            result = (response, monotonicSeconds() - start)
            trickler.cancel()
            #expect(await client.waitForClose())
            #expect(try await serverStillAnswers(port: port))
        }
        return try #require(result)
    }

    @Test func cutsOffABodyTricklingBelowTheMinimumRate() async throws {
        let (response, elapsed) = try await trickleABody {
            $0.minBodyBytesPerSecond = 100
            $0.bodyRateGracePeriod = .milliseconds(500)
        }
        #expect(response.status == 408)
        #expect(response.errorCode == "request_timeout")
        #expect(response.text.contains("100 bytes/s"))
        #expect(elapsed >= 0.45 && elapsed < 0.5 + TimeoutTests.slack, "answered after \(elapsed) s")
    }

    @Test func cutsOffABodyAtItsOverallDeadline() async throws {
        let (response, elapsed) = try await trickleABody {
            $0.minBodyBytesPerSecond = 0
            $0.bodyTimeout = .milliseconds(1200)
        }
        #expect(response.status == 408)
        #expect(response.text.contains("within 2 s"))
        #expect(elapsed >= 1.15 && elapsed < 1.2 + TimeoutTests.slack, "answered after \(elapsed) s")
    }

    @Test func acceptsABodyFasterThanTheMinimumRate() async throws {
        var configuration = HTTPServer.Configuration.testing
        configuration.bodyIdleTimeout = .seconds(5)
        configuration.minBodyBytesPerSecond = 10
        configuration.bodyRateGracePeriod = .milliseconds(300)
        try await withServer(configuration) { _, port in
            let client = try SocketClient(port: port)
            // The head and the first 20 bytes in one write, so they arrive in one read:
            // those 20 bytes count towards the rate too, and earn 2 s at 10 bytes/s,
            // well past the 300 ms grace period and the next write.
            await client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 30\r\n\r\n01234567890123456789")
            try await Task.sleep(for: .milliseconds(800))
            let response = try await client.exchange("0123456789")
            #expect(response.status == 200)
            #expect(response.text == "012345678901234567890123456789")
        }
    }

    @Test func capsTheConnectionsOfOneAddress() async throws {
        var configuration = HTTPServer.Configuration.testing
        configuration.maxConnectionsPerAddress = 2
        configuration.headerTimeout = .seconds(10)
        try await withServer(configuration) { server, port in
            let (held, third) = try await connectionsPastACapOfTwo(server, port: port)
            let refused = try await third.readResponse()
            #expect(refused.isClosingError(503, "server_busy"))
            #expect(refused.text.contains("from this address"))
            #expect(refused.header("Retry-After") == "1")
            #expect(await third.waitForClose())

            // Another address still gets in.
            let other = try SocketClient(port: port, source: "127.0.0.2")
            await other.send(get("/", close: true))
            #expect(try await other.readResponse().status == 200)

            // A slot of the capped address that frees is reused.
            await held[0].send(get("/", close: true))
            #expect(try await held[0].readResponse().status == 200)
            #expect(try await eventually { server.connectionCount == 1 })
            #expect(try await serverStillAnswers(port: port))
            withExtendedLifetime(held) {}
        }
    }

    @Test func evictsTheLongestIdleKeepAliveConnectionAtTheCap() async throws {
        var configuration = HTTPServer.Configuration.testing
        configuration.maxConnections = 2
        configuration.keepAliveTimeout = .seconds(30)
        try await withServer(configuration) { server, port in
            let older = try SocketClient(port: port)
            await older.send(get("/"))
            #expect(try await older.readResponse().status == 200)
            try await Task.sleep(for: .milliseconds(50))
            let newer = try SocketClient(port: port)
            await newer.send(get("/"))
            #expect(try await newer.readResponse().status == 200)
            #expect(server.connectionCount == 2)

            // Both slots are held by idle keep-alive connections: the newcomer is
            // served, and the connection idle the longest makes room.
            let newcomer = try SocketClient(port: port)
            await newcomer.send(get("/"))
            #expect(try await newcomer.readResponse().status == 200)
            #expect(await older.waitForClose())
            await newer.send(get("/", close: true))
            #expect(try await newer.readResponse().status == 200)
        }
    }
}
