import Foundation
import Tensor

/// Seeded standard normal numbers for the metrics that draw noise (ROAD's imputation):
/// SplitMix64 (`WeightGenerator`) uniforms through Box–Muller, one normal per two uniforms,
/// `z = sqrt(−2 ln(1 − u₁)) · cos(2π u₂)` with `uᵢ = (next() >> 11) / 2⁵³`. The same stream on
/// every machine, and short enough to port: `tools/metrics/reference.py` draws the same numbers
/// and feeds them to pytorch-grad-cam and Quantus.
struct GaussianNoise {
    private var generator: WeightGenerator

    init(seed: UInt64) { generator = WeightGenerator(seed: seed) }

    mutating func next() -> Double {
        let u1 = Double(generator.next() >> 11) * 0x1p-53
        let u2 = Double(generator.next() >> 11) * 0x1p-53
        return (-2 * log(1 - u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
