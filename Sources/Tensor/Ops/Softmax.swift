import Foundation

/// Normalized exponential, ONNX `Softmax`, over groups of elements of `x` (float32, any
/// rank ≥ 1; `y` has `x`'s shape):
/// `y[i] = e^(x[i] − m) / Σ_{j in group} e^(x[j] − m)` with `m` the group's maximum.
///
/// Groups follow the opset: from opset 13 a group is a line along `axis`; before 13
/// (`coerced`), `x` is seen as a matrix `[∏ shape[..<axis], ∏ shape[axis...]]` and a group
/// is one row.
///
/// VJP: `dx[i] = y[i] · (dy[i] − Σ_{j in group} dy[j] · y[j])`. Replicas: supported when
/// groups do not span dimension 0 (`axis ≠ 0`).
public struct Softmax: Operator {
    public var axis: Int
    /// Opset < 13 semantics: flatten to 2-D at `axis`.
    public var coerced: Bool

    public init(axis: Int, coerced: Bool) {
        self.axis = axis
        self.coerced = coerced
    }

    public var opType: String { "Softmax" }
    public var backwardUses: BackwardUses { .outputs }

    /// `x` seen as `[outer, length, inner]`, a group being `length` elements `inner` apart.
    private func layout(_ shape: [Int]) throws -> (outer: Int, length: Int, inner: Int, axis: Int) {
        let rank = shape.count
        let axis = try normalizedAxis(axis, rank: rank, op: opType)
        if coerced {
            return (extent(shape, 0..<axis), extent(shape, axis..<rank), 1, axis)
        }
        return (extent(shape, 0..<axis), shape[axis], extent(shape, axis + 1..<rank), axis)
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let x = try inputs.required(0, of: opType)
        try requireFloat(x, opType)
        let (outer, length, inner, _) = try layout(x.shape)
        outputs[0].reset(shape: x.shape)
        guard x.count > 0 else { return }
        x.floats.withUnsafeBufferPointer { xp in
            outputs[0].floats.withUnsafeMutableBufferPointer { yp in
                let xs = xp.baseAddress!, ys = yp.baseAddress!
                workspace.parallelChunks(outer * inner, grain: 64) { groups in
                    for group in groups {
                        let base = (group / inner) * length * inner + group % inner
                        let x = xs + base, y = ys + base
                        var m = -Float.infinity
                        for j in 0..<length { m = max(m, x[j * inner]) }
                        var sum: Double = 0
                        for j in 0..<length {
                            let e = exp(x[j * inner] - m)
                            y[j * inner] = e
                            sum += Double(e)
                        }
                        let total = Float(sum)
                        for j in 0..<length { y[j * inner] /= total }
                    }
                }
            }
        }
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        let y = outputs[0]
        let replicas = try replicaCount(gradient, output: y.shape, op: opType)
        let (outer, length, inner, axis) = try layout(y.shape)
        if replicas > 1 && axis == 0 { throw EngineError.replicasUnsupported(op: opType) }
        var dx = gradient
        let groups = outer * inner
        dx.floats.withUnsafeMutableBufferPointer { dp in
            y.floats.withUnsafeBufferPointer { yp in
                guard let ds = dp.baseAddress, let ys = yp.baseAddress else { return }
                // Replica r's group g reads the forward group g (the forward batch is 1).
                context.workspace.parallelChunks(groups * replicas, grain: 64) { range in
                    for index in range {
                        let group = index % groups
                        let base = (group / inner) * length * inner + group % inner
                        let d = ds + (index / groups) * y.count + base, y = ys + base
                        var dot: Double = 0
                        for j in 0..<length { dot += Double(d[j * inner]) * Double(y[j * inner]) }
                        let s = Float(dot)
                        for j in 0..<length { d[j * inner] = y[j * inner] * (d[j * inner] - s) }
                    }
                }
            }
        }
        return [dx]
    }
}
