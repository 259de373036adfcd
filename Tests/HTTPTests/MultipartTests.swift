import Testing
@testable import HTTP

@Suite struct MultipartTests {
    private func body(_ text: String) -> [UInt8] {
        Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8)
    }

    @Test func parsesFieldsAndFiles() throws {
        let contentType = #"multipart/form-data; boundary="----WebKitFormBoundary7MA4YWxk""#
        var bytes = body("""
        preamble to ignore
        ------WebKitFormBoundary7MA4YWxk
        Content-Disposition: form-data; name="class"

        242
        ------WebKitFormBoundary7MA4YWxk
        Content-Disposition: form-data; name="image"; filename="dog \\"cat\\".png"
        Content-Type: image/png

        
        """)
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0xFF]
        bytes += png
        bytes += body("\n------WebKitFormBoundary7MA4YWxk--\nepilogue")

        let form = try MultipartFormData(body: bytes, contentType: contentType)
        #expect(form.parts.count == 2)
        #expect(form.part(named: "class")?.data == Array("242".utf8))
        #expect(form.part(named: "class")?.filename == nil)
        let image = try #require(form.part(named: "image"))
        #expect(image.filename == #"dog "cat".png"#)
        #expect(image.contentType == "image/png")
        #expect(image.data == png)
    }

    @Test func keepsBackslashesOfWindowsPaths() throws {
        let bytes = body("--b\nContent-Disposition: form-data; name=\"f\"; filename=\"C:\\\\dir\\file.png\"\n\nx\n--b--")
        let form = try MultipartFormData(body: bytes, boundary: "b")
        #expect(form.parts.first?.filename == #"C:\dir\file.png"#)
    }

    @Test func allowsDataThatLooksAlmostLikeTheBoundary() throws {
        let bytes = body("--abc\nContent-Disposition: form-data; name=\"a\"\n\n--ab\n-abc\nabc\n--abc--")
        let form = try MultipartFormData(body: bytes, boundary: "abc")
        #expect(form.parts.first?.data == body("--ab\n-abc\nabc"))
    }

    @Test func parsesEmptyPartsAndTransportPadding() throws {
        let bytes = body("--b  \nContent-Disposition: form-data; name=\"empty\"\n\n\n--b\t\nContent-Disposition: form-data; name=\"x\"\n\ny\n--b--")
        let form = try MultipartFormData(body: bytes, boundary: "b")
        #expect(form.parts.map(\.name) == ["empty", "x"])
        #expect(form.parts[0].data.isEmpty)
    }

    @Test func acceptsAFormWithNoParts() throws {
        #expect(try MultipartFormData(body: body("--b--\n"), boundary: "b").parts.isEmpty)
    }

    @Test func findsTheBoundaryInTheContentType() throws {
        #expect(try MultipartFormData.boundary(contentType: "Multipart/Form-Data; charset=utf-8; boundary=AbC") == "AbC")
        #expect(throws: MultipartFormData.Error.notMultipartFormData) { try MultipartFormData.boundary(contentType: nil) }
        #expect(throws: MultipartFormData.Error.notMultipartFormData) { try MultipartFormData.boundary(contentType: "image/png") }
        #expect(throws: MultipartFormData.Error.notMultipartFormData) { try MultipartFormData.boundary(contentType: "multipart/form-data; boundary") }
        #expect(throws: MultipartFormData.Error.invalidBoundary) { try MultipartFormData.boundary(contentType: "multipart/form-data") }
        #expect(throws: MultipartFormData.Error.invalidBoundary) {
            try MultipartFormData.boundary(contentType: "multipart/form-data; boundary=" + String(repeating: "x", count: 71))
        }
        #expect(throws: MultipartFormData.Error.invalidBoundary) { try MultipartFormData.boundary(contentType: #"multipart/form-data; boundary="a b ""#) }
    }

    @Test(arguments: [
        ("no boundary at all", "just text", MultipartFormData.Error.missingOpeningBoundary),
        ("truncated data", "--b\nContent-Disposition: form-data; name=\"a\"\n\nabc", .unexpectedEnd),
        ("truncated headers", "--b\nContent-Disposition: form-data", .unexpectedEnd),
        ("no close delimiter", "--b\nContent-Disposition: form-data; name=\"a\"\n\nabc\n--b", .unexpectedEnd),
        ("junk after boundary", "--bX\nContent-Disposition: form-data; name=\"a\"\n\nabc\n--b--", .malformedBoundaryLine),
        ("header without colon", "--b\nContent-Disposition form-data\n\nabc\n--b--", .malformedPartHeader),
        ("folded header", "--b\nContent-Disposition: form-data;\n name=\"a\"\n\nabc\n--b--", .malformedPartHeader),
        ("no disposition", "--b\nContent-Type: text/plain\n\nabc\n--b--", .missingContentDisposition),
        ("no name", "--b\nContent-Disposition: form-data; filename=\"a\"\n\nabc\n--b--", .missingContentDisposition),
        ("not form-data", "--b\nContent-Disposition: attachment; name=\"a\"\n\nabc\n--b--", .missingContentDisposition),
        ("unterminated quote", "--b\nContent-Disposition: form-data; name=\"a\n\nabc\n--b--", .missingContentDisposition),
    ])
    func rejectsMalformedBodies(_ name: String, _ text: String, _ expected: MultipartFormData.Error) {
        #expect(throws: expected, "\(name)") { try MultipartFormData(body: body(text), boundary: "b") }
    }

    @Test func capsTheNumberOfParts() throws {
        let part = "--b\nContent-Disposition: form-data; name=\"p\"\n\nv\n"
        let bytes = body(String(repeating: part, count: 5) + "--b--")
        let limits = MultipartFormData.Limits(maxParts: 4)
        #expect(throws: MultipartFormData.Error.tooManyParts(limit: 4)) { try MultipartFormData(body: bytes, boundary: "b", limits: limits) }
        #expect(try MultipartFormData(body: bytes, boundary: "b", limits: .init(maxParts: 5)).parts.count == 5)
    }

    @Test func capsThePartHeaderSection() {
        let bytes = body("--b\nContent-Disposition: form-data; name=\"p\"\nX-Pad: \(String(repeating: "p", count: 300))\n\nv\n--b--")
        let limits = MultipartFormData.Limits(maxPartHeaderBytes: 256)
        #expect(throws: MultipartFormData.Error.partHeaderTooLarge(limit: 256)) { try MultipartFormData(body: bytes, boundary: "b", limits: limits) }
    }

    @Test func describesErrorsForHumans() {
        #expect(MultipartFormData.Error.tooManyParts(limit: 4).description == "The multipart body has more than 4 parts.")
    }

    @Test func isReachableFromARequest() throws {
        let request = HTTPRequest(
            method: "POST",
            target: "/",
            headers: ["Content-Type": "multipart/form-data; boundary=b"],
            body: body("--b\nContent-Disposition: form-data; name=\"a\"\n\n1\n--b--")
        )
        #expect(try request.multipartFormData().part(named: "a")?.data == Array("1".utf8))
    }
}
