import CKernels

/// Seeded random numbers for weights drawn in code (the sanity check's randomized layers,
/// `gradcam bench`'s networks) and for the noisy explanation methods: Steele, Lea and Flood's
/// SplitMix64, small and fast, the same stream on every machine.
public struct WeightGenerator: Sendable {
    private var state: UInt64
    /// SplitMix64's increment: output `k` after the seed mixes `seed + k·gamma`.
    private static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= Self.gamma
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform on [0, 1): the top 24 bits over 2²⁴.
    public mutating func unit() -> Float {
        Float(next() >> 40) / Float(1 << 24)
    }

    /// The next `out.count` standard normals, each from two draws (Box–Muller, in Double):
    /// `u₁ = ((next >> 11) + 1) / 2⁵³` in (0, 1], `u₂ = (next >> 11) / 2⁵³`,
    /// `z = Float(√(−2 ln u₁) · cos(2π u₂))`, bit for bit as with the C library's `log` and
    /// `cos`, computed in bulk (`seeded_normals`, vectorized).
    public mutating func fillNormals(_ out: UnsafeMutableBufferPointer<Float>) {
        guard let start = out.baseAddress else { return }
        seeded_normals(state, start, out.count)
        state &+= 2 &* UInt64(out.count) &* Self.gamma
    }

    /// The next `count` standard normals (`fillNormals`).
    public mutating func normals(_ count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            fillNormals(buffer)
            initialized = count
        }
    }

    /// The next standard normal (`fillNormals`).
    public mutating func normal() -> Float {
        var z: Float = 0
        withUnsafeMutablePointer(to: &z) { fillNormals(UnsafeMutableBufferPointer(start: $0, count: 1)) }
        return z
    }
}
