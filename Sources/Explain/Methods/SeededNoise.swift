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

/// Noisy copies `x_i = x + σ z_i` of the preprocessed input `x` (SmoothGrad, VarGrad, Smooth
/// Grad-CAM++): `samples` of them (the request's, else the method's default), `σ` the request's
/// `noise_level` (else the method's default), `z_i` `WeightGenerator(seed).normal()` draws,
/// copy after copy, each in channels-first order, as the references are fed.
struct NoisyCopies {
    let samples: Int
    let sigma: Float
    private let x: [Float]
    private var generator: WeightGenerator

    init(_ evidence: Evidence, defaultSamples: Int, defaultNoiseLevel: Float) {
        let parameters = evidence.parameters
        samples = parameters.samples ?? defaultSamples
        sigma = parameters.noiseLevel ?? defaultNoiseLevel
        x = evidence.input.floats
        generator = WeightGenerator(seed: parameters.seedOrDefault)
    }

    /// Writes the next copy into `row` (`C·H·W` values).
    mutating func write(into row: inout ArraySlice<Float>) {
        let start = row.startIndex
        for j in x.indices { row[start + j] = x[j] + sigma * generator.normal() }
    }
}
