import Testing
@testable import HTTP

@Suite struct HTTPRequestTests {
    @Test func splitsPathAndQuery() {
        let request = HTTPRequest(method: "GET", target: "/gradcam/v%31?model=vgg16&class=242&class=282&text=a+b")
        #expect(request.path == "/gradcam/v1")
        #expect(request.queryValue("class") == "242")
        #expect(request.query.filter { $0.name == "class" }.map(\.value) == ["242", "282"])
        #expect(request.queryValue("text") == "a b")
        #expect(request.queryValue("missing") == nil)
    }

    @Test func handlesTargetsWithoutPathOrQuery() {
        #expect(HTTPRequest(method: "GET", target: "/").query.isEmpty)
        #expect(HTTPRequest(method: "GET", target: "/?").query.isEmpty)
        #expect(HTTPRequest(method: "OPTIONS", target: "*").path == "*")
    }

    @Test func takesThePathOfAnAbsoluteTarget() {
        #expect(HTTPRequest(method: "GET", target: "http://host:8080/a/b?x=1").path == "/a/b")
        #expect(HTTPRequest(method: "GET", target: "http://host:8080/a/b?x=1").queryValue("x") == "1")
        #expect(HTTPRequest(method: "GET", target: "https://host").path == "/")
        #expect(HTTPRequest(method: "GET", target: "http://host?x=2").queryValue("x") == "2")
    }
}
