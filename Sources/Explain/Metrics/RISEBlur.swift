import Foundation

/// The blur RISE's insertion game starts from (their `gkern(11, 5)` and
/// `conv2d(x, kern, padding=5)`): each channel correlated with an 11 x 11 kernel `k kᵀ`, zero
/// padded. `k` is scipy's `gaussian_filter` (σ = 5, truncated at 4σ, `mode="reflect"`) of a
/// unit impulse at the centre of 11 samples: the Gaussian weights `g_j ∝ exp(−j²/2σ²)`,
/// `|j| ≤ 20`, summing to 1, folded back into the 11 samples by half-sample reflection.
enum RISEBlur {
    static let size = 11
    static let sigma = 5.0

    /// The 1-D kernel `k` (11 values summing to 1).
    static let kernel: [Double] = {
        let radius = Int(4 * sigma + 0.5), centre = size / 2
        let gauss = (-radius...radius).map { exp(-0.5 * Double($0 * $0) / (sigma * sigma)) }
        let total = gauss.reduce(0, +)
        var k = [Double](repeating: 0, count: size)
        for (n, j) in (-radius...radius).enumerated() {
            // Output sample o reads input o + j; the impulse sits at `centre` after reflection.
            for o in 0..<size where reflect(o + j) == centre { k[o] += gauss[n] / total }
        }
        return k
    }()

    /// `index` folded into 0..<size: `... c b a | a b c ... | c b a ...` (period 2·size).
    private static func reflect(_ index: Int) -> Int {
        let m = ((index % (2 * size)) + 2 * size) % (2 * size)
        return m < size ? m : 2 * size - 1 - m
    }

    /// `image` (`[C, H, W]`, planar) blurred, the same size.
    static func blurred(_ image: [Float], channels: Int, height: Int, width: Int) -> [Float] {
        let k = kernel, r = size / 2, plane = height * width
        var out = [Float](repeating: 0, count: image.count)
        var rows = [Double](repeating: 0, count: plane)
        for c in 0..<channels {
            let base = c * plane
            for y in 0..<height {  // along x
                for x in 0..<width {
                    var s = 0.0
                    for t in max(0, r - x)..<min(size, width + r - x) { s += k[t] * Double(image[base + y * width + x + t - r]) }
                    rows[y * width + x] = s
                }
            }
            for y in 0..<height {  // along y
                for x in 0..<width {
                    var s = 0.0
                    for t in max(0, r - y)..<min(size, height + r - y) { s += k[t] * rows[(y + t - r) * width + x] }
                    out[base + y * width + x] = Float(s)
                }
            }
        }
        return out
    }
}
