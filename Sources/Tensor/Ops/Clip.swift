/// Clamping, ONNX `Clip`: `y = min(max(x, lo), hi)` (so `y = hi` everywhere when `lo > hi`).
///
/// Shapes: `x` any, float32; `y` has `x`'s shape. The bounds are fixed at build time
/// (attributes before opset 11) or read from the optional scalar inputs 1 (`min`) and
/// 2 (`max`); an absent bound is unbounded.
/// VJP: `dx = dy · [lo ≤ x ≤ hi]` (as PyTorch's `clamp`). Replicas: elementwise.
public struct Clip: Operator {
    /// Fixed bounds; nil reads the bound from its input.
    public var minimum: Float?
    public var maximum: Float?

    public init(minimum: Float? = nil, maximum: Float? = nil) {
        self.minimum = minimum
        self.maximum = maximum
    }

    public var opType: String { "Clip" }
    /// `x`, and the bounds when they are runtime inputs.
    public var backwardUses: BackwardUses { .inputs(0, 1, 2) }

    /// The bounds of one call.
    private func bounds(_ inputs: [Tensor?]) throws -> (Float, Float) {
        func bound(_ fixed: Float?, _ position: Int, _ name: String, _ unbounded: Float) throws -> Float {
            if let fixed { return fixed }
            guard let tensor = inputs.optional(position) else { return unbounded }
            guard tensor.count == 1, tensor.elementType == .float32 else {
                throw EngineError.invalid(op: opType, "\(name) must be a float32 scalar, got \(tensor)")
            }
            return tensor.floats[0]
        }
        return (try bound(minimum, 1, "min", -.infinity), try bound(maximum, 2, "max", .infinity))
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let x = try inputs.required(0, of: opType)
        try requireFloat(x, opType)
        let (lo, hi) = try bounds(inputs)
        outputs[0].reset(shape: x.shape)
        x.floats.withUnsafeBufferPointer { xp in
            outputs[0].floats.withUnsafeMutableBufferPointer { yp in
                for i in xp.indices { yp[i] = Self.clamp(xp[i], lo, hi) }
            }
        }
    }

    /// `min(max(x, lo), hi)` (also `HardSigmoid`'s and `HardSwish`'s ramp).
    @inline(__always)
    static func clamp(_ x: Float, _ lo: Float, _ hi: Float) -> Float {
        min(max(x, lo), hi)
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        let x = try inputs.required(0, of: opType)
        let (lo, hi) = try bounds(inputs)
        return [try gradient.mapReplicas(against: x, op: opType) { dy, x in x >= lo && x <= hi ? dy : 0 }]
    }
}
