import Foundation
import Tensor

/// The random draws of the noisy methods (SmoothGrad, VarGrad, GradientSHAP, the
/// uniform-noise baseline) come from one SplitMix64 stream (`WeightGenerator`) seeded with
/// the request's `seed`, default `defaultSeed`, in an order each method states, so that a
/// document's seed reproduces its map and a reference can be fed the same noise.
extension MethodParameters {
    /// The seed when the request gives none.
    static let defaultSeed: UInt64 = 0

    /// The request's seed, or `defaultSeed`.
    var seedOrDefault: UInt64 { seed ?? Self.defaultSeed }

    /// `seed` as the document reports it.
    var seedValue: ParameterValue {
        let seed = seedOrDefault
        return seed <= UInt64(Int.max) ? .int(Int(seed)) : .unsigned(seed)
    }
}

extension WeightGenerator {
    /// A standard normal draw (Box–Muller, in Double) from two draws:
    /// `u₁ = ((next >> 11) + 1) / 2⁵³` in (0, 1], `u₂ = (next >> 11) / 2⁵³`,
    /// `z = √(−2 ln u₁) · cos(2π u₂)`.
    mutating func normal() -> Float {
        let u1 = Double((next() >> 11) + 1) * 0x1p-53
        let u2 = Double(next() >> 11) * 0x1p-53
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}
