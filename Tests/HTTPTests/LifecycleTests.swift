import TestSupport
import Testing
@testable import HTTP
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Connection cap, graceful shutdown, vanished clients, signals.
@Suite(.timeLimit(.minutes(2))) struct LifecycleTests {
    /// The test configuration listening on a loopback address of the test's own: a test that
    /// checks that the port refuses connections after shutdown must not reach another test's
    /// server, which may bind the same port number on 127.0.0.1 as soon as it is free.
    static func ownAddress(_ host: String) -> HTTPServer.Configuration {
        var configuration = HTTPServer.Configuration.testing
        configuration.host = host
        return configuration
    }

    @Test func refusesConnectionsOverTheCap() async throws {
        var configuration = HTTPServer.Configuration.testing
        configuration.maxConnections = 2
        configuration.headerTimeout = .seconds(10)
        try await withServer(configuration) { server, port in
            let (held, third) = try await connectionsPastACapOfTwo(server, port: port)
            let refused = try await third.readResponse()
            #expect(refused.isClosingError(503, "server_busy"))
            #expect(await third.waitForClose())

            // The admitted connections still work, and a slot that frees is reused.
            await held[1].send(get("/", close: true))
            #expect(try await held[1].readResponse().status == 200)
            #expect(try await eventually { server.connectionCount == 1 })
            #expect(try await serverStillAnswers(port: port))
            withExtendedLifetime(held) {}
        }
    }

    @Test func shutdownFinishesTheRequestInFlightAndClosesIdleConnections() async throws {
        // Long timeouts, so that only the shutdown can be what closes the idle connection.
        var configuration = Self.ownAddress("127.0.0.11")
        configuration.keepAliveTimeout = .seconds(30)
        let server = HTTPServer(configuration: configuration, responder: TestResponder())
        let port = try server.start()

        let idle = try SocketClient(port: port, host: "127.0.0.11")
        await idle.send(get("/"))
        #expect(try await idle.readResponse().status == 200)

        let busy = try SocketClient(port: port, host: "127.0.0.11")
        let sent = monotonicSeconds()
        await busy.send(get("/slow?ms=700"))
        try await Task.sleep(for: .milliseconds(150))

        let start = monotonicSeconds()
        let shutdown = Task { await server.shutdown(grace: .seconds(5)) }

        // The idle keep-alive connection is closed at once.
        #expect(await idle.waitForClose())
        #expect(monotonicSeconds() - start < 3)

        // The request in flight is answered, told the connection closes, and closed.
        let response = try await busy.readResponse()
        #expect(response.text == "slow")
        #expect(response.header("Connection") == "close")
        #expect(await busy.waitForClose())

        await shutdown.value
        // Shutdown waited for the 700 ms response, and no longer than needed.
        let elapsed = monotonicSeconds() - sent
        #expect(elapsed >= 0.7 && elapsed < 3, "shutdown returned \(elapsed) s after the request")
        #expect(server.connectionCount == 0)
        #expect(throws: SocketClientError.self) { try SocketClient(port: port, host: "127.0.0.11") }
    }

    @Test func shutdownClosesWhatOutlastsTheGracePeriod() async throws {
        let server = HTTPServer(configuration: .testing, responder: TestResponder())
        let port = try server.start()
        let client = try SocketClient(port: port)
        await client.send(get("/slow?ms=10000"))
        try await Task.sleep(for: .milliseconds(100))

        let start = monotonicSeconds()
        await server.shutdown(grace: .milliseconds(300))
        let elapsed = monotonicSeconds() - start
        #expect(elapsed >= 0.25 && elapsed < 2, "shutdown took \(elapsed) s")
        // Cut off, but answered: a request accepted is never left without a response.
        let response = try await client.readResponse()
        #expect(response.isClosingError(503, "shutting_down"))
        #expect(await client.waitForClose())
    }

    @Test func announcesTheDrainBeforeClosingTheListener() async throws {
        var configuration = Self.ownAddress("127.0.0.12")
        configuration.keepAliveTimeout = .seconds(30)
        let server = HTTPServer(configuration: configuration, responder: TestResponder())
        let port = try server.start()
        let reused = try SocketClient(port: port, host: "127.0.0.12")
        await reused.send(get("/"))
        #expect(try await reused.readResponse().header("Connection") == nil)

        let start = monotonicSeconds()
        let shutdown = Task { await server.shutdown(announce: .milliseconds(800), grace: .seconds(5)) }
        try await Task.sleep(for: .milliseconds(100))

        // Within the announcement the listener still accepts, and every answer
        // (on a new connection, and on a reused keep-alive one) says it closes.
        let late = try SocketClient(port: port, host: "127.0.0.12")
        let lateResponse = try await late.exchange(get("/"))
        #expect(lateResponse.status == 200)
        #expect(lateResponse.header("Connection") == "close")
        #expect(await late.waitForClose())
        let reusedResponse = try await reused.exchange(get("/"))
        #expect(reusedResponse.status == 200)
        #expect(reusedResponse.header("Connection") == "close")
        #expect(await reused.waitForClose())

        await shutdown.value
        let elapsed = monotonicSeconds() - start
        #expect(elapsed >= 0.75 && elapsed < 3, "shutdown returned after \(elapsed) s")
        #expect(throws: SocketClientError.self) { try SocketClient(port: port, host: "127.0.0.12") }
    }

    @Test func waitUntilStoppedReturnsAfterShutdown() async throws {
        let server = HTTPServer(configuration: Self.ownAddress("127.0.0.13"), responder: TestResponder())
        let port = try server.start()
        let waiter = Task { await server.waitUntilStopped() }
        await server.shutdown()
        await waiter.value  // (the suite's time limit fails the test if it never returns)
        #expect(throws: SocketClientError.self, "the port still accepts after the server stopped") {
            _ = try SocketClient(port: port, host: "127.0.0.13")
        }
        let start = monotonicSeconds()
        await server.shutdown()
        #expect(monotonicSeconds() - start < 1, "a second shutdown returns at once")
        #expect(server.connectionCount == 0)
    }

    @Test func survivesAClientThatVanishesMidResponse() async throws {
        try await withServer { server, port in
            for _ in 0..<3 {
                let client = try SocketClient(port: port)
                await client.send(get("/big?bytes=\(16 << 20)"))
                _ = try await client.readResponse(headOnly: true)
                // Dropped here with most of the body unread: the server's next
                // writes hit a reset connection (EPIPE/ECONNRESET, never SIGPIPE).
            }
            #expect(try await serverStillAnswers(port: port))
            #expect(try await eventually { server.connectionCount == 0 })
        }
    }

    @Test func shutsDownOnASignal() async throws {
        let server = HTTPServer(configuration: Self.ownAddress("127.0.0.14"), responder: TestResponder())
        let port = try server.start()
        let observer = server.shutdownOnSignals([SIGUSR2], grace: .seconds(1))
        defer { observer.cancel() }
        // Dispatch registers the source asynchronously; give it a moment.
        try await Task.sleep(for: .milliseconds(100))
        kill(getpid(), SIGUSR2)
        await server.waitUntilStopped()
        #expect(throws: SocketClientError.self) { try SocketClient(port: port, host: "127.0.0.14") }
    }

    @Test func reportsWhyItCannotListen() async throws {
        let first = HTTPServer(configuration: .testing, responder: TestResponder())
        let port = try first.start()
        var configuration = HTTPServer.Configuration.testing
        configuration.port = port
        #expect { try HTTPServer(configuration: configuration, responder: TestResponder()).start() } throws: { error in
            (error as? SocketError)?.code == EADDRINUSE
        }
        await first.shutdown()
    }
}
