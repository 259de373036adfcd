import Foundation

/// Local response normalization across channels, ONNX `LRN`, float32.
///
/// Input `X [N, C, D1, ...]` (rank ≥ 2), output of the same shape. With
/// `lo = ⌊(size − 1) / 2⌋`, `hi = ⌈(size − 1) / 2⌉` and, at each position,
/// `S[c] = Σ_{c' = max(0, c − lo)}^{min(C − 1, c + hi)} X[c']²`, `D[c] = bias + (α / size) · S[c]`:
/// `Y[c] = X[c] · D[c]^(−β)`.
///
/// VJP: `dX[j] = dY[j] · D[j]^(−β) − (2αβ / size) · X[j] · Σ_{c : j ∈ window(c)} dY[c] · X[c] · D[c]^(−β−1)`,
/// where `j ∈ window(c)` means `c − lo ≤ j ≤ c + hi`. Replicas: supported.
public struct LRN: Operator {
    public var size: Int
    public var alpha: Float
    public var beta: Float
    public var bias: Float

    public init(size: Int, alpha: Float = 1e-4, beta: Float = 0.75, bias: Float = 1) throws {
        guard size >= 1 else { throw EngineError.invalid(op: "LRN", "size must be >= 1, got \(size)") }
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.bias = bias
    }

    public var opType: String { "LRN" }
    public var backwardUses: BackwardUses { .inputs(0) }

    private var below: Int { (size - 1) / 2 }
    private var above: Int { size - 1 - (size - 1) / 2 }

    /// `(channels, positions per channel)` of one image.
    private func planes(_ shape: [Int]) throws -> (Int, Int) {
        guard shape.count >= 2 else {
            throw EngineError.invalid(op: opType, "expected an input [N, C, ...] of rank 2 or more, got shape \(shape)")
        }
        return (shape[1], extent(shape, 2..<shape.count))
    }

    /// Writes `D[c][i]` for positions `range` of one image `x` into `d` (both `[C, plane]`).
    private func denominators(
        _ x: UnsafePointer<Float>, channels: Int, plane: Int, _ range: Range<Int>, into d: UnsafeMutablePointer<Float>
    ) {
        let scale = alpha / Float(size), bias = bias
        for c in 0..<channels {
            let row = d + c * plane
            for i in range { row[i] = 0 }
            for k in max(0, c - below)...min(channels - 1, c + above) {
                let source = x + k * plane
                for i in range { row[i] += source[i] * source[i] }
            }
            for i in range { row[i] = bias + scale * row[i] }
        }
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let x = try inputs.required(0, of: opType)
        try requireFloat(x, opType)
        let (channels, plane) = try planes(x.shape)
        outputs[0].reset(shape: x.shape)
        guard x.count > 0 else { return }
        let image = channels * plane, beta = beta
        let d = workspace.scratch(.lrnDenominators, count: image).baseAddress!
        x.floats.withUnsafeBufferPointer { xp in
            outputs[0].floats.withUnsafeMutableBufferPointer { yp in
                for n in 0..<x.shape[0] {
                    let x = xp.baseAddress! + n * image, y = yp.baseAddress! + n * image
                    workspace.parallelChunks(plane, grain: 256) { range in
                        denominators(x, channels: channels, plane: plane, range, into: d)
                        for c in 0..<channels {
                            let row = c * plane + range.lowerBound
                            Self.raise(d + row, count: range.count, toMinus: beta)
                            for i in row..<row + range.count { y[i] = x[i] * d[i] }
                        }
                    }
                }
            }
        }
    }

    /// Replaces each of `count` values `v` by `v^(−β)`; the usual exponents avoid `pow`.
    private static func raise(_ values: UnsafeMutablePointer<Float>, count: Int, toMinus beta: Float) {
        switch beta {
        case 0.75:
            for i in 0..<count {
                let root = values[i].squareRoot()
                values[i] = 1 / (root * root.squareRoot())
            }
        case 0.5:
            for i in 0..<count { values[i] = 1 / values[i].squareRoot() }
        case 1:
            for i in 0..<count { values[i] = 1 / values[i] }
        default:
            for i in 0..<count { values[i] = pow(values[i], -beta) }
        }
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        let x = try inputs.required(0, of: opType)
        let (channels, plane) = try planes(x.shape)
        let replicas = try replicaCount(gradient, output: x.shape, op: opType)
        var dx = gradient
        guard x.count > 0 else { return [dx] }
        let image = channels * plane, beta = beta, below = below, above = above
        let k = 2 * alpha * beta / Float(size)
        let workspace = context.workspace
        // Per image: D, D^(−β), and T[c] = dY[c] · X[c] · D[c]^(−β−1).
        let d = workspace.scratch(.lrnDenominators, count: image).baseAddress!
        let power = workspace.scratch(.lrnPowers, count: image).baseAddress!
        let t = workspace.scratch(.lrnProducts, count: image).baseAddress!
        x.floats.withUnsafeBufferPointer { xp in
            dx.floats.withUnsafeMutableBufferPointer { gp in
                for n in 0..<x.shape[0] {
                    let x = xp.baseAddress! + n * image
                    workspace.parallelChunks(plane, grain: 256) { range in
                        denominators(x, channels: channels, plane: plane, range, into: d)
                        for c in 0..<channels {
                            let row = c * plane + range.lowerBound
                            (power + row).update(from: d + row, count: range.count)
                            Self.raise(power + row, count: range.count, toMinus: beta)
                        }
                        // Replica r of a batch-1 forward, or image n itself.
                        for r in 0..<replicas {
                            let g = gp.baseAddress! + (n * replicas + r) * image
                            for c in 0..<channels {
                                for i in range {
                                    let at = c * plane + i
                                    t[at] = g[at] * x[at] * power[at] / d[at]
                                }
                            }
                            for j in 0..<channels {
                                let first = max(0, j - above), last = min(channels - 1, j + below)
                                for i in range {
                                    let at = j * plane + i
                                    var sum: Float = 0
                                    for c in first...last { sum += t[c * plane + i] }
                                    g[at] = g[at] * power[at] - k * x[at] * sum
                                }
                            }
                        }
                    }
                }
            }
        }
        return [dx]
    }
}
