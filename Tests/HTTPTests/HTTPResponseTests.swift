import Testing
@testable import HTTP

@Suite struct HTTPResponseTests {
    @Test func rendersTheOneErrorShape() {
        let response = HTTPResponse.error(status: .notFound, code: "no_model", message: "Model \"x\"\nnot found\u{1}")
        #expect(response.status.code == 404)
        #expect(response.headers["Content-Type"] == "application/json")
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"error":{"code":"no_model","message":"Model \"x\"\nnot found\u0001"}}"#)
    }

    @Test func encodesJSON() throws {
        struct Payload: Encodable { var top: [Int] }
        let response = try HTTPResponse.json(Payload(top: [242, 282]), status: .ok)
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"top":[242,282]}"#)
        #expect(HTTPResponse.text("hi").headers["Content-Type"] == "text/plain; charset=utf-8")
    }

    @Test func namesStandardStatuses() {
        #expect(HTTPStatus(code: 431).reasonPhrase == "Request Header Fields Too Large")
        #expect(HTTPStatus(code: 599).reasonPhrase == "Status 599")
    }
}
