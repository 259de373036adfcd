/// Global max pooling, ONNX `GlobalMaxPool`, float32.
///
/// Input `X [N, C, D1, ..., Dk]` (k ≥ 1), output `Y [N, C, 1, ..., 1]`:
/// `Y[n, c] = max_s X[n, c, s]` over the spatial positions.
/// VJP: `dY[n, c]` goes to the first maximum of its plane (as `MaxPool`). Replicas: supported.
public struct GlobalMaxPool: Operator {
    public init() {}

    public var opType: String { "GlobalMaxPool" }
    public var backwardUses: BackwardUses { .inputs(0) }

    private func outputShape(_ shape: [Int]) throws -> [Int] {
        let output = try globalPoolingShape(shape, op: opType)
        guard !shape[2...].contains(0) else { throw EngineError.invalid(op: opType, "the spatial axes of \(shape) are empty: no maximum") }
        return output
    }

    /// The offset of the first maximum of each plane of `x`.
    private func argmaxima(_ x: Tensor, size: Int) -> [Int] {
        x.floats.withUnsafeBufferPointer { xp in
            (0..<(x.count / size)).map { plane in
                var best = plane * size
                for s in (plane * size)..<((plane + 1) * size) where xp[s] > xp[best] { best = s }
                return best
            }
        }
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let x = try inputs.required(0, of: opType)
        try requireFloat(x, opType)
        let shape = try outputShape(x.shape)
        outputs[0].reset(shape: shape)
        outputs[0].floats = argmaxima(x, size: extent(x.shape, 2..<x.rank)).map { x.floats[$0] }
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        let x = try inputs.required(0, of: opType)
        let replicas = try replicaCount(gradient, output: try outputShape(x.shape), op: opType)
        var dx = Tensor.zeros(try replicated(x.shape, replicas, op: opType))
        let maxima = argmaxima(x, size: extent(x.shape, 2..<x.rank))
        for replica in 0..<replicas {
            for (plane, at) in maxima.enumerated() {
                dx.floats[replica * x.count + at] += gradient.floats[replica * maxima.count + plane]
            }
        }
        return [dx]
    }
}
