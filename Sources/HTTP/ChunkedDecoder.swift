/// Decodes a `Transfer-Encoding: chunked` request body (RFC 9112 §7.1).
///
/// Chunk extensions are ignored and trailer fields are read and discarded. Both
/// lines are bounded so that a client cannot make the server buffer without end,
/// and the decoded size is checked against the body cap before each chunk's data is
/// read, so an oversize chunked body is refused as early as a `Content-Length` one.
struct ChunkedDecoder {
    /// The longest chunk-size line accepted, extensions included and CRLF excluded.
    /// A size needs at most 16 hex digits; nobody sends long extensions.
    static let maxSizeLineLength = 1024

    private enum Phase {
        case size
        case data(remaining: Int)
        case dataEnd
        case trailers(byteCount: Int)
    }

    private var phase = Phase.size
    private var lines = LineReader()

    /// Moves the decoded bytes available in `buffer` to `body`.
    ///
    /// - Parameters:
    ///   - maxBodyBytes: the cap on the decoded body (413 beyond it).
    ///   - maxTrailerBytes: the cap on the trailer section (431 beyond it).
    /// - Returns: `true` once the last chunk and the trailer section have been read.
    mutating func decode(
        _ buffer: inout ReadBuffer,
        into body: inout [UInt8],
        maxBodyBytes: Int,
        maxTrailerBytes: Int
    ) throws(HTTPError) -> Bool {
        while true {
            switch phase {
            case .size:
                switch try lines.read(&buffer, maxLength: Self.maxSizeLineLength) {
                case .incomplete:
                    return false
                case .tooLong:
                    throw .badRequest("Chunk-size line longer than \(Self.maxSizeLineLength) bytes.")
                case .line(let line):
                    let size = try Self.parseSizeLine(line, available: maxBodyBytes - body.count, maxBodyBytes: maxBodyBytes)
                    phase = size == 0 ? .trailers(byteCount: 0) : .data(remaining: size)
                }
            case .data(let remaining):
                let n = min(remaining, buffer.count)
                guard n > 0 else { return false }
                body.append(contentsOf: buffer.take(n))
                phase = n == remaining ? .dataEnd : .data(remaining: remaining - n)
            case .dataEnd:
                guard buffer.count >= 2 else { return false }
                guard buffer[0] == UInt8(ascii: "\r"), buffer[1] == UInt8(ascii: "\n") else {
                    throw .badRequest("Chunk data must be followed by CRLF.")
                }
                buffer.consume(2)
                phase = .size
            case .trailers(let byteCount):
                switch try lines.read(&buffer, maxLength: maxTrailerBytes - byteCount - 2) {
                case .incomplete:
                    return false
                case .tooLong:
                    throw .headerFieldsTooLarge("Trailer section larger than \(maxTrailerBytes) bytes.")
                case .line(let line):
                    if line.isEmpty {
                        phase = .size
                        return true
                    }
                    phase = .trailers(byteCount: byteCount + line.count + 2)
                }
            }
        }
    }

    /// Parses `chunk-size [ chunk-ext ]`, checking the size against the room left
    /// under the body cap as the digits are read (so it cannot overflow).
    private static func parseSizeLine(_ line: ArraySlice<UInt8>, available: Int, maxBodyBytes: Int) throws(HTTPError) -> Int {
        var size = 0
        var index = line.startIndex
        while index < line.endIndex, let digit = Syntax.hexDigitValue(line[index]) {
            size = size * 16 + Int(digit)
            guard size <= available else { throw .contentTooLarge(limit: maxBodyBytes) }
            index += 1
        }
        guard index > line.startIndex else {
            throw .badRequest("Invalid chunk size.")
        }
        // What follows the size may only be a chunk extension: BWS ";" ..., with no
        // control characters. Extensions are ignored.
        let extensions = line[index...]
        guard extensions.isEmpty
            || (extensions.drop(while: Syntax.isWhitespace).first == UInt8(ascii: ";") && extensions.allSatisfy(Syntax.isFieldValueByte))
        else {
            throw .badRequest("Invalid chunk size.")
        }
        return size
    }
}
