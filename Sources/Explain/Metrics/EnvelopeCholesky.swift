/// A symmetric positive definite system `M x = c` solved by Cholesky factorization in
/// envelope (profile) storage: row `i` keeps its columns `first[i]...i`, where `first[i]` is
/// its first non-zero left of the diagonal. The factor `L` (`M = L Lᵀ`) has no entry outside
/// that envelope, so it is factored in place. Cost: `Σᵢ (i − first[i])² / 2` multiply-adds,
/// memory `Σᵢ (i − first[i] + 1)` doubles. In Double: ROAD's imputation feeds the solution
/// to the model, and its systems have condition numbers near `(image side)²`.
struct EnvelopeCholesky {
    let first: [Int]
    /// Where row `i` starts in `values`; `start[n]` is the total size.
    private let start: [Int]
    private var values: [Double]

    /// Doubles the envelope of rows with these `first` columns takes; nil on overflow.
    static func size(first: [Int]) -> Int? {
        var total = 0
        for (i, f) in first.enumerated() {
            let (sum, overflow) = total.addingReportingOverflow(i - f + 1)
            if overflow { return nil }
            total = sum
        }
        return total
    }

    /// A zero matrix with this envelope (`first[i] <= i`); set its lower triangle with `set`.
    init(first: [Int]) {
        precondition(first.enumerated().allSatisfy { $0.element <= $0.offset && $0.element >= 0 })
        self.first = first
        var start = [Int](repeating: 0, count: first.count + 1)
        for i in first.indices { start[i + 1] = start[i] + i - first[i] + 1 }
        self.start = start
        values = [Double](repeating: 0, count: start[first.count])
    }

    /// `M[i, j] = value` for `first[i] <= j <= i`.
    mutating func set(_ i: Int, _ j: Int, _ value: Double) {
        values[start[i] + j - first[i]] = value
    }

    /// Factors in place (row by row: `L[i, j] = (M[i, j] − Σₖ L[i, k] L[j, k]) / L[j, j]`).
    /// Throws `notPositiveDefinite` at a pivot that is not positive.
    mutating func factor() throws(NotPositiveDefinite) {
        let first = first, start = start
        try values.withUnsafeMutableBufferPointer { (l) throws(NotPositiveDefinite) in
            let base = l.baseAddress!
            for i in first.indices {
                let fi = first[i], row = base + start[i] - fi  // row[k] is L[i, k]
                for j in fi..<i {
                    let fj = first[j], other = base + start[j] - fj
                    let k0 = max(fi, fj)
                    row[j] = (row[j] - Self.dot(row + k0, other + k0, j - k0)) / other[j]
                }
                let pivot = row[i] - Self.dot(row + fi, row + fi, i - fi)
                guard pivot > 0 else { throw NotPositiveDefinite(row: i) }
                row[i] = pivot.squareRoot()
            }
        }
    }

    /// Solves `M x = c` with the factor, in place; `c` holds `count` right-hand sides, each
    /// `first.count` long, one after another.
    func solve(_ c: inout [Double], count: Int) {
        let n = first.count
        values.withUnsafeBufferPointer { l in
            c.withUnsafeMutableBufferPointer { c in
                for r in 0..<count {
                    let x = c.baseAddress! + r * n
                    for i in 0..<n {  // L y = c
                        let row = l.baseAddress! + start[i] - first[i]
                        x[i] = (x[i] - Self.dot(row + first[i], x + first[i], i - first[i])) / row[i]
                    }
                    for i in stride(from: n - 1, through: 0, by: -1) {  // Lᵀ x = y
                        let row = l.baseAddress! + start[i] - first[i]
                        x[i] /= row[i]
                        let xi = x[i]
                        for k in first[i]..<i { x[k] -= row[k] * xi }
                    }
                }
            }
        }
    }

    /// `Σ a[k] b[k]` over `count` values, in eight independent partial sums (the loop's
    /// latency, not its arithmetic, would otherwise bound the factorization).
    @inline(__always)
    private static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ count: Int) -> Double {
        var s0 = SIMD4<Double>(), s1 = SIMD4<Double>()
        var k = 0
        let rawA = UnsafeRawPointer(a), rawB = UnsafeRawPointer(b)
        while k + 8 <= count {
            s0 += rawA.loadUnaligned(fromByteOffset: k * 8, as: SIMD4<Double>.self)
                * rawB.loadUnaligned(fromByteOffset: k * 8, as: SIMD4<Double>.self)
            s1 += rawA.loadUnaligned(fromByteOffset: (k + 4) * 8, as: SIMD4<Double>.self)
                * rawB.loadUnaligned(fromByteOffset: (k + 4) * 8, as: SIMD4<Double>.self)
            k += 8
        }
        var sum = (s0 + s1).sum()
        while k < count {
            sum += a[k] * b[k]
            k += 1
        }
        return sum
    }

    /// The matrix is not positive definite: a zero or negative pivot at `row`.
    struct NotPositiveDefinite: Error {
        let row: Int
    }
}
