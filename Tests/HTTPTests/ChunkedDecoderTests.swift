import Testing
@testable import HTTP

@Suite struct ChunkedDecoderTests {
    /// Decodes `text`, fed in pieces of `pieceSize` bytes; `nil` body if unfinished.
    private func decode(_ text: String, pieceSize: Int = .max, maxBody: Int = 1000) throws(HTTPError) -> (body: [UInt8], finished: Bool, leftover: Int) {
        var decoder = ChunkedDecoder()
        var buffer = ReadBuffer()
        var body: [UInt8] = []
        let bytes = Array(text.utf8)
        var offset = 0
        var finished = false
        repeat {
            let end = min(bytes.count, offset + min(pieceSize, bytes.count))
            bytes[offset..<end].withUnsafeBytes { buffer.append($0) }
            offset = end
            finished = try decoder.decode(&buffer, into: &body, maxBodyBytes: maxBody, maxTrailerBytes: 100)
        } while !finished && offset < bytes.count
        return (body, finished, buffer.count + bytes.count - offset)
    }

    @Test(arguments: [1, 2, 3, 7, Int.max])
    func decodesInAnyPieces(pieceSize: Int) throws {
        let text = "4\r\nWiki\r\n5;ext=\"quoted\" ; other\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nTrailer: yes\r\n\r\nNEXT"
        let result = try decode(text, pieceSize: pieceSize)
        #expect(result.finished)
        #expect(String(decoding: result.body, as: UTF8.self) == "Wikipedia in\r\n\r\nchunks.")
        #expect(result.leftover == 4)  // "NEXT" belongs to the next request.
    }

    @Test func acceptsUppercaseHexAndLeadingZeros() throws {
        let result = try decode("000A\r\n0123456789\r\n0\r\n\r\n")
        #expect(result.body.count == 10)
    }

    @Test func waitsForMoreInput() throws {
        let result = try decode("5\r\nhel")
        #expect(!result.finished)
        #expect(result.body == Array("hel".utf8))
    }

    @Test(arguments: [
        "\r\n",                    // empty size
        " 5\r\nhello\r\n",        // leading space
        "5 x\r\nhello\r\n",       // junk after size
        "-5\r\nhello\r\n",
        "5\r\nhelloX\r\n",        // data longer than announced
        "5\nhello\r\n",           // bare LF
        "5\r\nhello\r\n0\r\nT: v\n\r\n",  // bare LF in trailers
    ])
    func rejectsMalformedInput(_ text: String) {
        #expect(throws: HTTPError.self) { try decode(text) }
    }

    @Test func boundsTheSizeLine() {
        let long = "5;" + String(repeating: "x", count: ChunkedDecoder.maxSizeLineLength)
        #expect(throws: HTTPError.badRequest("Chunk-size line longer than \(ChunkedDecoder.maxSizeLineLength) bytes.")) {
            try decode(long)
        }
    }

    @Test func capsTheBodyBeforeReadingTheChunk() {
        #expect(throws: HTTPError.contentTooLarge(limit: 10)) { try decode("B\r\n", maxBody: 10) }
        #expect(throws: HTTPError.contentTooLarge(limit: 10)) { try decode("8\r\n01234567\r\n3\r\n", maxBody: 10) }
        #expect(throws: HTTPError.contentTooLarge(limit: 10)) { try decode("FFFFFFFFFFFFFFFFFFFFFFFF\r\n", maxBody: 10) }
    }

    @Test func capsTheTrailers() {
        let trailers = (0..<20).map { "T\($0): value\r\n" }.joined()
        #expect(throws: HTTPError.self) { try decode("0\r\n" + trailers + "\r\n") }
    }
}
