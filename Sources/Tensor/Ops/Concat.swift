/// ONNX `Concat`: joins its inputs (same rank and element type, equal extents except
/// along `axis`, negative counting from the end) along `axis`:
/// `Y = [X_0, X_1, ...]` with `Y.shape[axis] = Σ X_i.shape[axis]`.
///
/// VJP: `dX_i` is the slice of `dY` along `axis` where `X_i` was placed. Replicas:
/// supported for `axis ≠ 0`.
public struct Concat: Operator {
    public var axis: Int
    /// Number of inputs, all differentiable.
    public var inputCount: Int

    public init(axis: Int, inputCount: Int) {
        self.axis = axis
        self.inputCount = inputCount
    }

    public var opType: String { "Concat" }
    public var differentiableInputs: [Int] { Array(0..<inputCount) }
    /// Only the inputs' shapes are read.
    public var backwardUses: BackwardUses { .nothing }

    /// The normalized axis and the output shape for inputs of `shapes`.
    private func plan(_ shapes: [[Int]?]) throws -> (axis: Int, shape: [Int]) {
        let parts = try shapes.indices.map { position in
            guard let shape = shapes[position] else { throw EngineError.invalid(op: opType, "input \(position) is required") }
            return shape
        }
        guard let first = parts.first else { throw EngineError.invalid(op: opType, "needs at least one input") }
        let axis = try normalizedAxis(axis, rank: first.count, op: opType)
        for part in parts {
            guard part.count == first.count, part.indices.allSatisfy({ $0 == axis || part[$0] == first[$0] }) else {
                throw EngineError.invalid(op: opType, "input shapes \(parts) differ in rank or in extents outside axis \(axis)")
            }
        }
        var shape = first
        shape[axis] = parts.reduce(0) { $0 + $1[axis] }
        return (axis, shape)
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let parts = try inputs.indices.map { try inputs.required($0, of: opType) }
        guard parts.allSatisfy({ $0.elementType == parts[0].elementType }) else {
            throw EngineError.invalid(op: opType, "inputs \(parts.map(\.description)) differ in element type")
        }
        let (axis, shape) = try plan(parts.map(\.shape))
        let outer = extent(shape, 0..<axis), row = extent(shape, axis..<shape.count)
        /// Copies each part's rows of `block` elements to its columns of the output rows.
        func join<T>(_ elements: (Tensor) -> [T], into y: UnsafeMutableBufferPointer<T>) {
            var column = 0
            for part in parts {
                let block = extent(part.shape, axis..<shape.count)
                elements(part).withUnsafeBufferPointer { xp in
                    guard let x = xp.baseAddress, let y = y.baseAddress else { return }
                    for o in 0..<outer { (y + o * row + column).update(from: x + o * block, count: block) }
                }
                column += block
            }
        }
        if parts[0].elementType == .float32 {
            outputs[0].reset(shape: shape)
            outputs[0].floats.withUnsafeMutableBufferPointer { join(\.floats, into: $0) }
        } else {
            var values = [Int64](repeating: 0, count: outer * row)
            values.withUnsafeMutableBufferPointer { join(\.integers, into: $0) }
            outputs[0].reset(shape: shape, integers: values, elementType: parts[0].elementType)
        }
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        let (axis, shape) = try plan(context.inputShapes)
        let replicas = try replicaCount(gradient, output: shape, op: opType)
        if replicas > 1 && axis == 0 { throw EngineError.replicasUnsupported(op: opType) }
        let row = extent(shape, axis..<shape.count), outer = gradient.count / max(1, row)
        let parts = context.inputShapes.compactMap { $0 }
        let starts = parts.map { extent($0, axis..<shape.count) }.reduce(into: [0]) { $0.append($0.last! + $1) }
        return try wrt.map { position in
            let block = starts[position + 1] - starts[position]
            var dx = Tensor.zeros(try replicated(parts[position], replicas, op: opType))
            gradient.floats.withUnsafeBufferPointer { gp in
                dx.floats.withUnsafeMutableBufferPointer { dp in
                    guard let g = gp.baseAddress, let d = dp.baseAddress else { return }
                    for o in 0..<outer { (d + o * block).update(from: g + o * row + starts[position], count: block) }
                }
            }
            return dx
        }
    }
}
