/// ONNX `Flatten`: `X` of shape `[d0, ..., d(r−1)]`, any element type, viewed as the
/// matrix `[d0 ··· d(axis−1), d(axis) ··· d(r−1)]` (`axis` in `−r...r`; 0 gives `[1, count]`).
///
/// VJP: `dX` is `dY` viewed with `X`'s shape. Replicas: supported when `X`'s dimension 0
/// is the batch of 1 (then each replica is one such view).
public struct Flatten: Operator {
    public var axis: Int

    public init(axis: Int = 1) {
        self.axis = axis
    }

    public var opType: String { "Flatten" }
    /// Only the input's shape is read.
    public var backwardUses: BackwardUses { .nothing }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let x = try inputs.required(0, of: opType)
        let axis = try normalizedAxis(axis, rank: x.rank, op: opType, inclusive: true)
        outputs[0].assign(x, shape: [extent(x.shape, 0..<axis), extent(x.shape, axis..<x.rank)])
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        try reshapeGradient(gradient, to: try context.inputShape(0, of: opType), op: opType)
    }
}

/// The VJP of an operator that only reinterprets its input's shape: the gradient viewed
/// with the input's shape, one view per replica.
func reshapeGradient(_ gradient: Tensor, to shape: [Int], op: String) throws -> [Tensor] {
    try requireFloat(gradient, op)
    let count = shape.reduce(1, *)
    let replicas = count == 0 ? 1 : gradient.count / count
    guard replicas * count == gradient.count, replicas >= 1 else {
        throw EngineError.invalid(op: op, "gradient of shape \(gradient.shape) does not match input shape \(shape)")
    }
    return [gradient.reshaped(try replicated(shape, replicas, op: op))]
}
