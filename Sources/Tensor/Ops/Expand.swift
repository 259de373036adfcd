/// ONNX `Expand`: `X` (any element type) broadcast (numpy rules, see `Broadcast`) with
/// the shape in the 1-D int64 input 1: `Y.shape = broadcast(X.shape, shape)`, which may
/// have a higher rank than `X`.
///
/// VJP: `dX` is `dY` summed over the axes `X` was broadcast along. Replicas: supported
/// when `X` has the output's rank and its axis 0 is the batch of 1.
public struct Expand: Operator {
    public init() {}

    public var opType: String { "Expand" }
    /// Reads `X`'s shape and the target shape.
    public var backwardUses: BackwardUses { .inputs(0, 1) }

    private func maps(_ inputs: [Tensor?]) throws -> (AxisMaps, sameRank: Bool) {
        let x = try inputs.required(0, of: opType)
        guard let requested = try integerList(inputs, 1, "shape", op: opType) else {
            throw EngineError.invalid(op: opType, "input 1 (the shape) is required")
        }
        guard requested.allSatisfy({ $0 >= 0 }) else { throw EngineError.invalid(op: opType, "shape \(requested) has a negative extent") }
        let output = try Broadcast.shape(x.shape, requested, op: opType)
        let padded = Array(repeating: 1, count: output.count - x.rank) + x.shape
        return (try AxisMaps(inputShape: padded, outputShape: output, op: opType) { axis, o in padded[axis] == 1 ? 0 : o },
                output.count == x.rank)
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        try maps(inputs).0.apply(try inputs.required(0, of: opType), into: &outputs[0])
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        let x = try inputs.required(0, of: opType)
        let (plan, sameRank) = try maps(inputs)
        if !sameRank && gradient.shape != plan.outputShape { throw EngineError.replicasUnsupported(op: opType) }
        let dx = try plan.scatter(gradient, op: opType)
        return [dx.reshaped(dx.shape.count == x.rank ? dx.shape : x.shape)]
    }
}
