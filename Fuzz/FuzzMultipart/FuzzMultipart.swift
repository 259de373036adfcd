import FuzzSupport
import HTTP

/// Fuzzes `MultipartFormData` as a route reads an upload. The input's first line is the
/// `Content-Type` value; the rest is the body.
///
/// Invariants: no more parts than the limit; the parts' data together is no bigger than the
/// body; each part's data sits in the body right before a `CRLF--boundary` delimiter; and
/// parsing with the boundary taken from `Content-Type` or given directly agrees.
func fuzzMultipart(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = fuzzInput(data, count)
    let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
    let contentType = String(decoding: bytes[..<newline], as: UTF8.self)
    let body = Array(bytes[min(newline + 1, bytes.endIndex)...])
    let limits = MultipartFormData.Limits(maxParts: 8, maxPartHeaderBytes: 256)

    let form: MultipartFormData
    do {
        form = try MultipartFormData(body: body, contentType: contentType, limits: limits)
    } catch {
        if let boundary = try? MultipartFormData.boundary(contentType: contentType) {
            let direct = Result { () throws(MultipartFormData.Error) in try MultipartFormData(body: body, boundary: boundary, limits: limits) }
            invariant(direct.failure == error, "boundary '\(boundary)' given directly: \(direct), from Content-Type: \(error)")
        }
        return 0
    }
    invariant(form.parts.count <= limits.maxParts, "\(form.parts.count) parts passed the limit of \(limits.maxParts)")
    let dataBytes = form.parts.reduce(0) { $0 + $1.data.count }
    invariant(dataBytes <= body.count, "\(dataBytes) bytes of part data from a \(body.count)-byte body")

    let boundary: String
    do {
        boundary = try MultipartFormData.boundary(contentType: contentType)
    } catch {
        invariant(false, "the body parsed but the boundary of '\(contentType)' does not: \(error)")
        return 0
    }
    let delimiter = Array("\r\n--\(boundary)".utf8)
    for part in form.parts {
        invariant(contains(body, part.data + delimiter), "part '\(part.name)' is not followed by its delimiter in the body")
    }
    let direct = try? MultipartFormData(body: body, boundary: boundary, limits: limits)
    invariant(direct.map { $0.parts.map(\.data) } == form.parts.map(\.data), "the boundary given directly parsed differently")
    return 0
}

private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard needle.count <= haystack.count else { return false }
    return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
