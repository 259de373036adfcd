/// Global average pooling, ONNX `GlobalAveragePool`, float32.
///
/// Input `X [N, C, D1, ..., Dk]` (k ≥ 1), output `Y [N, C, 1, ..., 1]`:
/// `Y[n, c] = (1 / S) · Σ_s X[n, c, s]` over the `S = D1 ··· Dk` spatial positions
/// (summed in Double). VJP: `dX[n, c, s] = dY[n, c] / S`. Replicas: supported.
public struct GlobalAveragePool: Operator {
    public init() {}

    public var opType: String { "GlobalAveragePool" }
    /// Only the input's shape is read.
    public var backwardUses: BackwardUses { .nothing }

    private func outputShape(_ shape: [Int]) throws -> [Int] {
        try globalPoolingShape(shape, op: opType)
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let x = try inputs.required(0, of: opType)
        try requireFloat(x, opType)
        outputs[0].reset(shape: try outputShape(x.shape))
        let size = extent(x.shape, 2..<x.rank)
        x.floats.withUnsafeBufferPointer { xp in
            outputs[0].floats.withUnsafeMutableBufferPointer { yp in
                guard let xs = xp.baseAddress else { return }
                for plane in yp.indices {
                    var sum: Double = 0
                    let x = xs + plane * size
                    for s in 0..<size { sum += Double(x[s]) }
                    yp[plane] = Float(sum / Double(size))
                }
            }
        }
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        let shape = try context.inputShape(0, of: opType)
        let replicas = try replicaCount(gradient, output: try outputShape(shape), op: opType)
        var dx = Tensor.zeros(try replicated(shape, replicas, op: opType))
        let size = extent(shape, 2..<shape.count)
        gradient.floats.withUnsafeBufferPointer { dyp in
            dx.floats.withUnsafeMutableBufferPointer { dxp in
                guard let dxs = dxp.baseAddress else { return }
                for plane in dyp.indices {
                    (dxs + plane * size).update(repeating: dyp[plane] / Float(size), count: size)
                }
            }
        }
        return [dx]
    }
}

/// The output shape `[N, C, 1, ..., 1]` of a global pooling of `shape` `[N, C, D1, ..., Dk]` (k ≥ 1).
func globalPoolingShape(_ shape: [Int], op: String) throws -> [Int] {
    guard shape.count >= 3 else {
        throw EngineError.invalid(op: op, "expected an input [N, C, D1, ...] of rank 3 or more, got shape \(shape)")
    }
    return Array(shape[..<2]) + Array(repeating: 1, count: shape.count - 2)
}
