/// ONNX `Tile`: `X` (any element type) repeated `repeats[d]` times along each axis `d`
/// (1-D int64 input 1, one non-negative entry per axis):
/// `Y.shape[d] = X.shape[d] · repeats[d]`, `Y[o] = X[o mod X.shape]`.
///
/// VJP: `dX` is the sum of `dY` over the tiles. Replicas: supported when axis 0 (the
/// batch of 1) is not repeated.
public struct Tile: Operator {
    public init() {}

    public var opType: String { "Tile" }
    /// Reads `X`'s shape and the repeats.
    public var backwardUses: BackwardUses { .inputs(0, 1) }

    private func maps(_ inputs: [Tensor?]) throws -> AxisMaps {
        let x = try inputs.required(0, of: opType)
        guard let repeats = try integerList(inputs, 1, "repeats", op: opType) else {
            throw EngineError.invalid(op: opType, "input 1 (repeats) is required")
        }
        guard repeats.count == x.rank, repeats.allSatisfy({ $0 >= 0 }) else {
            throw EngineError.invalid(op: opType, "repeats \(repeats) must be \(x.rank) non-negative counts, one per axis of \(x.shape)")
        }
        var output: [Int] = []
        for (extent, count) in zip(x.shape, repeats) {
            let (product, overflow) = extent.multipliedReportingOverflow(by: count)
            guard !overflow else { throw EngineError.invalid(op: opType, "repeats \(repeats) of \(x.shape) overflow") }
            output.append(product)
        }
        return try AxisMaps(inputShape: x.shape, outputShape: output, op: opType) { axis, o in o % x.shape[axis] }
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        try maps(inputs).apply(try inputs.required(0, of: opType), into: &outputs[0])
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        [try maps(inputs).scatter(gradient, op: opType)]
    }
}
