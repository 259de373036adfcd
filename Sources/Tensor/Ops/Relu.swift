/// Rectified linear unit, ONNX `Relu`: `y = max(x, 0)`.
///
/// VJP: `dx = dy · [y > 0]`; with the guided rule, `dx = dy · [y > 0] · [dy > 0]`
/// (guided backpropagation); with the deconvolution rule, `dx = dy · [dy > 0]`, whatever the
/// forward sign (Captum's `Deconvolution` hook: `relu(grad_output)`).
public struct Relu: Operator {
    public init() {}

    public var opType: String { "Relu" }
    public var backwardUses: BackwardUses { .outputs }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let x = try inputs.required(0, of: opType)
        try requireFloat(x, opType)
        outputs[0].reset(shape: x.shape)
        x.floats.withUnsafeBufferPointer { xp in
            outputs[0].floats.withUnsafeMutableBufferPointer { yp in
                for i in xp.indices { yp[i] = max(xp[i], 0) }
            }
        }
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        switch context.rule {
        case .standard:
            return [try gradient.mapReplicas(against: outputs[0], op: opType) { dy, y in y > 0 ? dy : 0 }]
        case .guided:
            return [try gradient.mapReplicas(against: outputs[0], op: opType) { dy, y in y > 0 && dy > 0 ? dy : 0 }]
        case .deconvolution:
            return [try gradient.mapReplicas(against: outputs[0], op: opType) { dy, _ in max(dy, 0) }]
        }
    }
}
