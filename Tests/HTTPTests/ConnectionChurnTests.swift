import TestSupport
import Testing
@testable import HTTP

/// Connections opened and dropped in every state a connection can be in, many at once,
/// with a graceful shutdown in the middle: the order in which a connection arms its socket,
/// deregisters it from the poller and closes it must hold whatever the client does (see
/// `Connection`), and no closed connection may stay registered. Bounded to a few seconds; run it under
/// ThreadSanitizer (`swift build -Xswiftc -sanitize=thread`) to check the confinement.
@Suite(.timeLimit(.minutes(2))) struct ConnectionChurnTests {
    /// Where a client gives up on its connection.
    enum Drop: CaseIterable {
        case beforeTheFirstByte
        case midHead
        case midBody
        case whileResponding
        case midWrite
        case lingering
        case afterAKeepAliveExchange
    }

    /// Opens a connection, takes it to `drop`, and drops it (with a reset when `reset`).
    private func churn(port: Int, _ drop: Drop, reset: Bool) async {
        guard let client = try? SocketClient(port: port, timeout: .seconds(2)) else { return }
        if reset { client.resetOnClose() }
        switch drop {
        case .beforeTheFirstByte:
            break
        case .midHead:
            await client.send("GET / HTTP/1.1\r\nHost: t\r\nX-Half: ")
        case .midBody:
            await client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n0123456789")
        case .whileResponding:
            await client.send(get("/slow?ms=50"))
        case .midWrite:
            await client.send(get("/big?bytes=\(1 << 20)"))
            _ = try? await client.readResponse(headOnly: true)
        case .lingering:
            // An error response, then the server lingers while this client sends more.
            await client.send("GET / HTTP/1.1\r\nHost: t\r\nContent-Length: x\r\n\r\n")
            _ = try? await client.readResponse()
            await client.send("more bytes after the error")
        case .afterAKeepAliveExchange:
            await client.send(get("/"))
            _ = try? await client.readResponse()
        }
    }

    @Test func survivesClientsDroppingConnectionsInEveryState() async throws {
        var configuration = HTTPServer.Configuration.testing
        configuration.maxConnections = 512
        configuration.maxConnectionsPerAddress = 512
        let server = HTTPServer(configuration: configuration, responder: TestResponder())
        let port = try server.start()
        let cases = Drop.allCases.flatMap { drop in [(drop, false), (drop, true)] }
        for _ in 0..<3 {
            await withTaskGroup(of: Void.self) { group in
                for (drop, reset) in cases {
                    for _ in 0..<2 {
                        group.addTask { await churn(port: port, drop, reset: reset) }
                    }
                }
            }
            #expect(try await serverStillAnswers(port: port))
        }
        // Every connection that closed has left the poller (it deregisters before it closes).
        #expect(try await eventually(within: .seconds(10)) { server.connectionCount == 0 })
        #expect(server.watchedSocketCount == 0)
        // A drain with clients still arriving and vanishing.
        let arrivals = Task {
            await withTaskGroup(of: Void.self) { group in
                for (drop, reset) in cases {
                    group.addTask { await churn(port: port, drop, reset: reset) }
                }
            }
        }
        await server.shutdown(announce: .milliseconds(100), grace: .seconds(2))
        await arrivals.value
        #expect(server.connectionCount == 0)
    }
}
