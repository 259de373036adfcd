/// Seeded random numbers for weights drawn in code (the sanity check's randomized layers,
/// `gradcam bench`'s networks): Steele, Lea and Flood's SplitMix64, small and fast, the same
/// stream on every machine.
public struct WeightGenerator: Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform on [0, 1): the top 24 bits over 2²⁴.
    public mutating func unit() -> Float {
        Float(next() >> 40) / Float(1 << 24)
    }
}
