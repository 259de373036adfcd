import Testing
@testable import HTTP

/// The fetcher's reading of an origin's response head: an HTTP/1.x status line with a
/// three-digit status, and the fields it uses.
@Suite struct ResponseHeadTests {
    func head(_ text: String) throws(FetchError) -> ResponseHead {
        try ResponseHead(Array(text.utf8))
    }

    @Test func theFieldsTheFetcherUsesAreRead() throws {
        let h = try head("HTTP/1.1 302 Found\r\nLocation: /b\r\nContent-Length: 12\r\n\r\n")
        #expect(h.status == 302 && h.location == "/b" && h.contentLength == 12 && !h.chunked)
        #expect(try head("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").chunked)
    }

    /// The fuzzer's find (Fuzz/Corpus/fetch/regression-negative-status): `Int` took "-02" as a
    /// status after a version of garbage bytes.
    @Test(arguments: [
        "HTTP/1.\u{FF}\u{FF} -02 F\r\n\r\n", "HTTP/1.1 -02 F\r\n\r\n", "HTTP/1.1 +20 OK\r\n\r\n", "HTTP/1.x 200 OK\r\n\r\n",
        "HTTP/1.10 200 OK\r\n\r\n", "HTTP/2 200 OK\r\n\r\n",
    ])
    func statusLinesThatAreNotHTTP1WithThreeDigitsAreRefused(_ line: String) {
        #expect(throws: FetchError.failed("the response does not start with an HTTP/1.x status line")) { try head(line) }
    }

    @Test(arguments: ["+5", "-1", "1e3", "", "0x10", "1234567890123456789"])
    func aContentLengthThatIsNotDigitsIsRefused(_ value: String) {
        #expect(throws: FetchError.failed("the response's Content-Length is not a number")) {
            try head("HTTP/1.1 200 OK\r\nContent-Length: \(value)\r\n\r\n")
        }
    }
}
