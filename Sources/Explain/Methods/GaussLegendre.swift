import Foundation

/// Gauss–Legendre quadrature on [0, 1], as Captum's `approximation_parameters("gausslegendre")`:
/// NumPy's `leggauss(n)` nodes `t` and weights `w` on [−1, 1] mapped to `α = (1 + t) / 2`
/// and `w / 2`, so that `∫₀¹ f ≈ Σ_i w_i/2 · f(α_i)`, exact for polynomials of degree `2n − 1`.
enum GaussLegendre {
    /// The `n` points `α` in ascending order and their weights (summing to 1).
    static func unitInterval(_ n: Int) -> (points: [Double], weights: [Double]) {
        var points = [Double](repeating: 0.5, count: n), weights = [Double](repeating: 1, count: n)
        for i in 0..<(n + 1) / 2 {
            // Newton's method on P_n from Chebyshev's estimate of the i-th largest root.
            var z = cos(Double.pi * (Double(i) + 0.75) / (Double(n) + 0.5))
            var derivative = 1.0
            for _ in 0..<100 {
                var p1 = 1.0, p2 = 0.0
                for j in 1...n {
                    let p3 = p2
                    p2 = p1
                    p1 = (Double(2 * j - 1) * z * p2 - Double(j - 1) * p3) / Double(j)
                }
                derivative = Double(n) * (z * p1 - p2) / (z * z - 1)
                let previous = z
                z = previous - p1 / derivative
                if abs(z - previous) <= 1e-15 { break }
            }
            let weight = 1 / ((1 - z * z) * derivative * derivative)
            points[i] = (1 - z) / 2
            points[n - 1 - i] = (1 + z) / 2
            weights[i] = weight
            weights[n - 1 - i] = weight
        }
        return (points, weights)
    }
}
