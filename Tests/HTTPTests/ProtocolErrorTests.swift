import TestSupport
import Testing
@testable import HTTP

/// Malformed and over-limit requests over real sockets. Each must get its status
/// with the JSON error shape and `Connection: close`, be closed, and leave the
/// server answering the next client normally.
@Suite(.timeLimit(.minutes(2))) struct ProtocolErrorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var request: String
        var status: Int
        var code: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "request line without version", request: "GET /\r\n\r\n", status: 400, code: "bad_request"),
        Case(name: "garbage request line", request: "GARBAGE\r\n\r\n", status: 400, code: "bad_request"),
        Case(name: "extra field in request line", request: "GET / HTTP/1.1 extra\r\nHost: t\r\n\r\n", status: 400, code: "bad_request"),
        Case(name: "double space in request line", request: "GET  / HTTP/1.1\r\nHost: t\r\n\r\n", status: 400, code: "bad_request"),
        Case(name: "invalid method", request: "G(T / HTTP/1.1\r\nHost: t\r\n\r\n", status: 400, code: "bad_request"),
        Case(name: "lowercase version", request: "GET / http/1.1\r\nHost: t\r\n\r\n", status: 400, code: "bad_request"),
        Case(name: "HTTP/2.0", request: "GET / HTTP/2.0\r\nHost: t\r\n\r\n", status: 505, code: "http_version_not_supported"),
        Case(name: "HTTP/0.9 version", request: "GET / HTTP/0.9\r\n\r\n", status: 505, code: "http_version_not_supported"),
        Case(name: "relative target", request: "GET index.html HTTP/1.1\r\nHost: t\r\n\r\n", status: 400, code: "bad_request"),
        Case(name: "fragment in target", request: "GET /a#b HTTP/1.1\r\nHost: t\r\n\r\n", status: 400, code: "bad_request"),
        Case(name: "asterisk for GET", request: "GET * HTTP/1.1\r\nHost: t\r\n\r\n", status: 400, code: "bad_request"),
        Case(name: "target too long", request: "GET /\(String(repeating: "a", count: 2000)) HTTP/1.1\r\nHost: t\r\n\r\n", status: 414, code: "uri_too_long"),
        Case(name: "target too long, line unfinished", request: "GET /\(String(repeating: "a", count: 2000))", status: 414, code: "uri_too_long"),
        Case(name: "missing Host", request: "GET / HTTP/1.1\r\n\r\n", status: 400, code: "bad_request"),
        Case(name: "two Hosts", request: "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", status: 400, code: "bad_request"),
        Case(name: "invalid Host", request: "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", status: 400, code: "bad_request"),
        Case(name: "bare LF line ends", request: "GET / HTTP/1.1\nHost: t\n\n", status: 400, code: "bad_request"),
        Case(name: "bare LF in header section", request: "GET / HTTP/1.1\r\nHost: t\nX: y\r\n\r\n", status: 400, code: "bad_request"),
        Case(name: "bare CR in header value", request: "GET / HTTP/1.1\r\nHost: t\r\nX: a\rb\r\n\r\n", status: 400, code: "bad_request"),
        Case(name: "NUL in header value", request: "GET / HTTP/1.1\r\nHost: t\r\nX: a\u{0}b\r\n\r\n", status: 400, code: "bad_request"),
        Case(name: "obsolete line folding", request: "GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n b\r\n\r\n", status: 400, code: "bad_request"),
        Case(name: "space before colon", request: "GET / HTTP/1.1\r\nHost : t\r\n\r\n", status: 400, code: "bad_request"),
        Case(name: "header line without colon", request: "GET / HTTP/1.1\r\nHost: t\r\nnocolon\r\n\r\n", status: 400, code: "bad_request"),
        Case(name: "header section too large", request: "GET / HTTP/1.1\r\nHost: t\r\nX: \(String(repeating: "v", count: 5000))\r\n\r\n", status: 431, code: "header_fields_too_large"),
        Case(name: "header section too large, unfinished", request: "GET / HTTP/1.1\r\nHost: t\r\nX: \(String(repeating: "v", count: 5000))", status: 431, code: "header_fields_too_large"),
        Case(name: "too many headers", request: "GET / HTTP/1.1\r\nHost: t\r\n" + (0..<25).map { "X-\($0): v\r\n" }.joined() + "\r\n", status: 431, code: "header_fields_too_large"),
        Case(name: "Content-Length with Transfer-Encoding", request: "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", status: 400, code: "bad_request"),
        Case(name: "conflicting Content-Length", request: "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", status: 400, code: "bad_request"),
        Case(name: "conflicting Content-Length list", request: "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5, 6\r\n\r\nhello", status: 400, code: "bad_request"),
        Case(name: "negative Content-Length", request: "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n", status: 400, code: "bad_request"),
        Case(name: "non-numeric Content-Length", request: "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1e3\r\n\r\n", status: 400, code: "bad_request"),
        Case(name: "Content-Length over the cap", request: "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 70000\r\n\r\n", status: 413, code: "content_too_large"),
        Case(name: "huge Content-Length", request: "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999999\r\n\r\n", status: 413, code: "content_too_large"),
        Case(name: "unsupported transfer coding", request: "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", status: 501, code: "not_implemented"),
        Case(name: "chunked twice", request: "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", status: 400, code: "bad_request"),
        Case(name: "Transfer-Encoding in HTTP/1.0", request: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", status: 400, code: "bad_request"),
        Case(name: "bad chunk size", request: "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", status: 400, code: "bad_request"),
        Case(name: "chunk size with 0x prefix", request: "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", status: 400, code: "bad_request"),
        Case(name: "oversized chunk-size line", request: "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5;\(String(repeating: "e", count: 2000))\r\n", status: 400, code: "bad_request"),
        Case(name: "chunk without CRLF after data", request: "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", status: 400, code: "bad_request"),
        Case(name: "bare LF after chunk size", request: "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", status: 400, code: "bad_request"),
        Case(name: "chunk larger than the cap", request: "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n20000\r\n", status: 413, code: "content_too_large"),
        Case(name: "chunks adding up over the cap", request: "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + String(repeating: "8000\r\n" + String(repeating: "c", count: 0x8000) + "\r\n", count: 3), status: 413, code: "content_too_large"),
        Case(name: "trailers too large", request: "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: \(String(repeating: "t", count: 5000))\r\n\r\n", status: 431, code: "header_fields_too_large"),
        Case(name: "unknown expectation", request: "POST / HTTP/1.1\r\nHost: t\r\nExpect: something\r\nContent-Length: 1\r\n\r\nx", status: 417, code: "expectation_failed"),
    ]

    @Test(arguments: cases)
    func answersErrorClosesAndKeepsServing(_ testCase: Case) async throws {
        try await withServer { _, port in
            let response = try await expectClosingError(testCase.request, testCase.status, testCase.code, port: port)
            #expect(response.header("Content-Type") == "application/json")
            #expect(response.header("Date") != nil)
            #expect(try await serverStillAnswers(port: port))
        }
    }

    @Test func anErrorAfterGoodRequestsStillAnswersThemFirst() async throws {
        try await withServer { _, port in
            let client = try SocketClient(port: port)
            await client.send(get("/echo?n=1") + "BROKEN\r\n\r\n")
            #expect(try await client.readResponse().header("X-Query") == "n=1")
            #expect(try await client.readResponse().status == 400)
            #expect(await client.waitForClose())
        }
    }
}
