import Testing
@testable import HTTP

/// The request parser on its own, fed bytes without sockets.
@Suite struct HTTPParserTests {
    static let limits = RequestParser.Limits(maxTargetLength: 64, maxHeaderBytes: 256, maxHeaderCount: 8, maxBodyBytes: 100)

    /// Feeds `text` in pieces of `pieceSize` bytes and collects what the parser reports.
    private func parse(_ text: String, pieceSize: Int = .max) throws(HTTPError) -> (heads: [RequestHead], requests: [HTTPRequest]) {
        var parser = RequestParser(limits: Self.limits)
        var buffer = ReadBuffer()
        var heads: [RequestHead] = []
        var requests: [HTTPRequest] = []
        let bytes = Array(text.utf8)
        var offset = 0
        repeat {
            let end = min(bytes.count, offset + min(pieceSize, bytes.count))
            bytes[offset..<end].withUnsafeBytes { buffer.append($0) }
            offset = end
            parsing: while true {
                switch try parser.next(&buffer) {
                case .needMoreData: break parsing
                case .head(let head): heads.append(head)
                case .request(let request): requests.append(request)
                }
            }
        } while offset < bytes.count
        return (heads, requests)
    }

    private func error(_ text: String) -> HTTPError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func parsesARequestFedOneByteAtATime() throws {
        let text = "POST /upload?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nX-A: one\r\nx-a: two\r\n\r\nhello"
        let whole = try parse(text)
        let trickled = try parse(text, pieceSize: 1)
        for result in [whole, trickled] {
            #expect(result.requests.count == 1)
            let request = try #require(result.requests.first)
            #expect(request.method == "POST")
            #expect(request.target == "/upload?x=1")
            #expect(request.path == "/upload")
            #expect(request.version == .http1_1)
            #expect(request.headers.values(for: "X-A") == ["one", "two"])
            #expect(request.body == Array("hello".utf8))
        }
    }

    @Test func parsesPipelinedRequestsFromOneBuffer() throws {
        let result = try parse("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(result.requests.map(\.path) == ["/a", "/b"])
    }

    @Test func decidesKeepAliveByVersionAndConnection() throws {
        func keepAlive(_ version: String, _ connection: String?) throws -> Bool {
            let header = connection.map { "Connection: \($0)\r\n" } ?? ""
            return try #require(parse("GET / \(version)\r\nHost: h\r\n\(header)\r\n").heads.first).keepAlive
        }
        #expect(try keepAlive("HTTP/1.1", nil))
        #expect(try !keepAlive("HTTP/1.1", "close"))
        #expect(try !keepAlive("HTTP/1.1", "Upgrade, CLOSE"))
        #expect(try !keepAlive("HTTP/1.0", nil))
        #expect(try keepAlive("HTTP/1.0", "Keep-Alive"))
        #expect(try keepAlive("HTTP/1.2", nil))
    }

    @Test func expectsContinueOnlyWhenABodyFollows() throws {
        let withBody = try parse("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n")
        #expect(withBody.heads.first?.expectsContinue == true)
        let withoutBody = try parse("GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n")
        #expect(withoutBody.heads.first?.expectsContinue == false)
        let http10 = try parse("PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx")
        #expect(http10.heads.first?.expectsContinue == false)
    }

    @Test func acceptsIdenticalRepeatedContentLengths() throws {
        let result = try parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 2, 2\r\n\r\nok")
        #expect(result.requests.first?.body == Array("ok".utf8))
    }

    @Test func keepsObsTextInValues() throws {
        var bytes = Array("GET / HTTP/1.1\r\nHost: h\r\nX: caf".utf8)
        bytes += [0xE9]  // ISO-8859-1 é, not valid UTF-8
        bytes += Array("\r\n\r\n".utf8)
        var parser = RequestParser(limits: Self.limits)
        var buffer = ReadBuffer()
        bytes.withUnsafeBytes { buffer.append($0) }
        _ = try parser.next(&buffer)
        guard case .request(let request) = try parser.next(&buffer) else {
            Issue.record("no request")
            return
        }
        #expect(request.headers["X"] == "café")
    }

    @Test func enforcesLimitsAsSoonAsTheyArePassed() {
        // No line end yet, but already too long.
        #expect(error("GET /" + String(repeating: "a", count: 200))?.status == .uriTooLong)
        #expect(error(String(repeating: "A", count: 200))?.status == .badRequest)
        #expect(error("GET / HTTP/1.1\r\nX: " + String(repeating: "v", count: 300))?.status == .requestHeaderFieldsTooLarge)
        let nine = (0..<9).map { "X-\($0): v\r\n" }.joined()
        #expect(error("GET / HTTP/1.1\r\nHost: h\r\n" + nine)?.status == .requestHeaderFieldsTooLarge)
        #expect(error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 101\r\n\r\n")?.status == .contentTooLarge)
        #expect(error("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n65\r\n")?.status == .contentTooLarge)
    }

    @Test func resetsBetweenRequests() throws {
        let result = try parse("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nX: 1\r\n\r\nzGET /b HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(result.requests.count == 2)
        #expect(result.requests[1].body.isEmpty)
        #expect(result.requests[1].headers["X"] == nil)
    }
}
