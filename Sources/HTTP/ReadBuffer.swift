/// Bytes received from a connection and not yet parsed.
///
/// Parsing consumes from the front; the storage is compacted lazily so that
/// consuming is O(1) and pipelined requests can wait behind the current one.
struct ReadBuffer {
    private var storage: [UInt8] = []
    private var start = 0

    /// The number of unconsumed bytes.
    var count: Int { storage.count - start }
    var isEmpty: Bool { count == 0 }

    /// The unconsumed byte at `offset` from the front.
    subscript(offset: Int) -> UInt8 { storage[start + offset] }

    /// Unconsumed bytes in `range`, counted from the front.
    subscript(range: Range<Int>) -> ArraySlice<UInt8> {
        storage[(start + range.lowerBound)..<(start + range.upperBound)]
    }

    /// The offset of the first `byte` at or after `offset`, looking at no more than
    /// `limit` bytes from the front.
    func firstIndex(of byte: UInt8, from offset: Int, limit: Int) -> Int? {
        let end = start + min(count, limit)
        guard start + offset < end else { return nil }
        return storage[(start + offset)..<end].firstIndex(of: byte).map { $0 - start }
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        storage.append(contentsOf: bytes)
    }

    /// Drops `n` bytes from the front.
    mutating func consume(_ n: Int) {
        precondition(n <= count)
        start += n
        if start == storage.count {
            // An idle keep-alive connection keeps a small buffer, not the large one
            // its last body needed.
            storage.removeAll(keepingCapacity: storage.capacity <= 4096)
            start = 0
        } else if start >= 1 << 16 && start >= storage.count / 2 {
            storage.removeSubrange(0..<start)
            start = 0
        }
    }

    /// Drops and returns `n` bytes from the front.
    mutating func take(_ n: Int) -> ArraySlice<UInt8> {
        let bytes = self[0..<n]
        consume(n)
        return bytes
    }
}
