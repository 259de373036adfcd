import TestSupport
import Testing
@testable import HTTP

/// Requests over real sockets: keep-alive, pipelining, bodies, 100-continue.
@Suite(.timeLimit(.minutes(2))) struct HTTPServerTests {
    @Test func keepsTheConnectionAliveAndSetsDateAndLength() async throws {
        try await withServer { _, port in
            let client = try SocketClient(port: port)
            for _ in 0..<3 {
                let response = try await client.exchange(get("/"))
                #expect(response.status == 200)
                #expect(response.text == "ok")
                #expect(response.header("Content-Length") == "2")
                #expect(response.header("Date")?.hasSuffix(" GMT") == true)
                #expect(response.header("Connection") == nil)
            }
        }
    }

    @Test func http10ClosesUnlessAskedToKeepAlive() async throws {
        try await withServer { _, port in
            let plain = try SocketClient(port: port)
            await plain.send("GET / HTTP/1.0\r\n\r\n")
            #expect(try await plain.readResponse().header("Connection") == "close")
            #expect(await plain.waitForClose())

            let keepAlive = try SocketClient(port: port)
            for _ in 0..<2 {
                let response = try await keepAlive.exchange("GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                #expect(response.header("Connection") == "keep-alive")
                #expect(response.header("X-Version") == "HTTP/1.0")
            }
        }
    }

    @Test func connectionCloseIsHonoured() async throws {
        try await withServer { _, port in
            let client = try SocketClient(port: port)
            await client.send(get("/", close: true))
            #expect(try await client.readResponse().header("Connection") == "close")
            #expect(await client.waitForClose())
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await withServer { _, port in
            let client = try SocketClient(port: port)
            await client.send(get("/slow?ms=200") + get("/echo?n=2") + "POST /echo?n=3 HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nbody" + get("/echo?n=4"))
            #expect(try await client.readResponse().text == "slow")
            #expect(try await client.readResponse().header("X-Query") == "n=2")
            let third = try await client.readResponse()
            #expect(third.header("X-Query") == "n=3")
            #expect(third.text == "body")
            #expect(try await client.readResponse().header("X-Query") == "n=4")
        }
    }

    @Test func decodesPathAndQuery() async throws {
        try await withServer { _, port in
            let client = try SocketClient(port: port)
            let response = try await client.exchange(get("/echo?a=1&b=x+y&c=%41%zz&d&a=2"))
            #expect(response.header("X-Path") == "/echo")
            #expect(response.header("X-Query") == "a=1&b=x y&c=A%zz&d=&a=2")
        }
    }

    @Test func acceptsAbsoluteFormAsteriskFormAndLeadingEmptyLines() async throws {
        try await withServer { _, port in
            let client = try SocketClient(port: port)
            let absolute = try await client.exchange("GET http://example.com/echo?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n")
            #expect(absolute.header("X-Path") == "/echo")
            #expect(absolute.header("X-Query") == "x=1")

            await client.send("OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try await client.readResponse().status == 200)

            await client.send("\r\n\r\n" + get("/echo"))
            #expect(try await client.readResponse().header("X-Path") == "/echo")
        }
    }

    @Test func readsContentLengthBodies() async throws {
        try await withServer { _, port in
            let client = try SocketClient(port: port)
            let body = String(repeating: "0123456789", count: 5000)
            await client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
            #expect(try await client.readResponse().text == body)
        }
    }

    @Test func decodesChunkedBodiesIgnoringExtensionsAndTrailers() async throws {
        try await withServer { _, port in
            let client = try SocketClient(port: port)
            await client.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
            await client.send("5;name=value\r\nhello\r\n")
            await client.send("1\r\n \r\nA\r\n0123456789\r\n")
            let response = try await client.exchange("0\r\nX-Checksum: abc\r\n\r\n")
            #expect(response.status == 200)
            #expect(response.text == "hello 0123456789")
            // The connection stays usable after a chunked body.
            await client.send(get("/"))
            #expect(try await client.readResponse().status == 200)
        }
    }

    @Test func sendsContinueBeforeReadingAnExpectedBody() async throws {
        var configuration = HTTPServer.Configuration.testing
        configuration.bodyIdleTimeout = .seconds(5)  // The body follows the 100 at once; a loaded machine may stall.
        try await withServer(configuration) { _, port in
            let client = try SocketClient(port: port)
            await client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
            #expect(try await client.readResponse().status == 100)
            let response = try await client.exchange("hello")
            #expect(response.status == 200)
            #expect(response.text == "hello")
        }
    }

    @Test func refusesAnOversizeExpectedBodyWithoutContinue() async throws {
        try await withServer { _, port in
            try await expectClosingError(
                "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\nExpect: 100-continue\r\n\r\n",
                413, "content_too_large", port: port)
        }
    }

    @Test func headGetsHeadersOnly() async throws {
        try await withServer { _, port in
            let client = try SocketClient(port: port)
            await client.send("HEAD /big?bytes=1000 HTTP/1.1\r\nHost: t\r\n\r\n")
            let head = try await client.readResponse(headOnly: true)
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == "1000")
            // Were any body bytes sent, they would be read as the next response.
            await client.send(get("/"))
            #expect(try await client.readResponse().text == "ok")
        }
    }

    @Test func refusesToSendAResponseThatWouldSplit() async throws {
        try await withServer { _, port in
            let client = try SocketClient(port: port)
            let response = try await client.exchange(get("/bad-header"))
            #expect(response.status == 500)
            #expect(response.errorCode == "invalid_response")
            #expect(response.header("Set-Cookie") == nil)
        }
    }

    @Test func closesWhenTheResponderAsks() async throws {
        try await withServer { _, port in
            let client = try SocketClient(port: port)
            let response = try await client.exchange(get("/close"))
            #expect(response.header("Connection") == "close")
            #expect(response.text == "bye")
            #expect(await client.waitForClose())
        }
    }

    @Test func capsRequestsPerConnection() async throws {
        var configuration = HTTPServer.Configuration.testing
        configuration.maxRequestsPerConnection = 2
        try await withServer(configuration) { _, port in
            let client = try SocketClient(port: port)
            await client.send(get("/"))
            #expect(try await client.readResponse().header("Connection") == nil)
            await client.send(get("/"))
            #expect(try await client.readResponse().header("Connection") == "close")
            #expect(await client.waitForClose())
        }
    }

    @Test func passesTheRemoteAddress() async throws {
        let responder = ClosureResponder { request in .text(request.remoteAddress ?? "none") }
        try await withServer(responder: responder) { _, port in
            let client = try SocketClient(port: port)
            await client.send(get("/"))
            #expect(try await client.readResponse().text.hasPrefix("127.0.0.1:"))
        }
    }

    @Test func reportsTheBoundPort() async throws {
        try await withServer { server, port in
            #expect(port > 0)
            #expect(server.port == port)
        }
    }
}
