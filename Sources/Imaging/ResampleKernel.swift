/// Separable bilinear resampling weights for one axis, computed as Pillow's `precompute_coeffs`
/// does for `Image.resize(size, BILINEAR)`.
///
/// With `scale = inputSize / outputSize` and `s = max(scale, 1)`, output sample `i` has centre
/// `c = (i + 0.5) * scale` in input coordinates and reads inputs `j` in `[c - s + 0.5, c + s + 0.5)`
/// (truncated, clipped to the input) with weights `w_j = max(0, 1 - |j + 0.5 - c| / s)`,
/// normalized to sum to 1. For upsampling (s = 1) this is half-pixel-centre bilinear with edge
/// clamping (cv2.resize INTER_LINEAR); for downsampling the triangle widens with the scale and
/// antialiases.
///
/// Only the samples in `outputs` are computed (all by default), so that resizing to a huge
/// size and keeping a small part of it costs tables the size of that part.
struct ResampleKernel {
    /// Largest number of taps of any output sample; the stride of `weights`.
    let taps: Int
    /// Output sample `outputs.lowerBound + i` reads `count[i]` inputs from `first[i]` on.
    let first: [Int]
    let count: [Int]
    /// `weights[i * taps + k]` multiplies input `first[i] + k`; unused entries are 0.
    let weights: [Double]

    init(inputSize: Int, outputSize: Int, outputs: Range<Int>? = nil) {
        let outputs = outputs ?? 0..<outputSize
        precondition(inputSize > 0 && outputSize > 0 && outputs.lowerBound >= 0 && outputs.upperBound <= outputSize)
        let scale = Double(inputSize) / Double(outputSize)
        let filterScale = max(scale, 1)
        let support = filterScale
        let inverseFilterScale = 1 / filterScale
        let taps = Int(support.rounded(.up)) * 2 + 1
        var first = [Int](repeating: 0, count: outputs.count)
        var count = [Int](repeating: 0, count: outputs.count)
        var weights = [Double](repeating: 0, count: outputs.count * taps)
        for i in 0..<outputs.count {
            let centre = (Double(outputs.lowerBound + i) + 0.5) * scale
            let low = max(Int(centre - support + 0.5), 0)
            let high = min(Int(centre + support + 0.5), inputSize)
            var sum = 0.0
            for k in 0..<(high - low) {
                let w = max(0, 1 - abs((Double(k + low) - centre + 0.5) * inverseFilterScale))
                weights[i * taps + k] = w
                sum += w
            }
            if sum != 0 {
                for k in 0..<(high - low) { weights[i * taps + k] /= sum }
            }
            first[i] = low
            count[i] = high - low
        }
        self.taps = taps
        self.first = first
        self.count = count
        self.weights = weights
    }

    /// Bits of fraction in `fixedPointWeights` (Pillow's PRECISION_BITS for 8-bit images).
    static let precisionBits = 22

    /// Weights as fixed-point integers with `precisionBits` of fraction, `Int(w * 2^22 + 0.5)`
    /// as Pillow's `normalize_coeffs_8bpc` rounds them (the triangle's weights are never negative).
    var fixedPointWeights: [Int32] {
        let one = Double(1 << Self.precisionBits)
        return weights.map { Int32($0 * one + 0.5) }
    }
}
