import Testing
@testable import HTTP

@Suite struct ResponseSerializerTests {
    private func text(_ response: HTTPResponse, headOnly: Bool = false, _ persistence: ResponseSerializer.Persistence = .keepAlive) -> String? {
        ResponseSerializer.serialize(response, headOnly: headOnly, persistence: persistence).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func writesStatusFieldsDateLengthAndBody() throws {
        let response = HTTPResponse(status: .created, headers: ["X-Id": "7"], body: Array("done".utf8))
        let wire = try #require(text(response))
        #expect(wire.hasPrefix("HTTP/1.1 201 Created\r\nX-Id: 7\r\nDate: "))
        #expect(wire.hasSuffix(" GMT\r\nContent-Length: 4\r\n\r\ndone"))
    }

    @Test func ownsTheFramingFields() throws {
        let response = HTTPResponse(headers: ["Content-Length": "99", "Transfer-Encoding": "chunked", "connection": "keep-alive"], body: [1])
        let wire = try #require(text(response, .close))
        #expect(!wire.contains("99"))
        #expect(!wire.contains("chunked"))
        #expect(wire.contains("Content-Length: 1\r\nConnection: close\r\n\r\n"))
        #expect(try #require(text(HTTPResponse(), .keepAliveHTTP10)).contains("Connection: keep-alive\r\n"))
    }

    @Test func keepsTheResponderDate() throws {
        let wire = try #require(text(HTTPResponse(headers: ["Date": "Sun, 06 Nov 1994 08:49:37 GMT"])))
        #expect(wire.components(separatedBy: "Date:").count == 2)
    }

    @Test func headKeepsTheLengthButDropsTheBody() throws {
        let wire = try #require(text(HTTPResponse(body: Array("abc".utf8)), headOnly: true))
        #expect(wire.hasSuffix("Content-Length: 3\r\n\r\n"))
    }

    @Test func sendsNoBodyOrLengthWhereTheStatusForbidsThem() throws {
        let wire = try #require(text(HTTPResponse(status: .noContent, body: [1, 2])))
        #expect(!wire.contains("Content-Length"))
        #expect(wire.hasSuffix("\r\n\r\n"))
    }

    @Test func refusesFieldsThatWouldSplitTheResponse() {
        #expect(text(HTTPResponse(headers: ["X": "a\r\nInjected: 1"])) == nil)
        #expect(text(HTTPResponse(headers: ["Bad Name": "v"])) == nil)
        #expect(text(HTTPResponse(status: HTTPStatus(code: 200, reasonPhrase: "OK\r\nX: y"))) == nil)
    }

    @Test func formatsDates() {
        #expect(HTTPDate.format(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
    }
}
