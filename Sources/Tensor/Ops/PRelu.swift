/// Parametric rectifier, ONNX `PRelu`: `Y = X` where `X ≥ 0`, `slope · X` elsewhere, float32,
/// with `slope` broadcast to `X`'s shape (unidirectionally: `Y` has `X`'s shape; a
/// per-channel slope is `[C, 1, 1]`).
///
/// VJP (PyTorch's): `dX = dY` where `X > 0`, `slope · dY` elsewhere; `dSlope = Σ dY · X`
/// over the elements where `X ≤ 0`, summed along the dimensions the slope was broadcast.
/// Replicas: for `X`; for the slope only when it has `X`'s rank.
public struct PRelu: Operator {
    public init() {}

    public var opType: String { "PRelu" }
    public var differentiableInputs: [Int] { [0, 1] }
    public var backwardUses: BackwardUses { .inputs(0, 1) }

    private func operands(_ inputs: [Tensor?]) throws -> (x: Tensor, slope: Tensor) {
        let x = try inputs.required(0, of: opType), slope = try inputs.required(1, of: opType)
        try requireFloat(x, opType)
        try requireFloat(slope, opType)
        guard (try? Broadcast.shape(x.shape, slope.shape, op: opType)) == x.shape else {
            throw EngineError.invalid(op: opType, "slope of shape \(slope.shape) does not broadcast to X's shape \(x.shape)")
        }
        return (x, slope)
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let (x, slope) = try operands(inputs)
        outputs[0].reset(shape: x.shape)
        x.floats.withUnsafeBufferPointer { xp in
            slope.floats.withUnsafeBufferPointer { sp in
                outputs[0].floats.withUnsafeMutableBufferPointer { yp in
                    BroadcastLoop(shape: x.shape, operands: [slope.shape]).forEachRun { start, count, offsets, steps in
                        for i in 0..<count {
                            let v = xp[start + i]
                            yp[start + i] = v < 0 ? sp[offsets[0] + i * steps[0]] * v : v
                        }
                    }
                }
            }
        }
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        let (x, slope) = try operands(inputs)
        let replicas = try replicaCount(gradient, output: x.shape, op: opType)
        return try wrt.map { position in
            if position == 0 {
                return Broadcast.reduce(gradient, to: try replicated(x.shape, replicas, op: opType), x, slope) { dy, x, s in
                    x > 0 ? dy : s * dy
                }
            }
            let target = try replicated(slope.shape, replicas, op: opType, batchAligned: slope.rank == x.rank)
            return Broadcast.reduce(gradient, to: target, x) { dy, x, _ in x > 0 ? 0 : dy * x }
        }
    }
}
