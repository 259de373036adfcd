/// ROAD's noisy linear imputation (Rong, Leemann et al. 2022), as pytorch-grad-cam's
/// `NoisyLinearImputer` and Quantus's `noisy_linear_imputation` compute it. Each removed pixel
/// becomes the weighted mean of its 8 neighbours inside the image (1/6 for the 4 edge
/// neighbours, 1/12 for the 4 corners), removed neighbours being unknowns themselves; per
/// colour channel, with `s_i = Σ_{j in image} w_ij`:
///
///     s_i x_i − Σ_{j removed} w_ij x_j = Σ_{j kept} w_ij v_j
///
/// then `x_i + 0.01 z`, `z` standard normal, drawn channel by channel over the removed pixels
/// in raster order (the references' `randn_like(res.t())` order). The system is symmetric
/// positive definite when at least one pixel is kept (every group of removed pixels then
/// touches a kept one); it is solved exactly (`EnvelopeCholesky`, in Double) where the
/// references call `scipy.sparse.linalg.spsolve`. With no pixel kept there is nothing to
/// interpolate (the references' solve fails): the removed pixels are the noise alone.
enum NoisyLinearImputer {
    /// The noise's standard deviation, the references' default.
    static let noise = 0.01
    /// Neighbour offsets `(dy, dx)` and weights.
    static let neighbours: [(dy: Int, dx: Int, weight: Double)] = [
        (1, 1, 1.0 / 12), (0, 1, 1.0 / 6), (-1, 1, 1.0 / 12), (1, -1, 1.0 / 12),
        (0, -1, 1.0 / 6), (-1, -1, 1.0 / 12), (1, 0, 1.0 / 6), (-1, 0, 1.0 / 6),
    ]
    /// The largest factor (doubles) one imputation may hold: 128 MiB, about a 300 x 300 input
    /// with 90% of it removed (a 224 x 224 one needs at most 73 MiB).
    static let maximumFactorSize = 16 << 20

    /// `image` (`[C, H, W]`, planar) with the pixels where `kept` is false imputed.
    static func impute(
        _ image: [Float], channels: Int, height: Int, width: Int, kept: [Bool], noise: inout GaussianNoise
    ) throws -> [Float] {
        let pixels = height * width
        precondition(kept.count == pixels && image.count == channels * pixels)
        var unknown = [Int](repeating: -1, count: pixels)  // pixel -> variable
        var removed: [Int] = []
        for p in 0..<pixels where !kept[p] {
            unknown[p] = removed.count
            removed.append(p)
        }
        let n = removed.count
        var solution = [Double](repeating: 0, count: channels * n)  // [C, n]
        if n < pixels {
            // The first column of each row: its leftmost removed neighbour (the row above's, or its left).
            let first = removed.enumerated().map { i, p in
                neighbours(of: p, height: height, width: width).reduce(i) { f, q in unknown[q] >= 0 ? min(f, unknown[q]) : f }
            }
            guard let size = EnvelopeCholesky.size(first: first), size <= maximumFactorSize else {
                throw FaithfulnessError.inputTooLarge(metric: "road", "imputing \(n) of \(width) x \(height) pixels needs a factor larger than \(maximumFactorSize >> 17) MiB")
            }
            var system = EnvelopeCholesky(first: first)
            for (i, p) in removed.enumerated() {
                var diagonal = 0.0
                for (q, w) in weightedNeighbours(of: p, height: height, width: width) {
                    diagonal += w
                    if unknown[q] >= 0 {
                        if unknown[q] < i { system.set(i, unknown[q], -w) }
                    } else {
                        for c in 0..<channels { solution[c * n + i] += w * Double(image[c * pixels + q]) }
                    }
                }
                system.set(i, i, diagonal)
            }
            do {
                try system.factor()
            } catch {
                throw ExplainError.internalInconsistency("ROAD's system with a kept pixel is positive definite; pivot \(error.row) is not")
            }
            system.solve(&solution, count: channels)
        }
        var out = image
        for c in 0..<channels {
            for (i, p) in removed.enumerated() {
                out[c * pixels + p] = Float(solution[c * n + i] + Self.noise * noise.next())
            }
        }
        return out
    }

    /// The pixels around `p` inside the image, with their weights.
    private static func weightedNeighbours(of p: Int, height: Int, width: Int) -> [(Int, Double)] {
        let y = p / width, x = p % width
        return neighbours.compactMap { n in
            let ny = y + n.dy, nx = x + n.dx
            return ny >= 0 && ny < height && nx >= 0 && nx < width ? (ny * width + nx, n.weight) : nil
        }
    }

    private static func neighbours(of p: Int, height: Int, width: Int) -> [Int] {
        weightedNeighbours(of: p, height: height, width: width).map(\.0)
    }
}
