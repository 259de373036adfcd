/// Walks the fields of a protobuf message at the wire level, without decoding them.
///
/// The model reader uses it to lift weights (`TensorProto.raw_data`) straight out of
/// the mapped file into float arrays, and hands everything else to swift-protobuf;
/// decoding the whole `ModelProto` at once would copy every weight twice.
struct WireScanner {
    /// One field: its number, wire type and the byte range of its encoding.
    struct Field {
        let number: Int
        let wireType: Int
        /// The whole field: tag, length prefix and payload.
        let encoded: Range<Int>
        /// The payload of a length-delimited field (wire type 2); empty otherwise.
        let payload: Range<Int>
    }

    struct Malformed: Error {
        let reason: String
    }

    let bytes: UnsafeRawBufferPointer
    private var position: Int
    private let end: Int

    /// Scans `range` of `bytes` (a message's encoding).
    init(_ bytes: UnsafeRawBufferPointer, range: Range<Int>) {
        self.bytes = bytes
        position = range.lowerBound
        end = range.upperBound
    }

    /// The next field, or nil at the end of the message.
    mutating func next() throws(Malformed) -> Field? {
        guard position < end else { return nil }
        let start = position
        let tag = try varint()
        let number = Int(tag >> 3), wireType = Int(tag & 7)
        guard number > 0 else { throw Malformed(reason: "field number 0 at byte \(start)") }
        var payload = position..<position
        switch wireType {
        case 0: _ = try varint()
        case 1: try skip(8)
        case 5: try skip(4)
        case 2:
            let length = try varint()
            guard length <= UInt64(end - position) else {
                throw Malformed(reason: "a field at byte \(start) runs past the end of its message (truncated file?)")
            }
            payload = position..<position + Int(length)
            position += Int(length)
        default:
            throw Malformed(reason: "unknown wire type \(wireType) at byte \(start)")
        }
        return Field(number: number, wireType: wireType, encoded: start..<position, payload: payload)
    }

    private mutating func varint() throws(Malformed) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else { throw Malformed(reason: "the message ends inside a number (truncated file?)") }
            let byte = bytes[position]
            position += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
            guard shift < 64 else { throw Malformed(reason: "a number longer than 10 bytes at byte \(position)") }
        }
    }

    private mutating func skip(_ count: Int) throws(Malformed) {
        guard end - position >= count else { throw Malformed(reason: "the message ends inside a fixed-size field (truncated file?)") }
        position += count
    }
}
