import Foundation
import Testing
@testable import Tensor

/// `WeightGenerator.fillNormals` (the vectorized `seeded_normals`) against Box–Muller written
/// out here one draw at a time with the C library's `log` and `cos`: equal bit for bit, on
/// long runs and on the draws where a fast `log` or `cos` is most likely to round otherwise.
@Suite struct SeededNormalsTests {
    /// The documented formula, draw by draw.
    static func reference(_ generator: inout WeightGenerator) -> Float {
        let u1 = Double((generator.next() >> 11) + 1) * 0x1p-53
        let u2 = Double(generator.next() >> 11) * 0x1p-53
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    @Test(arguments: [0, 5, 0x9E37_79B9_7F4A_7C15, UInt64.max] as [UInt64])
    func bulkDrawsEqualTheFormula(_ seed: UInt64) {
        var bulk = WeightGenerator(seed: seed), scalar = bulk
        let count = 300_000
        let drawn = bulk.normals(count)
        let expected = (0..<count).map { _ in Self.reference(&scalar) }
        let differing = zip(drawn, expected).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(differing == 0, "\(differing) of \(count) draws differ")
        // The stream goes on where the draws end.
        #expect(bulk.next() == scalar.next())
    }

    /// Drawing in pieces of any length (across the kernel's chunks of 512) gives the same stream.
    @Test func piecesContinueTheStream() {
        var whole = WeightGenerator(seed: 42), pieces = whole
        let expected = whole.normals(3001)
        var drawn: [Float] = []
        for length in [0, 1, 511, 513, 2, 1024, 949] { drawn += pieces.normals(length) }
        drawn.append(pieces.normal())
        #expect(drawn.count == expected.count)
        let differing = zip(drawn, expected).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(differing == 0, "\(differing) draws differ")
        #expect(pieces.next() == whole.next())
    }

    /// The seed whose output `k` (1 or 2) is `output`: SplitMix64's mix is a bijection.
    static func seed(giving output: UInt64, at k: UInt64) -> UInt64 {
        func inverse(_ a: UInt64) -> UInt64 {  // Newton's iteration for a⁻¹ mod 2⁶⁴ (a odd)
            var x = a
            for _ in 0..<5 { x = x &* (2 &- a &* x) }
            return x
        }
        func unshift(_ y: UInt64, _ s: UInt64) -> UInt64 {  // inverts z ^ (z >> s)
            var x = y
            for _ in 0..<(64 / s) { x = y ^ (x >> s) }
            return x
        }
        var z = unshift(output, 31) &* inverse(0x94D0_49BB_1331_11EB)
        z = unshift(z, 27) &* inverse(0xBF58_476D_1CE4_E5B9)
        return unshift(z, 30) &- k &* 0x9E37_79B9_7F4A_7C15
    }

    /// u₁ = 1 (z = ±0), u₁ = 2⁻⁵³ (the largest radius), u₁ just under 1 (log near 0); u₂ at
    /// and around ¼, ½, ¾ and 1 (2πu₂ nearest the zeros and extremes of cos) and 0.
    @Test func hardDrawsEqualTheFormula() {
        let mantissas: [UInt64] = [1 << 53 - 1, 0, 1 << 53 - 2, 1 << 52, 1]
        var seeds = mantissas.map { Self.seed(giving: $0 << 11, at: 1) }
        for quarter: UInt64 in [0, 1, 2, 3, 4] {
            for offset: Int64 in [-2, -1, 0, 1, 2] {
                let u2 = Int64(quarter << 51) + offset
                guard u2 >= 0, u2 < 1 << 53 else { continue }
                seeds.append(Self.seed(giving: UInt64(u2) << 11 | 0x7FF, at: 2))
            }
        }
        for seed in seeds {
            var bulk = WeightGenerator(seed: seed), scalar = bulk
            let drawn = bulk.normal(), expected = Self.reference(&scalar)
            #expect(drawn.bitPattern == expected.bitPattern, "seed \(seed): \(drawn) != \(expected)")
        }
        // The constructed seeds do give the outputs asked for.
        var check = WeightGenerator(seed: Self.seed(giving: 12345, at: 2))
        _ = check.next()
        #expect(check.next() == 12345)
    }
}
