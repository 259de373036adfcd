import Foundation
import TestSupport
import Testing

/// The server's HTTP/1.1 behaviour and limits as the service's clients meet them:
/// keep-alive, pipelining, chunked uploads, 100-continue, 400/413/431/408 and close,
/// with the service answering a normal request after each.
@Suite(.timeLimit(.minutes(2))) struct ConnectionTests {
    private static let predict = "/predict?model=vgg16_small&top=1"

    /// A normal `POST /predict` on a new connection succeeds.
    private func stillPredicts(_ port: Int) async throws -> Bool {
        try await post(port, Self.predict, raw: Fixture.png, contentType: "image/png").status == 200
    }

    /// Sends `bytes` on a new connection and expects the server's closing error (`status`,
    /// the JSON `code`, `Connection: close`), the close itself, and a normal prediction on
    /// the next connection.
    private func expectRefusal(
        _ bytes: [UInt8], _ status: Int, _ code: String, port: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let client = try SocketClient(port: port)
        let reply = try await client.exchange(bytes)
        #expect(reply.isClosingError(status, code), sourceLocation: sourceLocation)
        #expect(await client.waitForClose(), "the server kept the connection open", sourceLocation: sourceLocation)
        #expect(try await stillPredicts(port), sourceLocation: sourceLocation)
    }

    @Test func keepAliveServesSeveralRequestsOnOneConnection() async throws {
        try await withSharedService { port in
            let client = try SocketClient(port: port)
            for _ in 0..<3 {
                let reply = try await client.exchange(request("POST", Self.predict, headers: [("Content-Type", "image/png")], body: Fixture.png))
                #expect(reply.status == 200)
                #expect(reply.header("Connection") == nil)
            }
            #expect(try await client.exchange(request("GET", "/healthz")).status == 200)
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await withSharedService { port in
            let client = try SocketClient(port: port)
            await client.send(request("POST", Self.predict, headers: [("Content-Type", "image/png")], body: Fixture.png)
                + request("GET", "/healthz")
                + request("POST", "/gradcam?model=alexnet_small&format=json", headers: [("Content-Type", "image/jpeg")], body: Fixture.jpeg)
                + request("GET", "/nope"))
            let first = try await client.readResponse()
            #expect(first.status == 200)
            #expect(first.text.hasPrefix(#"{"image""#))
            #expect(try await client.readResponse().text == "ok\n")
            let third = try await client.readResponse()
            #expect(third.status == 200)
            #expect(third.text.contains(#""method":"gradcam""#))
            #expect(try await client.readResponse().status == 404)
        }
    }

    @Test func acceptsAChunkedUpload() async throws {
        try await withSharedService { port in
            var body: [UInt8] = []
            var rest = Fixture.png[...]
            while !rest.isEmpty {
                let chunk = rest.prefix(300)
                body += Array((String(chunk.count, radix: 16) + ";ext=1\r\n").utf8) + chunk + Array("\r\n".utf8)
                rest = rest.dropFirst(chunk.count)
            }
            body += Array("0\r\n\r\n".utf8)
            let head = request("POST", Self.predict, headers: [("Content-Type", "image/png"), ("Transfer-Encoding", "chunked")])
            let reply = try await SocketClient(port: port).exchange(head + body)
            #expect(reply.status == 200)
        }
    }

    @Test func malformedChunkingIs400AndClose() async throws {
        try await withSharedService { port in
            let head = request("POST", Self.predict, headers: [("Content-Type", "image/png"), ("Transfer-Encoding", "chunked")])
            try await expectRefusal(head + Array("zz\r\nhello\r\n0\r\n\r\n".utf8), 400, "bad_request", port: port)
        }
    }

    @Test func expectContinueGetsAnInterimAnswerThenTheResult() async throws {
        try await withSharedService { port in
            let client = try SocketClient(port: port)
            var head = "POST \(Self.predict) HTTP/1.1\r\nHost: t\r\nContent-Type: image/png\r\n"
            head += "Content-Length: \(Fixture.png.count)\r\nExpect: 100-continue\r\n\r\n"
            await client.send(head)
            #expect(try await client.readResponse().status == 100)
            let reply = try await client.exchange(Fixture.png)
            #expect(reply.status == 200, "\(reply.text)")
        }
    }

    @Test func expectContinueOverTheBodyLimitIs413BeforeTheBody() async throws {
        try await withSharedService { port in
            let head = "POST \(Self.predict) HTTP/1.1\r\nHost: t\r\nContent-Type: image/png\r\nContent-Length: 10000000\r\nExpect: 100-continue\r\n\r\n"
            try await expectRefusal(Array(head.utf8), 413, "content_too_large", port: port)
        }
    }

    @Test func anOversizedHeaderSectionIs431() async throws {
        try await withSharedService { port in
            let padded = request("POST", Self.predict, headers: [("X-Pad", String(repeating: "p", count: 5000))], body: Fixture.png)
            try await expectRefusal(padded, 431, "header_fields_too_large", port: port)
        }
    }

    @Test func anOversizedBodyIs413() async throws {
        try await withSharedService { port in
            let body = Fixture.png + [UInt8](repeating: 0, count: 300 * 1024)
            let oversized = request("POST", Self.predict, headers: [("Content-Type", "image/png")], body: body)
            try await expectRefusal(oversized, 413, "content_too_large", port: port)
        }
    }

    @Test func aParseErrorIs400AndClose() async throws {
        try await withSharedService { port in
            let ambiguous = "POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
            try await expectRefusal(Array(ambiguous.utf8), 400, "bad_request", port: port)
        }
    }

    @Test func aSlowlorisHeaderTrickleIsCutOffAtTheDeadline() async throws {
        try await withService(http: .testing) { _, port in
            let client = try SocketClient(port: port)
            let start = ContinuousClock.now
            // Each byte arrives well within any idle timeout; only the header deadline stops it.
            let trickler = client.trickle("POST \(Self.predict) HTTP/1.1\r\nHost: t\r\n")
            let closed = await client.waitForClose()
            let elapsed = ContinuousClock.now - start
            trickler.cancel()
            #expect(closed)
            #expect(elapsed >= .milliseconds(500) && elapsed < .seconds(2), "closed after \(elapsed)")
            #expect(try await stillPredicts(port))
        }
    }

    @Test func aStalledBodyIsCutOff() async throws {
        try await withService(http: .testing) { _, port in
            let client = try SocketClient(port: port)
            await client.send(request("POST", Self.predict, headers: [("Content-Type", "image/png"), ("Content-Length", "\(Fixture.png.count)")]))
            let reply = try await client.exchange(Array(Fixture.png.prefix(100)))
            #expect(reply.status == 408)
            #expect(await client.waitForClose())
            #expect(try await stillPredicts(port))
        }
    }

    @Test func anIdleKeepAliveConnectionIsClosed() async throws {
        try await withService(http: .testing) { _, port in
            let client = try SocketClient(port: port)
            // The clock starts before the request: the server arms the keep-alive timeout
            // (2 s) only after it has written the answer, so the close comes at least 2 s
            // later however long this task waits to be scheduled on a loaded machine.
            let start = ContinuousClock.now
            #expect(try await client.exchange(request("GET", "/healthz")).status == 200)
            #expect(await client.waitForClose())
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .seconds(2) && elapsed < .seconds(8), "closed after \(elapsed)")
        }
    }
}
