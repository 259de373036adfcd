/// ONNX `Squeeze`: removes dimensions of extent 1 from `X` (any element type): those at
/// `axes` (negative counts from the end; each must have extent 1), or every such
/// dimension when no axes are given. The axes are fixed at build time (the attribute
/// before opset 13, or a constant input) or read from the optional int64 input 1.
///
/// VJP: `dX` is `dY` viewed with `X`'s shape. Replicas: supported when `X`'s dimension 0
/// is the batch of 1.
public struct Squeeze: Operator {
    /// Fixed axes; nil reads them from input 1, or squeezes every extent-1 dimension.
    public var axes: [Int]?

    public init(axes: [Int]? = nil) {
        self.axes = axes
    }

    public var opType: String { "Squeeze" }
    /// Only the input's shape is read.
    public var backwardUses: BackwardUses { .nothing }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let x = try inputs.required(0, of: opType)
        let shape: [Int]
        if let requested = try axes ?? axesInput(inputs, op: opType) {
            let removed = Set(try requested.map { try normalizedAxis($0, rank: x.rank, op: opType) })
            guard removed.count == requested.count else { throw EngineError.invalid(op: opType, "axes \(requested) repeat an axis") }
            if let axis = removed.sorted().first(where: { x.shape[$0] != 1 }) {
                throw EngineError.invalid(op: opType, "cannot squeeze axis \(axis) of extent \(x.shape[axis]) in shape \(x.shape)")
            }
            shape = x.shape.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
        } else {
            shape = x.shape.filter { $0 != 1 }
        }
        outputs[0].assign(x, shape: shape)
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        try reshapeGradient(gradient, to: try context.inputShape(0, of: opType), op: opType)
    }
}

/// ONNX `Unsqueeze`: inserts dimensions of extent 1 into `X` (any element type) at `axes`,
/// positions in the output (negative counts from the output's end). The axes are fixed
/// at build time (the attribute before opset 13, or a constant input) or read from the
/// int64 input 1.
///
/// VJP: `dX` is `dY` viewed with `X`'s shape. Replicas: supported when `X`'s dimension 0
/// is the batch of 1.
public struct Unsqueeze: Operator {
    /// Fixed axes; nil reads them from input 1.
    public var axes: [Int]?

    public init(axes: [Int]? = nil) {
        self.axes = axes
    }

    public var opType: String { "Unsqueeze" }
    /// Only the input's shape is read.
    public var backwardUses: BackwardUses { .nothing }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let x = try inputs.required(0, of: opType)
        guard let requested = try axes ?? axesInput(inputs, op: opType) else {
            throw EngineError.invalid(op: opType, "axes are required (attribute before opset 13, input 1 from opset 13)")
        }
        let rank = x.rank + requested.count
        let inserted = Set(try requested.map { try normalizedAxis($0, rank: rank, op: opType) })
        guard inserted.count == requested.count else { throw EngineError.invalid(op: opType, "axes \(requested) repeat an axis") }
        var dimensions = x.shape.makeIterator()
        outputs[0].assign(x, shape: (0..<rank).map { inserted.contains($0) ? 1 : dimensions.next()! })
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        try reshapeGradient(gradient, to: try context.inputShape(0, of: opType), op: opType)
    }
}

/// The axes in the optional int64 input 1, or nil when it is absent.
private func axesInput(_ inputs: [Tensor?], op: String) throws -> [Int]? {
    guard let axes = inputs.optional(1) else { return nil }
    guard axes.elementType == .int64, axes.rank <= 1 else {
        throw EngineError.invalid(op: op, "axes must be a 1-D int64 tensor, got \(axes)")
    }
    return axes.intValues
}
