/// Selection with numpy broadcasting, ONNX `Where`: `Y = condition ? X : Y'`, elementwise
/// over the shape all three broadcast to. `condition` is a bool tensor (0/1, as
/// `Comparison` makes them); `X` and `Y'` share one element type, float32 or integer.
///
/// VJP: `dX = dY · condition` and `dY' = dY · ¬condition`, each summed over the dimensions
/// its input was broadcast along; the condition has no gradient. Replicas: as `Arithmetic`.
public struct Where: Operator {
    public init() {}

    public var opType: String { "Where" }
    public var differentiableInputs: [Int] { [1, 2] }
    /// The condition; of `X` and `Y'`, only the shapes.
    public var backwardUses: BackwardUses { .inputs(0) }

    private func condition(_ inputs: [Tensor?]) throws -> Tensor {
        let condition = try inputs.required(0, of: opType)
        guard condition.elementType == .bool else {
            throw EngineError.invalid(op: opType, "condition is \(condition.elementType); accepted: bool")
        }
        return condition
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let c = try condition(inputs)
        let x = try inputs.required(1, of: opType), y = try inputs.required(2, of: opType)
        guard x.elementType == y.elementType, x.elementType != .bool else {
            throw EngineError.invalid(op: opType, "X and Y are \(x.elementType) and \(y.elementType); accepted: both float32 or both integer")
        }
        let shape = try Broadcast.shape(try Broadcast.shape(c.shape, x.shape, op: opType), y.shape, op: opType)
        let loop = BroadcastLoop(shape: shape, operands: [c.shape, x.shape, y.shape])
        func select<T>(_ a: [T], _ b: [T], into result: inout [T]) {
            loop.forEachRun { start, count, offsets, steps in
                for i in 0..<count {
                    result[start + i] = c.integers[offsets[0] + i * steps[0]] != 0
                        ? a[offsets[1] + i * steps[1]] : b[offsets[2] + i * steps[2]]
                }
            }
        }
        if x.elementType == .float32 {
            outputs[0].reset(shape: shape)
            select(x.floats, y.floats, into: &outputs[0].floats)
        } else {
            var result = [Int64](repeating: 0, count: shape.reduce(1, *))
            select(x.integers, y.integers, into: &result)
            outputs[0].reset(shape: shape, integers: result, elementType: x.elementType)
        }
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        let c = try condition(inputs)
        let mask = Tensor(shape: c.shape, floats: c.integers.map { $0 != 0 ? 1 : 0 })
        let shapes = [try context.inputShape(1, of: opType), try context.inputShape(2, of: opType)]
        let output = try Broadcast.shape(try Broadcast.shape(c.shape, shapes[0], op: opType), shapes[1], op: opType)
        let replicas = try replicaCount(gradient, output: output, op: opType)
        return try wrt.map { position in
            let shape = shapes[position - 1], chosen: Float = position == 1 ? 1 : 0
            let target = try replicated(shape, replicas, op: opType, batchAligned: shape.count == output.count)
            return Broadcast.reduce(gradient, to: target, mask) { dy, m, _ in m == chosen ? dy : 0 }
        }
    }
}
