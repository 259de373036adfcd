/// Elementwise comparison with numpy broadcasting: ONNX `Equal`, `Less`, `LessOrEqual`,
/// `Greater`, `GreaterOrEqual`. `A` and `B` have one element type (float32, an integer
/// type or bool); `Y`, of the broadcast shape, is a bool tensor.
///
/// Booleans are the engine's `bool` tensors: 0 and 1 held as integers. They carry no
/// gradient: a comparison has no differentiable input, and only a `Where` reading it
/// passes gradients on, to its value inputs.
public struct Comparison: Operator {
    public enum Kind: String, Sendable, CaseIterable {
        case equal = "Equal", less = "Less", lessOrEqual = "LessOrEqual"
        case greater = "Greater", greaterOrEqual = "GreaterOrEqual"
    }

    public var kind: Kind

    public init(_ kind: Kind) {
        self.kind = kind
    }

    public var opType: String { kind.rawValue }
    public var differentiableInputs: [Int] { [] }

    @inline(__always)
    private static func holds<T: Comparable>(_ kind: Kind, _ a: T, _ b: T) -> Bool {
        switch kind {
        case .equal: a == b
        case .less: a < b
        case .lessOrEqual: a <= b
        case .greater: a > b
        case .greaterOrEqual: a >= b
        }
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let a = try inputs.required(0, of: opType), b = try inputs.required(1, of: opType)
        guard a.elementType == b.elementType else {
            throw EngineError.invalid(op: opType, "inputs are \(a.elementType) and \(b.elementType); accepted: one element type for both")
        }
        let shape = try Broadcast.shape(a.shape, b.shape, op: opType)
        var result = [Int64](repeating: 0, count: shape.reduce(1, *))
        let kind = kind, loop = BroadcastLoop(shape: shape, operands: [a.shape, b.shape])
        func compare<T: Comparable>(_ x: [T], _ y: [T]) {
            loop.forEachRun { start, count, offsets, steps in
                for i in 0..<count {
                    result[start + i] = Self.holds(kind, x[offsets[0] + i * steps[0]], y[offsets[1] + i * steps[1]]) ? 1 : 0
                }
            }
        }
        if a.elementType == .float32 {
            compare(a.floats, b.floats)
        } else {
            compare(a.integers, b.integers)
        }
        outputs[0].reset(shape: shape, integers: result, elementType: .bool)
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        throw EngineError.notDifferentiable(op: opType, input: wrt.first ?? 0)
    }
}
