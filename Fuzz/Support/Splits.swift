/// The ways a connection can hand bytes to an incremental parser: all at once, one byte at a
/// time, and pieces of pseudo-random sizes (from a generator seeded by the input itself, so a
/// saved crash replays the same pieces).
///
/// An incremental parser must reach the same result whichever way its input was cut; the
/// targets compare the three.
public enum Splits {
    /// Each cutting of `bytes`, as the piece lengths in order.
    static func all(for bytes: [UInt8]) -> [[Int]] {
        [[bytes.count], Array(repeating: 1, count: bytes.count), random(for: bytes)]
    }

    /// Runs `parse` on `bytes` cut each way (it gets the pieces in order, as slices of
    /// `bytes`) and stops the fuzzer when two outcomes differ.
    public static func requireSameOutcome<Outcome: Equatable>(_ bytes: [UInt8], _ parse: ([ArraySlice<UInt8>]) -> Outcome) {
        let outcomes = all(for: bytes).map { lengths in
            var start = 0
            return parse(lengths.map { length in
                defer { start += length }
                return bytes[start..<(start + length)]
            })
        }
        for outcome in outcomes.dropFirst() {
            invariant(outcome == outcomes[0], "the pieces changed the result:\n\(outcomes[0])\nvs\n\(outcome)")
        }
    }

    /// Piece lengths from 1 to 64 bytes, drawn by SplitMix64 seeded with the FNV-1a hash of `bytes`.
    static func random(for bytes: [UInt8]) -> [Int] {
        var state = bytes.reduce(UInt64(0xcbf2_9ce4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
        var lengths: [Int] = []
        var left = bytes.count
        while left > 0 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            z ^= z >> 31
            let length = min(left, Int(z % 64) + 1)
            lengths.append(length)
            left -= length
        }
        return lengths
    }
}
