/// Layer normalization, ONNX `LayerNormalization` (opset 17), float32.
///
/// Inputs `X` (rank ≥ 1), `Scale` and optional `B`, each broadcasting to the normalized
/// shape `X.shape[axis...]` (`axis` negative counts from the end). Each slice
/// `X[i.., :]` over the normalized dimensions is standardized and scaled:
/// `Y = (X − μ) / √(σ² + ε) · Scale + B` (see `Standardization`). The optional outputs
/// `Mean` and `InvStdDev` are `μ` and `1 / √(σ² + ε)`, shaped `X.shape[..<axis]` followed
/// by ones.
///
/// VJP for `X` only (see `Standardization`). Replicas: supported.
public struct LayerNormalization: Operator {
    public var axis: Int
    public var epsilon: Float

    public init(axis: Int = -1, epsilon: Float = 1e-5) {
        self.axis = axis
        self.epsilon = epsilon
    }

    public var opType: String { "LayerNormalization" }
    public var backwardUses: BackwardUses { .inputs(0, 1) }

    /// The standardization of `x`'s slices with the scale and bias expanded to the normalized shape.
    private func plan(_ inputs: [Tensor?]) throws -> (x: Tensor, axis: Int, rows: Standardization) {
        let x = try inputs.required(0, of: opType), scale = try inputs.required(1, of: opType)
        try requireFloat(x, opType)
        guard x.rank >= 1 else { throw EngineError.invalid(op: opType, "X must have rank 1 or more, got a scalar") }
        let axis = try normalizedAxis(axis, rank: x.rank, op: opType)
        let normalized = Array(x.shape[axis...])
        /// A parameter broadcast to the normalized shape.
        func expanded(_ parameter: Tensor, _ name: String) throws -> [Float] {
            try requireFloat(parameter, opType)
            guard (try? Broadcast.shape(normalized, parameter.shape, op: opType)) == normalized else {
                throw EngineError.invalid(op: opType, "\(name) of shape \(parameter.shape) does not broadcast to the normalized shape \(normalized)")
            }
            var values = [Float](repeating: 0, count: normalized.reduce(1, *))
            BroadcastLoop(shape: normalized, operands: [parameter.shape]).forEachRun { start, count, offsets, steps in
                for i in 0..<count { values[start + i] = parameter.floats[offsets[0] + i * steps[0]] }
            }
            return values
        }
        let length = extent(x.shape, axis..<x.rank)
        let scales = try expanded(scale, "Scale")
        let shifts = try inputs.optional(2).map { try expanded($0, "B") } ?? [Float](repeating: 0, count: length)
        let rows = Standardization(rows: extent(x.shape, 0..<axis), length: length, segment: 1, epsilon: epsilon,
                                   scale: scales, shift: shifts)
        return (x, axis, rows)
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let (x, axis, rows) = try plan(inputs)
        outputs[0].reset(shape: x.shape)
        let wanted = outputs.count > 1
        let statistics = x.floats.withUnsafeBufferPointer { xp in
            outputs[0].floats.withUnsafeMutableBufferPointer { yp in
                rows.forward(xp, into: yp, workspace: workspace, statistics: wanted)
            }
        }
        let reduced = Array(x.shape[..<axis]) + Array(repeating: 1, count: x.rank - axis)
        for (k, values) in [statistics.means, statistics.inverses].enumerated() where k + 1 < outputs.count {
            outputs[k + 1] = Tensor(shape: reduced, floats: values)
        }
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        let (x, _, rows) = try plan(inputs)
        _ = try replicaCount(gradient, output: x.shape, op: opType)
        return [x.floats.withUnsafeBufferPointer { rows.backward(gradient, x: $0, workspace: context.workspace) }]
    }
}
