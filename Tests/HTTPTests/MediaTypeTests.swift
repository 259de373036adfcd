import Testing
@testable import HTTP

@Suite struct MediaTypeTests {
    @Test func parsesTypeSubtypeAndParameters() throws {
        let type = try #require(MediaType(#"Text/HTML ; Charset="utf-8"; q=0.5;"#))
        #expect(type.essence == "text/html")
        #expect(type.parameters == ["charset": "utf-8", "q": "0.5"])
    }

    @Test func keepsTheFirstOfRepeatedParameters() throws {
        #expect(try #require(MediaType("a/b; x=1; X=2")).parameters["x"] == "1")
    }

    @Test(arguments: ["", "text", "text/", "/html", "text/html; charset", "text/html; =x", #"text/html; a="open"#, "text/html x"])
    func rejectsMalformedValues(_ text: String) {
        #expect(MediaType(text) == nil)
    }
}
