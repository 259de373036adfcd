import Testing
@testable import HTTP

@Suite struct HTTPHeadersTests {
    @Test func looksUpNamesCaseInsensitively() {
        let headers: HTTPHeaders = ["Content-Type": "text/plain", "X-Multi": "a", "x-multi": "b"]
        #expect(headers["content-type"] == "text/plain")
        #expect(headers["X-MULTI"] == "a")
        #expect(headers.values(for: "x-Multi") == ["a", "b"])
        #expect(headers.contains("CONTENT-TYPE"))
        #expect(!headers.contains("Content"))
    }

    @Test func setReplacesEveryFieldOfThatNameInPlace() {
        var headers: HTTPHeaders = ["A": "1", "B": "2", "a": "3"]
        headers["a"] = "new"
        #expect(headers.map(\.name) == ["a", "B"])
        #expect(headers["A"] == "new")
        headers["A"] = nil
        #expect(headers.count == 1)
        headers.add(name: "C", value: "x")
        #expect(headers.map(\.name) == ["B", "C"])
    }

    @Test func splitsListValues() {
        let headers: HTTPHeaders = ["Connection": " keep-alive ,, Upgrade", "connection": "close"]
        #expect(headers.listValues(for: "Connection") == ["keep-alive", "Upgrade", "close"])
    }
}
