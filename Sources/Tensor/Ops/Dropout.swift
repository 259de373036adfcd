/// ONNX `Dropout` at inference: `Y = X` (any element type), and the optional `mask`
/// output all true (bool; float ones before opset 10, where the mask had `X`'s type).
///
/// Training mode (the optional input 2, `training_mode`, true) is rejected unless the
/// ratio (input 1, default 0.5) is 0, where dropout is the identity too.
/// VJP: `dX = dY`. Replicas: supported.
public struct Dropout: Operator {
    /// Whether the mask output is bool (opset ≥ 10) rather than of `X`'s type.
    public var booleanMask: Bool

    public init(booleanMask: Bool = true) {
        self.booleanMask = booleanMask
    }

    public var opType: String { "Dropout" }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let x = try inputs.required(0, of: opType)
        if let training = inputs.optional(2), training.count == 1, training.scalarValue != 0 {
            let ratio = inputs.optional(1)?.scalarValue ?? 0.5
            guard ratio == 0 else {
                throw EngineError.invalid(op: opType, "training_mode is true with ratio \(ratio); only inference (or ratio 0) is supported")
            }
        }
        outputs[0].assign(x, shape: x.shape)
        if outputs.count > 1 {
            if booleanMask || x.elementType != .float32 {
                let type: ElementType = booleanMask ? .bool : x.elementType
                outputs[1].reset(shape: x.shape, integers: [Int64](repeating: 1, count: x.count), elementType: type)
            } else {
                outputs[1].reset(shape: x.shape)
                outputs[1].floats.withUnsafeMutableBufferPointer { $0.update(repeating: 1) }
            }
        }
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        [gradient]
    }
}
