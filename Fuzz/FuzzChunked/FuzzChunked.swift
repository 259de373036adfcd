import FuzzSupport
@testable import HTTP

/// Fuzzes `ChunkedDecoder` on the bytes after a `Transfer-Encoding: chunked` head.
///
/// Invariants: it never consumes more than it was given; the body only grows and never
/// passes its cap; and cutting the input differently (whole, byte by byte, random pieces)
/// gives the same body, end, error and leftover bytes.
func fuzzChunked(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    Splits.requireSameOutcome(fuzzInput(data, count), decode)
    return 0
}

/// Small caps, so that short inputs reach them.
private let maxBodyBytes = 1024
private let maxTrailerBytes = 256

/// How decoding ended: the body so far and the bytes not consumed (rendered only when two
/// cuttings disagree).
private enum Outcome: Equatable {
    case failed(HTTPError, body: [UInt8])
    case finished(body: [UInt8], leftover: Int)
    case unfinished(body: [UInt8], leftover: Int)
}

private func decode(_ pieces: [ArraySlice<UInt8>]) -> Outcome {
    var decoder = ChunkedDecoder()
    var buffer = ReadBuffer()
    var body: [UInt8] = []
    for piece in pieces {
        piece.withUnsafeBytes { buffer.append($0) }
        let before = (buffer: buffer.count, body: body.count)
        let finished: Bool
        do {
            finished = try decoder.decode(&buffer, into: &body, maxBodyBytes: maxBodyBytes, maxTrailerBytes: maxTrailerBytes)
        } catch {
            return .failed(error, body: body)
        }
        invariant(buffer.count <= before.buffer, "the buffer grew from \(before.buffer) to \(buffer.count) bytes")
        invariant(body.count >= before.body && body.count <= maxBodyBytes, "the body went from \(before.body) to \(body.count) bytes")
        invariant(body.count - before.body <= before.buffer - buffer.count, "more body bytes came out than input went in")
        if finished {
            let unsent = pieces.last.map { $0.endIndex - piece.endIndex } ?? 0
            return .finished(body: body, leftover: unsent + buffer.count)
        }
    }
    return .unfinished(body: body, leftover: buffer.count)
}
