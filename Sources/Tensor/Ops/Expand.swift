/// ONNX `Expand`: `X` (any element type) broadcast (numpy rules, see `Broadcast`) with
/// the shape in the 1-D int64 input 1: `Y.shape = broadcast(X.shape, shape)`, which may
/// have a higher rank than `X`.
///
/// VJP: `dX` is `dY` summed over the axes `X` was broadcast along. Replicas: supported
/// when `X` has the output's rank and its axis 0 is the batch of 1.
public struct Expand: Operator {
    public init() {}

    public var opType: String { "Expand" }
    /// Reads the target shape (`X`'s shape comes with the context).
    public var backwardUses: BackwardUses { .inputs(1) }

    /// Which coordinate of an input shaped `shape` each output coordinate reads, and whether
    /// the output keeps the input's rank.
    private func maps(_ shape: [Int], _ inputs: [Tensor?]) throws -> (AxisMaps, sameRank: Bool) {
        guard let requested = try integerList(inputs, 1, "shape", op: opType) else {
            throw EngineError.invalid(op: opType, "input 1 (the shape) is required")
        }
        guard requested.allSatisfy({ $0 >= 0 }) else { throw EngineError.invalid(op: opType, "shape \(requested) has a negative extent") }
        let output = try Broadcast.shape(shape, requested, op: opType)
        let padded = Array(repeating: 1, count: output.count - shape.count) + shape
        return (try AxisMaps(inputShape: padded, outputShape: output, op: opType) { axis, o in padded[axis] == 1 ? 0 : o },
                output.count == shape.count)
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let x = try inputs.required(0, of: opType)
        try maps(x.shape, inputs).0.apply(x, into: &outputs[0])
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        let shape = try context.inputShape(0, of: opType)
        let (plan, sameRank) = try maps(shape, inputs)
        if !sameRank && gradient.shape != plan.outputShape { throw EngineError.replicasUnsupported(op: opType) }
        let dx = try plan.scatter(gradient, op: opType)
        return [dx.reshaped(dx.shape.count == shape.count ? dx.shape : shape)]
    }
}
