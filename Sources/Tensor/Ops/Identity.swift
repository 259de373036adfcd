/// ONNX `Identity`: `Y = X`, any element type. VJP: `dX = dY`. Replicas: supported.
public struct Identity: Operator {
    public init() {}

    public var opType: String { "Identity" }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let x = try inputs.required(0, of: opType)
        outputs[0].assign(x, shape: x.shape)
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        [gradient]
    }
}
