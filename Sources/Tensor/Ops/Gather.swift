/// ONNX `Gather`: picks entries of `data` (any element type) along `axis` (negative
/// counts from the end) at int64 `indices` of any shape (negative counts from the
/// extent's end): `Y[i.., j.., k..] = data[i.., indices[j..], k..]`, so
/// `Y.shape = data.shape[..<axis] + indices.shape + data.shape[(axis + 1)...]`.
///
/// VJP (for `data`): `dData` is zero except `dData[i.., indices[j..], k..] += dY[i.., j.., k..]`
/// (repeated indices accumulate). Replicas: supported for `axis ≠ 0`.
public struct Gather: Operator {
    public var axis: Int

    public init(axis: Int = 0) {
        self.axis = axis
    }

    public var opType: String { "Gather" }
    /// Reads the indices; of `data`, only the shape.
    public var backwardUses: BackwardUses { .inputs(1) }

    /// Normalized axis, indices and the output shape, for `data` of shape `data`.
    private func plan(_ data: [Int], _ indices: Tensor) throws -> (axis: Int, indices: [Int], shape: [Int]) {
        guard data.count >= 1 else { throw EngineError.invalid(op: opType, "data must have rank 1 or more, got a scalar") }
        let axis = try normalizedAxis(axis, rank: data.count, op: opType)
        guard indices.elementType == .int64 else {
            throw EngineError.invalid(op: opType, "indices must be int64 (or int32), got \(indices.elementType)")
        }
        let size = data[axis]
        let resolved = try indices.integers.map { index in
            guard index >= -Int64(size), index < Int64(size) else {
                throw EngineError.invalid(op: opType, "index \(index) is out of range for extent \(size) of axis \(axis)")
            }
            return Int(index < 0 ? index + Int64(size) : index)
        }
        let shape = Array(data[..<axis]) + indices.shape + Array(data[(axis + 1)...])
        return (axis, resolved, shape)
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let data = try inputs.required(0, of: opType), indices = try inputs.required(1, of: opType)
        let (axis, picks, shape) = try plan(data.shape, indices)
        let outer = extent(data.shape, 0..<axis), size = data.shape[axis]
        let inner = extent(data.shape, (axis + 1)..<data.rank)
        func gather<T>(_ source: [T], _ zero: T) -> [T] {
            var result = [T](repeating: zero, count: outer * picks.count * inner)
            for o in 0..<outer {
                for (j, pick) in picks.enumerated() {
                    for i in 0..<inner { result[(o * picks.count + j) * inner + i] = source[(o * size + pick) * inner + i] }
                }
            }
            return result
        }
        if data.elementType == .float32 {
            outputs[0].reset(shape: shape)
            outputs[0].floats = gather(data.floats, 0)
        } else {
            outputs[0].reset(shape: shape, integers: gather(data.integers, 0), elementType: data.elementType)
        }
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        let data = try context.inputShape(0, of: opType), indices = try inputs.required(1, of: opType)
        let (axis, picks, shape) = try plan(data, indices)
        let replicas = try replicaCount(gradient, output: shape, op: opType)
        if replicas > 1 && axis == 0 { throw EngineError.replicasUnsupported(op: opType) }
        var dx = Tensor.zeros(try replicated(data, replicas, op: opType))
        let size = data[axis], inner = extent(data, (axis + 1)..<data.count)
        let outer = dx.count / max(1, size * inner)
        gradient.floats.withUnsafeBufferPointer { gp in
            dx.floats.withUnsafeMutableBufferPointer { dp in
                for o in 0..<outer {
                    for (j, pick) in picks.enumerated() {
                        for i in 0..<inner { dp[(o * size + pick) * inner + i] += gp[(o * picks.count + j) * inner + i] }
                    }
                }
            }
        }
        return [dx]
    }
}
