import FuzzSupport
@testable import HTTP

/// Fuzzes `RequestParser` as a connection drives it: bytes arrive in pieces, and after each
/// piece the parser runs until it needs more. The input is one connection's bytes (possibly
/// several pipelined requests).
///
/// Invariants: the parser never consumes more than it was given; every head and request
/// respects the limits; a fixed-length body is as long as declared; and cutting the input
/// differently (whole, byte by byte, random pieces) gives the same heads, requests, error and
/// leftover bytes.
func fuzzHTTPParser(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    Splits.requireSameOutcome(fuzzInput(data, count), parse)
    return 0
}

/// Small limits, so that inputs of a few hundred bytes reach every limit check.
private let limits = RequestParser.Limits(maxTargetLength: 64, maxHeaderBytes: 512, maxHeaderCount: 8, maxBodyBytes: 1024)

/// One thing the parser reported (rendered only when two cuttings disagree).
private enum Event: Equatable {
    case head(String)
    case request(path: String, query: [String], body: [UInt8])
    case error(HTTPError)
    case end(leftover: Int, insideRequest: Bool)
}

/// What the parser reported, event by event, and what was left over.
private func parse(_ pieces: [ArraySlice<UInt8>]) -> [Event] {
    var parser = RequestParser(limits: limits)
    var buffer = ReadBuffer()
    var events: [Event] = []
    for piece in pieces {
        piece.withUnsafeBytes { buffer.append($0) }
        while true {
            let before = buffer.count
            let step: RequestParser.Step
            do {
                step = try parser.next(&buffer)
            } catch {
                events.append(.error(error))
                return events
            }
            invariant(buffer.count <= before, "the buffer grew from \(before) to \(buffer.count) bytes")
            switch step {
            case .needMoreData:
                break
            case .head(let head):
                check(head)
                events.append(.head("\(head.method) \(head.target) \(head.version) \(render(head.headers)) \(head.framing) keepAlive=\(head.keepAlive) continue=\(head.expectsContinue)"))
                continue
            case .request(let request):
                invariant(request.body.count <= limits.maxBodyBytes, "a body of \(request.body.count) bytes passed the \(limits.maxBodyBytes)-byte cap")
                if let length = request.headers["Content-Length"].flatMap({ Int($0) }), request.headers["Transfer-Encoding"] == nil {
                    invariant(request.body.count == length, "Content-Length \(length) gave a body of \(request.body.count) bytes")
                }
                events.append(.request(path: request.path, query: request.query.map { "\($0.name)=\($0.value)" }, body: request.body))
                continue
            }
            break
        }
    }
    events.append(.end(leftover: buffer.count, insideRequest: parser.isInsideRequest))
    return events
}

/// A head that passed must be within every limit.
private func check(_ head: RequestHead) {
    invariant(head.target.utf8.count <= limits.maxTargetLength, "a \(head.target.utf8.count)-byte target passed")
    invariant(head.headers.count <= limits.maxHeaderCount, "\(head.headers.count) header fields passed")
    if case .length(let length) = head.framing {
        invariant(length > 0 && length <= limits.maxBodyBytes, "Content-Length \(length) passed")
    }
}

private func render(_ headers: HTTPHeaders) -> String {
    headers.map { "\($0.name): \($0.value)" }.joined(separator: "|")
}
