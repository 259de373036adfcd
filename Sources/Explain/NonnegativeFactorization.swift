import Tensor

/// Non-negative matrix factorization `V ≈ W·H` (`V [m, n] ≥ 0`, `W [m, k]`, `H [k, n]`), as
/// scikit-learn's `NMF(n_components=k, solver="cd")` with its defaults (Frobenius loss, no
/// regularization, `tol = 1e-4`, `max_iter = 200`, no shuffling) computes it, in Double:
///
/// - Start: `a = √(mean V / k)`; `H = a·|z|` then `W = a·|z|`, with `z` standard normal draws
///   (`WeightGenerator.normal()`, seeded), row-major, `H` first: scikit-learn's `init="random"`
///   in its order, with our generator in place of NumPy's.
/// - Each iteration: coordinate descent on `W` with `H` fixed, then on `Hᵀ` with `W` fixed
///   (`_update_cdnmf_fast`): for each component `t`, each row `i`,
///   `g = (W·HHᵀ)[i, t] − (V·Hᵀ)[i, t]`, `W[i, t] ← max(W[i, t] − g / HHᵀ[t, t], 0)`, summing
///   the projected gradients' magnitudes (`min(g, 0)` where `W[i, t] = 0`) as the violation.
/// - Stop when the iteration's violation is at most `tol` times the first iteration's (or
///   that was 0), or after `maxIterations`.
struct NonnegativeFactorization {
    /// `[m, k]`, row-major.
    var w: [Double]
    /// `[k, n]`, row-major.
    var h: [Double]
    /// Iterations run.
    var iterations = 0

    static let tolerance = 1e-4
    static let maxIterations = 200

    /// Factorizes `v [m, n]` (non-negative) into `k` components from the seeded start, in at
    /// most `maxIterations` iterations (0: the start itself).
    init(_ v: [Double], rows m: Int, columns n: Int, components k: Int, seed: UInt64,
         maxIterations: Int = Self.maxIterations, cancellation: Cancellation? = nil) throws {
        precondition(v.count == m * n && k > 0)
        let scale = (v.reduce(0, +) / Double(max(m * n, 1)) / Double(k)).squareRoot()
        var generator = WeightGenerator(seed: seed)
        h = (0..<k * n).map { _ in scale * Double(abs(generator.normal())) }
        w = (0..<m * k).map { _ in scale * Double(abs(generator.normal())) }
        let vt = Self.transposed(v, rows: m, columns: n)
        var first = 0.0
        for iteration in stride(from: 1, through: maxIterations, by: 1) {
            try cancellation?.check()
            var ht = Self.transposed(h, rows: k, columns: n)
            var violation = Self.descend(&w, v, rows: m, inner: n, fixed: ht, components: k)
            violation += Self.descend(&ht, vt, rows: n, inner: m, fixed: w, components: k)
            h = Self.transposed(ht, rows: n, columns: k)
            iterations = iteration
            if iteration == 1 { first = violation }
            if first == 0 || violation / first <= Self.tolerance { break }
        }
    }

    /// One pass of coordinate descent on `x [rows, k]` minimizing `‖v − x·fᵀ‖²` with
    /// `v [rows, inner]`, `f [inner, k]` fixed. Returns the violation.
    private static func descend(_ x: inout [Double], _ v: [Double], rows: Int, inner: Int, fixed f: [Double],
                                components k: Int) -> Double {
        // ffᵀ [k, k] = fᵀ·f and vf [rows, k] = v·f.
        var ff = [Double](repeating: 0, count: k * k)
        for p in 0..<inner {
            for a in 0..<k { for b in 0..<k { ff[a * k + b] += f[p * k + a] * f[p * k + b] } }
        }
        var vf = [Double](repeating: 0, count: rows * k)
        for i in 0..<rows {
            for p in 0..<inner where v[i * inner + p] != 0 {
                let value = v[i * inner + p]
                for t in 0..<k { vf[i * k + t] += value * f[p * k + t] }
            }
        }
        var violation = 0.0
        for t in 0..<k {
            for i in 0..<rows {
                var gradient = -vf[i * k + t]
                for r in 0..<k { gradient += ff[t * k + r] * x[i * k + r] }
                violation += abs(x[i * k + t] == 0 ? min(0, gradient) : gradient)
                let hessian = ff[t * k + t]
                if hessian != 0 { x[i * k + t] = max(x[i * k + t] - gradient / hessian, 0) }
            }
        }
        return violation
    }

    private static func transposed(_ a: [Double], rows: Int, columns: Int) -> [Double] {
        var t = [Double](repeating: 0, count: a.count)
        for r in 0..<rows { for c in 0..<columns { t[c * rows + r] = a[r * columns + c] } }
        return t
    }
}
