/// Eigen-CAM: the projection of a layer's activations on their first principal component.
///
/// With `M [H·W, C]` the activations (pixels as rows) centred per channel, the map is
/// `M · v₁` where `v₁` is the top right-singular vector of `M` (pytorch-grad-cam's
/// `get_2d_projection`). It is computed from the smaller Gram matrix (`MᵀM` or `MMᵀ`) by
/// power iteration in Double. A singular vector's sign is arbitrary (pytorch-grad-cam
/// returns whatever LAPACK gives), so the sign is fixed as in Seg-Eigen-CAM (eq. 13): the
/// map is negated when `|min| > |max|`, putting the salient region on the positive side.
enum EigenProjection {
    static func map(_ a: LayerActivations) -> RawMaps {
        let n = a.plane, c = a.channels
        let m = centred(a)
        let projection: [Double]
        if c <= n {
            let v = topEigenvector(gram(m, rows: n, columns: c, transposed: true), size: c)
            projection = (0..<n).map { i in (0..<c).reduce(0.0) { $0 + m[i * c + $1] * v[$1] } }
        } else {
            let gramRows = gram(m, rows: n, columns: c, transposed: false)
            let u = topEigenvector(gramRows, size: n)
            let lambda = rayleigh(gramRows, u, size: n)
            projection = u.map { $0 * lambda.squareRoot() }
        }
        return signCorrected(projection, a)
    }

    /// The activations as `M [H·W, C]` (`m[i·C + k]`: pixel `i`, channel `k`), each channel
    /// centred on its mean.
    static func centred(_ a: LayerActivations) -> [Double] {
        let n = a.plane, c = a.channels
        var m = [Double](repeating: 0, count: n * c)
        for k in 0..<c {
            let channel = a.values[k * n ..< (k + 1) * n]
            let mean = channel.reduce(0.0) { $0 + Double($1) } / Double(n)
            for (i, v) in channel.enumerated() { m[i * c + k] = Double(v) - mean }
        }
        return m
    }

    /// A projection `[H·W]` as one map, negated when `|min| > |max|` (Seg-Eigen-CAM, eq. 13).
    static func signCorrected(_ projection: [Double], _ a: LayerActivations) -> RawMaps {
        let flip = (projection.min() ?? 0).magnitude > (projection.max() ?? 0).magnitude
        return RawMaps(count: 1, height: a.height, width: a.width, values: projection.map { Float(flip ? -$0 : $0) })
    }

    /// `MᵀM` (`columns x columns`) when `transposed`, else `MMᵀ` (`rows x rows`).
    private static func gram(_ m: [Double], rows: Int, columns: Int, transposed: Bool) -> [Double] {
        if transposed {
            var g = [Double](repeating: 0, count: columns * columns)
            for i in 0..<rows {
                let row = i * columns
                for p in 0..<columns where m[row + p] != 0 {
                    let x = m[row + p]
                    for q in p..<columns { g[p * columns + q] += x * m[row + q] }
                }
            }
            for p in 0..<columns { for q in 0..<p { g[p * columns + q] = g[q * columns + p] } }
            return g
        }
        var g = [Double](repeating: 0, count: rows * rows)
        for i in 0..<rows {
            for j in i..<rows {
                var s = 0.0
                for k in 0..<columns { s += m[i * columns + k] * m[j * columns + k] }
                g[i * rows + j] = s
                g[j * rows + i] = s
            }
        }
        return g
    }

    /// The largest (most positive) eigenvalue of a symmetric `size x size` matrix and its unit
    /// eigenvector: power iteration finds the eigenvalue of largest magnitude `λ`; when it is
    /// negative, it runs again on `g + |λ|·I`, whose spectrum is shifted to `≥ 0` with the top
    /// eigenvalue's eigenvector on top.
    static func topEigenpair(_ g: [Double], size: Int) -> (vector: [Double], value: Double) {
        let v = topEigenvector(g, size: size)
        let lambda = rayleighQuotient(g, v, size: size)
        guard lambda < 0 else { return (v, lambda) }
        var shifted = g
        for i in 0..<size { shifted[i * size + i] -= lambda }
        let u = topEigenvector(shifted, size: size)
        return (u, rayleighQuotient(g, u, size: size))
    }

    /// The unit eigenvector of the largest eigenvalue of a symmetric positive
    /// semi-definite matrix, by power iteration from a fixed start.
    private static func topEigenvector(_ g: [Double], size: Int) -> [Double] {
        var v = (0..<size).map { 1 + Double($0 % 7) / 7 }
        normalize(&v)
        for _ in 0..<2000 {
            var next = [Double](repeating: 0, count: size)
            for i in 0..<size {
                var s = 0.0
                for j in 0..<size { s += g[i * size + j] * v[j] }
                next[i] = s
            }
            guard normalize(&next) > 0 else { return v }
            let change = zip(next, v).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            v = next
            if change < 1e-24 { break }
        }
        return v
    }

    private static func rayleigh(_ g: [Double], _ v: [Double], size: Int) -> Double {
        max(rayleighQuotient(g, v, size: size), 0)
    }

    /// `vᵀ·g·v` for a unit `v`.
    private static func rayleighQuotient(_ g: [Double], _ v: [Double], size: Int) -> Double {
        var total = 0.0
        for i in 0..<size {
            var s = 0.0
            for j in 0..<size { s += g[i * size + j] * v[j] }
            total += v[i] * s
        }
        return total
    }

    @discardableResult
    private static func normalize(_ v: inout [Double]) -> Double {
        let norm = v.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
        if norm > 0 { for i in v.indices { v[i] /= norm } }
        return norm
    }
}
