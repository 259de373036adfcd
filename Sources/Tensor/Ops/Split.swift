/// One output of ONNX `Split`: piece `output` of `X` (any element type) cut along `axis`
/// (negative counts from the end) into consecutive pieces of extents `sizes` (which must
/// add up to the axis's extent), or into `parts` pieces: equal ones, or (`unevenLast`,
/// `num_outputs` from opset 18) pieces of `ceil(extent / parts)` with a smaller last one.
///
/// The importer gives every output of an ONNX `Split` node a node of its own, so each
/// piece's gradient flows back; the pieces' VJPs add up in `dX`.
///
/// VJP: `dX` is zero except where the piece was read: `dX[piece] = dY`. Replicas:
/// supported for `axis ≠ 0`.
public struct Split: Operator {
    public var axis: Int
    /// Extents of the pieces; nil: `parts` pieces, or `sizes` read from the int64 input 1.
    public var sizes: [Int]?
    /// Number of pieces when there are no sizes.
    public var parts: Int
    /// `num_outputs` (opset 18): the last piece may be smaller instead of all being equal.
    public var unevenLast: Bool
    /// Which piece this operator computes.
    public var output: Int

    public init(axis: Int, sizes: [Int]? = nil, parts: Int, unevenLast: Bool = false, output: Int) {
        self.axis = axis
        self.sizes = sizes
        self.parts = parts
        self.unevenLast = unevenLast
        self.output = output
    }

    public var opType: String { "Split" }
    /// Reads the `split` input (`X`'s shape comes with the context).
    public var backwardUses: BackwardUses { .inputs(1) }

    /// The slice that is piece `output` of an `X` of `shape`.
    private func piece(of shape: [Int], _ inputs: [Tensor?]) throws -> StridedSlice {
        let axis = try normalizedAxis(axis, rank: shape.count, op: opType)
        let extent = shape[axis]
        let sizes: [Int]
        if let given = try self.sizes ?? integerList(inputs, 1, "split", op: opType) {
            guard given.allSatisfy({ $0 >= 0 }), given.reduce(0, { $0 + min($1, extent + 1) }) == extent else {
                throw EngineError.invalid(op: opType, "split \(given) must be non-negative extents adding up to \(extent), the extent of axis \(axis)")
            }
            sizes = given
        } else {
            guard parts >= 1 else { throw EngineError.invalid(op: opType, "the number of outputs must be 1 or more, got \(parts)") }
            if unevenLast {
                let chunk = (extent + parts - 1) / parts
                sizes = (0..<parts).map { min(chunk, max(0, extent - $0 * chunk)) }
            } else {
                guard extent % parts == 0 else {
                    throw EngineError.invalid(op: opType, "axis \(axis) of extent \(extent) does not split into \(parts) equal parts")
                }
                sizes = Array(repeating: extent / parts, count: parts)
            }
        }
        guard output < sizes.count else {
            throw EngineError.invalid(op: opType, "output \(output) does not exist: the split has \(sizes.count) pieces")
        }
        let start = sizes[..<output].reduce(0, +)
        return StridedSlice(.init(starts: [start], ends: [start + sizes[output]], axes: [axis]))
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let x = try inputs.required(0, of: opType)
        try piece(of: x.shape, inputs).forward([x], into: &outputs, workspace: workspace)
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        let slice = try piece(of: try context.inputShape(0, of: opType), inputs)
        do {
            return try slice.backward(gradient, inputs: [nil], outputs: outputs, wrt: wrt, context: context)
        } catch EngineError.replicasUnsupported {
            throw EngineError.replicasUnsupported(op: opType)
        }
    }
}
