/// Leaky rectifier, ONNX `LeakyRelu`: `y = x` for `x ≥ 0`, `y = α · x` otherwise.
///
/// Shapes: any, float32; `y` has `x`'s shape. VJP: `dx = dy` where `x > 0`, `α · dy`
/// elsewhere (the derivative PyTorch uses at 0). Replicas: elementwise.
public struct LeakyRelu: Operator {
    public var alpha: Float

    public init(alpha: Float = 0.01) {
        self.alpha = alpha
    }

    public var opType: String { "LeakyRelu" }
    /// Reads `x`: with `α ≤ 0`, the sign of `y` does not tell the side of the kink.
    public var backwardUses: BackwardUses { .inputs(0) }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let x = try inputs.required(0, of: opType)
        try requireFloat(x, opType)
        outputs[0].reset(shape: x.shape)
        let alpha = alpha
        x.floats.withUnsafeBufferPointer { xp in
            outputs[0].floats.withUnsafeMutableBufferPointer { yp in
                for i in xp.indices { yp[i] = xp[i] >= 0 ? xp[i] : alpha * xp[i] }
            }
        }
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        let x = try inputs.required(0, of: opType)
        let alpha = alpha
        return [try gradient.mapReplicas(against: x, op: opType) { dy, x in x > 0 ? dy : alpha * dy }]
    }
}
