/// The mean structural similarity index of two grayscale images, as
/// `skimage.metrics.structural_similarity(a, b, data_range=R)` computes it with its defaults:
/// a 7x7 uniform window, `K1 = 0.01`, `K2 = 0.03`, sample covariances (`N/(N−1)`, N = 49),
/// and the mean of the SSIM map over the pixels whose window lies inside the image (the
/// 3-pixel border cropped).
///
/// Per window: `((2μaμb + C1)(2σab + C2)) / ((μa² + μb² + C1)(σa² + σb² + C2))`,
/// `C1 = (K1·R)²`, `C2 = (K2·R)²`.
public enum StructuralSimilarity {
    public static let window = 7

    /// nil when the images are smaller than the window, or of different sizes, or `dataRange` is not positive.
    public static func index(_ a: [Float], _ b: [Float], width: Int, height: Int, dataRange: Double) -> Double? {
        guard width >= window, height >= window, a.count == width * height, b.count == a.count, dataRange > 0 else { return nil }
        let n = Double(window * window)
        let covarianceNorm = n / (n - 1)
        let c1 = (0.01 * dataRange) * (0.01 * dataRange), c2 = (0.03 * dataRange) * (0.03 * dataRange)
        let x = a.map(Double.init), y = b.map(Double.init)
        let sx = BoxSums(x, width: width, height: height)
        let sy = BoxSums(y, width: width, height: height)
        let sxx = BoxSums(x.map { $0 * $0 }, width: width, height: height)
        let syy = BoxSums(y.map { $0 * $0 }, width: width, height: height)
        let sxy = BoxSums(zip(x, y).map { $0 * $1 }, width: width, height: height)
        var total = 0.0
        for top in 0...(height - window) {
            for left in 0...(width - window) {
                let ux = sx.sum(top, left, window) / n, uy = sy.sum(top, left, window) / n
                let vx = covarianceNorm * (sxx.sum(top, left, window) / n - ux * ux)
                let vy = covarianceNorm * (syy.sum(top, left, window) / n - uy * uy)
                let vxy = covarianceNorm * (sxy.sum(top, left, window) / n - ux * uy)
                total += ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
            }
        }
        return total / Double((height - window + 1) * (width - window + 1))
    }
}

/// Summed-area table of a row-major plane: the sum over any square window in O(1).
private struct BoxSums {
    private let table: [Double]  // (height + 1) x (width + 1)
    private let stride: Int

    init(_ values: [Double], width: Int, height: Int) {
        stride = width + 1
        var table = [Double](repeating: 0, count: (height + 1) * stride)
        for r in 0..<height {
            var row = 0.0
            for c in 0..<width {
                row += values[r * width + c]
                table[(r + 1) * stride + c + 1] = table[r * stride + c + 1] + row
            }
        }
        self.table = table
    }

    /// The sum over rows `top..<top+size`, columns `left..<left+size`.
    func sum(_ top: Int, _ left: Int, _ size: Int) -> Double {
        let bottom = top + size, right = left + size
        return table[bottom * stride + right] - table[top * stride + right] - table[bottom * stride + left] + table[top * stride + left]
    }
}
