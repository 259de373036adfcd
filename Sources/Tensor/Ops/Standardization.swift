/// Standardizes the rows of a float32 tensor and applies a per-segment affine map: the math
/// `LayerNormalization` and `GroupNormalization` (with `InstanceNormalization`) share.
///
/// The tensor is `rows` rows of `length` elements. Row `r` is standardized by its own mean
/// `μ` and biased variance `σ²` (summed in Double): `x̂ = (x − μ) / √(σ² + ε)`. Each row is
/// cut into segments of `segment` elements, and element `i` of row `r` becomes
/// `y = scale[k] · x̂ + shift[k]` with `k = (r · length/segment + i/segment) mod scale.count`:
/// per element of the row for a layer norm (`segment` 1, `length` parameters), per channel
/// for a group norm (`segment` a channel's plane, `C` parameters for rows cycling through
/// the groups).
///
/// VJP for `x`, per row: with `g = dY · scale[k]`,
/// `dx = (g − mean(g) − x̂ · mean(g · x̂)) / √(σ² + ε)`.
struct Standardization {
    let rows: Int
    let length: Int
    let segment: Int
    let epsilon: Float
    let scale: [Float]
    let shift: [Float]

    /// Segments per row.
    private var segments: Int { segment == 0 ? 0 : length / segment }

    /// `μ` and `1 / √(σ² + ε)` of the row at `x`, each sum in four interleaved parts (element
    /// `i` into part `i mod 4`) that the processor adds independently.
    func statistics(_ x: UnsafePointer<Float>) -> (mean: Float, inverse: Float) {
        let mean = Self.sum(length) { Double(x[$0]) } / Double(max(1, length))
        let squares = Self.sum(length) { i in
            let d = Double(x[i]) - mean
            return d * d
        }
        let variance = squares / Double(max(1, length))
        return (Float(mean), Float(1 / (variance + Double(epsilon)).squareRoot()))
    }

    /// `Σ_{i < count} term(i)` in four parts.
    @inline(__always)
    private static func sum(_ count: Int, _ term: (Int) -> Double) -> Double {
        var parts = (0.0, 0.0, 0.0, 0.0)
        var i = 0
        while i + 4 <= count {
            parts.0 += term(i)
            parts.1 += term(i + 1)
            parts.2 += term(i + 2)
            parts.3 += term(i + 3)
            i += 4
        }
        while i < count {
            parts.0 += term(i)
            i += 1
        }
        return (parts.0 + parts.1) + (parts.2 + parts.3)
    }

    /// Whether element `i` of every row takes parameter `i` (a layer norm's `segment` 1 with
    /// `length` parameters), so the rows need no per-element parameter index.
    private var isPerElement: Bool { segment == 1 && scale.count == length }

    /// The parameter index of segment `s` of row `row`.
    @inline(__always)
    private func parameter(_ row: Int, _ s: Int) -> Int {
        (row * segments + s) % scale.count
    }

    /// Writes `y` for `x` (each `rows · length` elements); returns each row's `μ` and
    /// `1 / √(σ² + ε)` when `statistics` is set.
    func forward(
        _ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>, workspace: Workspace,
        statistics wanted: Bool = false
    ) -> (means: [Float], inverses: [Float]) {
        var means = [Float](repeating: 0, count: wanted ? rows : 0)
        // An empty row has μ = 0 and σ² = 0.
        var inverses = [Float](repeating: Float(1 / Double(epsilon).squareRoot()), count: means.count)
        guard let x = x.baseAddress, let y = y.baseAddress else { return (means, inverses) }
        means.withUnsafeMutableBufferPointer { mp in
            inverses.withUnsafeMutableBufferPointer { ip in
                workspace.parallelChunks(rows, grain: max(1, 4096 / max(1, length))) { range in
                    for row in range {
                        let xr = x + row * length, yr = y + row * length
                        let (mean, inverse) = statistics(xr)
                        if wanted {
                            mp[row] = mean
                            ip[row] = inverse
                        }
                        if isPerElement {
                            // A layer norm: one parameter per element of the row, in order.
                            scale.withUnsafeBufferPointer { sp in
                                shift.withUnsafeBufferPointer { bp in
                                    for i in 0..<length { yr[i] = (xr[i] - mean) * (sp[i] * inverse) + bp[i] }
                                }
                            }
                            continue
                        }
                        for s in 0..<segments {
                            let k = parameter(row, s)
                            let a = scale[k] * inverse, b = shift[k]
                            for i in (s * segment)..<((s + 1) * segment) { yr[i] = (xr[i] - mean) * a + b }
                        }
                    }
                }
            }
        }
        return (means, inverses)
    }

    /// The gradient for `x` (`rows · length` elements) given `dy`: `rows · length` elements,
    /// or whole multiples of it (replicas of a batch-1 forward pass).
    func backward(_ dy: Tensor, x: UnsafeBufferPointer<Float>, workspace: Workspace) -> Tensor {
        var dx = dy
        guard let x = x.baseAddress else { return dx }
        let gradientRows = length == 0 ? 0 : dy.count / length
        dx.floats.withUnsafeMutableBufferPointer { gp in
            guard let g = gp.baseAddress else { return }
            workspace.parallelChunks(gradientRows, grain: max(1, 4096 / max(1, length))) { range in
                for j in range {
                    let row = j % rows, xr = x + row * length, gr = g + j * length
                    let (mean, inverse) = statistics(xr)
                    var sum = 0.0, weighted = 0.0
                    for s in 0..<segments {
                        let a = scale[parameter(row, s)]
                        for i in (s * segment)..<((s + 1) * segment) {
                            gr[i] *= a
                            sum += Double(gr[i])
                            weighted += Double(gr[i]) * Double((xr[i] - mean) * inverse)
                        }
                    }
                    let m1 = Float(sum / Double(length)), m2 = Float(weighted / Double(length))
                    for i in 0..<length { gr[i] = inverse * (gr[i] - m1 - (xr[i] - mean) * inverse * m2) }
                }
            }
        }
        return dx
    }
}
