/// ONNX `Tile`: `X` (any element type) repeated `repeats[d]` times along each axis `d`
/// (1-D int64 input 1, one non-negative entry per axis):
/// `Y.shape[d] = X.shape[d] · repeats[d]`, `Y[o] = X[o mod X.shape]`.
///
/// VJP: `dX` is the sum of `dY` over the tiles. Replicas: supported when axis 0 (the
/// batch of 1) is not repeated.
public struct Tile: Operator {
    public init() {}

    public var opType: String { "Tile" }
    /// Reads the repeats (`X`'s shape comes with the context).
    public var backwardUses: BackwardUses { .inputs(1) }

    /// Which coordinate of an input shaped `shape` each output coordinate reads.
    private func maps(_ shape: [Int], _ inputs: [Tensor?]) throws -> AxisMaps {
        guard let repeats = try integerList(inputs, 1, "repeats", op: opType) else {
            throw EngineError.invalid(op: opType, "input 1 (repeats) is required")
        }
        guard repeats.count == shape.count, repeats.allSatisfy({ $0 >= 0 }) else {
            throw EngineError.invalid(op: opType, "repeats \(repeats) must be \(shape.count) non-negative counts, one per axis of \(shape)")
        }
        var output: [Int] = []
        for (extent, count) in zip(shape, repeats) {
            let (product, overflow) = extent.multipliedReportingOverflow(by: count)
            guard !overflow else { throw EngineError.invalid(op: opType, "repeats \(repeats) of \(shape) overflow") }
            output.append(product)
        }
        return try AxisMaps(inputShape: shape, outputShape: output, op: opType) { axis, o in o % shape[axis] }
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let x = try inputs.required(0, of: opType)
        try maps(x.shape, inputs).apply(x, into: &outputs[0])
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        [try maps(try context.inputShape(0, of: opType), inputs).scatter(gradient, op: opType)]
    }
}
