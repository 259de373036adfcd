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
        let x = try inputs.required(0, of: opType)
        func clamp(_ index: Int) -> Int { min(max(index < 0 ? index + x.rank : index, 0), x.rank) }
        let lower = clamp(start), upper = max(lower, clamp(end ?? x.rank))
        let dims = x.shape[lower..<upper].map(Int64.init)
        outputs[0].reset(shape: [dims.count], integers: dims)
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        throw EngineError.notDifferentiable(op: opType, input: wrt.first ?? 0)
    }
}
