/// ONNX `Shape`: the 1-D int64 tensor of `X`'s extents `shape[start..<end]` (any element
/// type; `start` and `end`, from opset 15, count from the end when negative and are
/// clamped to `0...rank`). Not differentiable.
public struct Shape: Operator {
    public var start: Int
    public var end: Int?

    public init(start: Int = 0, end: Int? = nil) {
        self.start = start
        self.end = end
    }

    public var opType: String { "Shape" }
    public var differentiableInputs: [Int] { [] }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        outputs[0] = extents(of: try inputs.required(0, of: opType).shape)
    }

    /// The output for an input of `shape` (which is all this operator reads).
    public func extents(of shape: [Int]) -> Tensor {
        func clamp(_ index: Int) -> Int { min(max(index < 0 ? index + shape.count : index, 0), shape.count) }
        let lower = clamp(start), upper = max(lower, clamp(end ?? shape.count))
        let dims = shape[lower..<upper].map(Int64.init)
        return Tensor(shape: [dims.count], integers: dims)
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        throw EngineError.notDifferentiable(op: opType, input: wrt.first ?? 0)
    }
}
