/// A `multipart/form-data` body split into its parts (RFC 7578, RFC 2046 §5.1).
///
/// The whole body is already in memory (the server caps its size), so parsing is a
/// single pass over it. The part count and each part's header section are capped
/// too, since a small body could otherwise describe thousands of tiny parts.
public struct MultipartFormData: Sendable {
    /// One form field or file.
    public struct Part: Sendable {
        /// The `name` parameter of `Content-Disposition: form-data`.
        public var name: String
        /// The `filename` parameter, present for file uploads.
        public var filename: String?
        /// The part's `Content-Type`, if it sent one.
        public var contentType: String?
        /// All of the part's header fields.
        public var headers: HTTPHeaders
        public var data: [UInt8]
    }

    public struct Limits: Sendable {
        /// The most parts accepted: an upload form has a handful, and every part costs
        /// a header parse and an allocation.
        public var maxParts: Int
        /// The largest header section of one part, CRLFs included.
        public var maxPartHeaderBytes: Int

        public init(maxParts: Int = 64, maxPartHeaderBytes: Int = 8 * 1024) {
            self.maxParts = maxParts
            self.maxPartHeaderBytes = maxPartHeaderBytes
        }
    }

    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        /// `Content-Type` is missing or is not `multipart/form-data`.
        case notMultipartFormData
        /// The boundary parameter is missing, or is not 1 to 70 allowed characters.
        case invalidBoundary
        /// No `--boundary` line opens the body.
        case missingOpeningBoundary
        /// The body ends before the closing `--boundary--`.
        case unexpectedEnd
        /// A boundary line is followed by something other than `--` or CRLF.
        case malformedBoundaryLine
        /// A part's header section is not a list of `name: value` lines.
        case malformedPartHeader
        /// A part lacks `Content-Disposition: form-data; name="..."`.
        case missingContentDisposition
        case partHeaderTooLarge(limit: Int)
        case tooManyParts(limit: Int)

        public var description: String {
            switch self {
            case .notMultipartFormData: "The request body is not multipart/form-data."
            case .invalidBoundary: "The multipart boundary is missing or invalid."
            case .missingOpeningBoundary: "The multipart body does not start with a boundary."
            case .unexpectedEnd: "The multipart body ends before its closing boundary."
            case .malformedBoundaryLine: "A multipart boundary line is malformed."
            case .malformedPartHeader: "A multipart part has a malformed header."
            case .missingContentDisposition: "A multipart part lacks Content-Disposition: form-data with a name."
            case .partHeaderTooLarge(let limit): "A multipart part header exceeds \(limit) bytes."
            case .tooManyParts(let limit): "The multipart body has more than \(limit) parts."
            }
        }
    }

    public var parts: [Part]

    /// Parses `body` with the boundary named in a `Content-Type` header value.
    public init(body: [UInt8], contentType: String?, limits: Limits = Limits()) throws(Error) {
        try self.init(body: body, boundary: Self.boundary(contentType: contentType), limits: limits)
    }

    /// Parses `body` delimited by `boundary`.
    public init(body: [UInt8], boundary: String, limits: Limits = Limits()) throws(Error) {
        guard Self.isValidBoundary(boundary) else { throw .invalidBoundary }
        parts = try MultipartScanner(body: body, boundary: Array(boundary.utf8), limits: limits).parts()
    }

    /// The boundary of a `multipart/form-data` content type.
    public static func boundary(contentType: String?) throws(Error) -> String {
        guard let contentType, let mediaType = MediaType(contentType), mediaType.essence == "multipart/form-data" else {
            throw .notMultipartFormData
        }
        guard let boundary = mediaType.parameters["boundary"], isValidBoundary(boundary) else {
            throw .invalidBoundary
        }
        return boundary
    }

    /// The first part named `name`.
    public func part(named name: String) -> Part? {
        parts.first { $0.name == name }
    }

    /// `1*70 bchars`, not ending in a space (RFC 2046 §5.1.1).
    private static func isValidBoundary(_ boundary: String) -> Bool {
        let bytes = Array(boundary.utf8)
        return (1...70).contains(bytes.count) && bytes.last != UInt8(ascii: " ") && bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                true
            default:
                "'()+_,-./:=? ".utf8.contains(byte)
            }
        }
    }
}

/// One pass over a multipart body.
private struct MultipartScanner {
    let body: [UInt8]
    /// `--boundary`
    let dashBoundary: [UInt8]
    let limits: MultipartFormData.Limits
    private static let crlf: [UInt8] = [13, 10]

    init(body: [UInt8], boundary: [UInt8], limits: MultipartFormData.Limits) {
        self.body = body
        self.dashBoundary = Array("--".utf8) + boundary
        self.limits = limits
    }

    func parts() throws(MultipartFormData.Error) -> [MultipartFormData.Part] {
        // The first boundary starts the body or follows a CRLF ending the preamble.
        var position: Int
        if hasPrefix(dashBoundary, at: 0) {
            position = dashBoundary.count
        } else if let found = find(Self.crlf + dashBoundary, from: 0) {
            position = found + 2 + dashBoundary.count
        } else {
            throw .missingOpeningBoundary
        }

        var parts: [MultipartFormData.Part] = []
        while true {
            if hasPrefix(Array("--".utf8), at: position) {
                return parts  // The close delimiter; the epilogue is ignored.
            }
            // Transport padding, then the CRLF ending the boundary line.
            while position < body.count, Syntax.isWhitespace(body[position]) { position += 1 }
            guard position < body.count else { throw .unexpectedEnd }
            guard hasPrefix(Self.crlf, at: position) else { throw .malformedBoundaryLine }
            position += 2

            guard parts.count < limits.maxParts else { throw .tooManyParts(limit: limits.maxParts) }
            let (headers, dataStart) = try readHeaders(from: position)
            guard let dataEnd = find(Self.crlf + dashBoundary, from: dataStart) else { throw .unexpectedEnd }
            parts.append(try makePart(headers: headers, data: Array(body[dataStart..<dataEnd])))
            position = dataEnd + 2 + dashBoundary.count
        }
    }

    /// Reads a part's header section; returns the fields and where the data starts.
    private func readHeaders(from start: Int) throws(MultipartFormData.Error) -> (HTTPHeaders, Int) {
        if hasPrefix(Self.crlf, at: start) {
            return (HTTPHeaders(), start + 2)
        }
        let searchEnd = min(body.count, start + limits.maxPartHeaderBytes - 1)
        guard let end = find(Self.crlf + Self.crlf, from: start, before: searchEnd) else {
            throw body.count - start >= limits.maxPartHeaderBytes ? .partHeaderTooLarge(limit: limits.maxPartHeaderBytes) : .unexpectedEnd
        }
        var headers = HTTPHeaders()
        var lineStart = start
        while lineStart < end + 2 {
            let lineEnd = find(Self.crlf, from: lineStart)!
            let line = body[lineStart..<lineEnd]
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), Syntax.isToken(line[..<colon]) else {
                throw .malformedPartHeader
            }
            let value = Syntax.trimmingWhitespace(line[(colon + 1)...])
            guard value.allSatisfy(Syntax.isFieldValueByte) else { throw .malformedPartHeader }
            headers.add(name: String(decoding: line[..<colon], as: UTF8.self), value: Syntax.decodeFieldValue(value))
            lineStart = lineEnd + 2
        }
        return (headers, end + 4)
    }

    private func makePart(headers: HTTPHeaders, data: [UInt8]) throws(MultipartFormData.Error) -> MultipartFormData.Part {
        guard let disposition = headers["Content-Disposition"].flatMap(HeaderParameters.parse),
              disposition.value == "form-data", let name = disposition.parameters["name"] else {
            throw .missingContentDisposition
        }
        return MultipartFormData.Part(
            name: name,
            filename: disposition.parameters["filename"],
            contentType: headers["Content-Type"],
            headers: headers,
            data: data
        )
    }

    private func hasPrefix(_ pattern: [UInt8], at offset: Int) -> Bool {
        offset + pattern.count <= body.count && body[offset..<(offset + pattern.count)].elementsEqual(pattern)
    }

    /// The offset of the first `pattern` starting in `from..<before` (ending anywhere).
    private func find(_ pattern: [UInt8], from start: Int, before end: Int? = nil) -> Int? {
        let lastStart = min(end ?? body.count, body.count - pattern.count + 1)
        var offset = start
        while offset < lastStart {
            guard let candidate = body[offset..<lastStart].firstIndex(of: pattern[0]) else { return nil }
            if hasPrefix(pattern, at: candidate) {
                return candidate
            }
            offset = candidate + 1
        }
        return nil
    }
}
