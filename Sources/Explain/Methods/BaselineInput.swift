import Foundation
import Tensor

extension MethodParameters.Baseline {
    /// The baseline for the preprocessed input `x [1, C, H, W]`, as `C·H·W` values (channels first):
    /// - `black`: zeros (Captum's default baseline);
    /// - `blurred`: each channel convolved with a Gaussian of `σ = max(H, W) / 32` pixels,
    ///   truncated at `⌈3σ⌉`, edges repeated (separable: rows, then columns);
    /// - `uniform-noise`: `lo + (hi − lo) · u` per value, `[lo, hi]` the input's range and `u`
    ///   `generator.unit()` drawn in channels-first order.
    func values(for input: Tensor, generator: inout WeightGenerator) -> [Float] {
        switch self {
        case .black:
            return [Float](repeating: 0, count: input.count)
        case .blurred:
            return Self.blurred(input)
        case .uniformNoise:
            let lo = input.floats.min() ?? 0, hi = input.floats.max() ?? 0
            return input.floats.indices.map { _ in lo + (hi - lo) * generator.unit() }
        }
    }

    private static func blurred(_ input: Tensor) -> [Float] {
        let channels = input.shape[1], height = input.shape[2], width = input.shape[3]
        let sigma = Double(max(height, width)) / 32
        let radius = Int((3 * sigma).rounded(.up))
        var kernel = (-radius...radius).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let total = kernel.reduce(0, +)
        kernel = kernel.map { $0 / total }
        var rows = [Float](repeating: 0, count: input.count)
        var result = rows
        for c in 0..<channels {
            let base = c * height * width
            for y in 0..<height {
                for x in 0..<width {
                    var sum = 0.0
                    for t in -radius...radius { sum += kernel[t + radius] * Double(input.floats[base + y * width + min(max(x + t, 0), width - 1)]) }
                    rows[base + y * width + x] = Float(sum)
                }
            }
            for y in 0..<height {
                for x in 0..<width {
                    var sum = 0.0
                    for t in -radius...radius { sum += kernel[t + radius] * Double(rows[base + min(max(y + t, 0), height - 1) * width + x]) }
                    result[base + y * width + x] = Float(sum)
                }
            }
        }
        return result
    }
}
