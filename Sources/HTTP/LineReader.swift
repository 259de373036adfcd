/// Finds CRLF-terminated lines at the front of a ``ReadBuffer``.
///
/// It remembers how far it has already searched, so a line trickled in one byte
/// at a time is scanned once rather than once per byte. A bare LF (one without the
/// CR before it) is rejected: RFC 9112 §2.2 allows accepting it, but differing
/// treatment of bare LF between servers and proxies is a request-smuggling vector,
/// so this server is strict.
struct LineReader {
    enum Result {
        /// A whole line, without its CRLF; it has been consumed from the buffer.
        case line(ArraySlice<UInt8>)
        /// No line end yet, and the line is still within its length limit.
        case incomplete
        /// No line end within `maxLength` bytes.
        case tooLong
    }

    private var scanned = 0

    /// Reads one line of at most `maxLength` bytes (CRLF excluded).
    mutating func read(_ buffer: inout ReadBuffer, maxLength: Int) throws(HTTPError) -> Result {
        let searchLimit = max(0, maxLength) + 2
        guard let lineFeed = buffer.firstIndex(of: UInt8(ascii: "\n"), from: scanned, limit: searchLimit) else {
            if buffer.count >= searchLimit {
                scanned = 0
                return .tooLong
            }
            scanned = buffer.count
            return .incomplete
        }
        scanned = 0
        guard lineFeed > 0, buffer[lineFeed - 1] == UInt8(ascii: "\r") else {
            throw .badRequest("Lines must end with CRLF; a bare LF is not accepted.")
        }
        let line = buffer[0..<(lineFeed - 1)]
        buffer.consume(lineFeed + 1)
        return .line(line)
    }
}
