/// ONNX `ConstantOfShape`: a tensor of the shape given by the 1-D int64 input, every
/// element `value` (a one-element float32, int64 or bool tensor; default float 0). The
/// shape is checked against `maximumComputedElements` before anything is allocated.
/// Not differentiable (its input is a shape).
public struct ConstantOfShape: Operator {
    public var value: Tensor

    public init(value: Tensor = Tensor(shape: [1], floats: [0])) {
        self.value = value
    }

    public var opType: String { "ConstantOfShape" }
    public var differentiableInputs: [Int] { [] }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        guard let shape = try integerList(inputs, 0, "the shape input", op: opType) else {
            throw EngineError.invalid(op: opType, "input 0 (the shape) is required")
        }
        guard value.count == 1 else { throw EngineError.invalid(op: opType, "value must hold one element, got \(value)") }
        let count = try checkedCount(shape, op: opType)
        if value.elementType == .float32 {
            outputs[0] = Tensor(shape: shape, floats: [Float](repeating: value.floats[0], count: count))
        } else {
            outputs[0].reset(shape: shape, integers: [Int64](repeating: value.integers[0], count: count), elementType: value.elementType)
        }
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        throw EngineError.notDifferentiable(op: opType, input: wrt.first ?? 0)
    }
}
