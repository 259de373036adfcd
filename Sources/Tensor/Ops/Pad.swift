/// ONNX `Pad`: `X` (any element type) widened (or, with negative pads, cropped) by
/// `pads = [b_0, ..., b_(r−1), e_0, ..., e_(r−1)]` along the listed `axes` (default: all):
/// `Y.shape[d] = b_d + X.shape[d] + e_d`, and `Y[o] = X[o − b]` inside. Outside, by `mode`:
/// `constant` (the `value`), `reflect` (mirrored about the edge element, which is not
/// repeated), `edge` (the edge element repeated) or `wrap` (periodic).
///
/// Pads and value are attributes before opset 11 (`fixedPads`, `fixedValue`), then
/// int64 input 1 and the optional scalar input 2 (of `X`'s element type); axes are the
/// optional int64 input 3 from opset 18.
///
/// VJP: each `dY` element is added to the `X` element it copied (nothing for constant
/// padding). Replicas: supported when axis 0 (the batch of 1) is not padded.
public struct Pad: Operator {
    public enum Mode: String, Sendable, CaseIterable {
        case constant, reflect, edge, wrap
    }

    public var mode: Mode
    /// Pads fixed at build time (opset < 11); nil reads input 1.
    public var fixedPads: [Int]?
    /// The constant before opset 11; from 11 the optional input 2 (default 0).
    public var fixedValue: Float?

    public init(mode: Mode = .constant, pads: [Int]? = nil, value: Float? = nil) {
        self.mode = mode
        fixedPads = pads
        fixedValue = value
    }

    public var opType: String { "Pad" }
    /// Reads the pads and axes (`X`'s shape comes with the context).
    public var backwardUses: BackwardUses { .inputs(1, 3) }

    /// The cells added before and after each axis of a rank-`rank` input (negative: removed),
    /// from the pads and axes (inputs 1 and 3, or `fixedPads`).
    func padsByAxis(rank: Int, _ inputs: [Tensor?]) throws -> (begin: [Int], end: [Int]) {
        guard let given = try fixedPads ?? integerList(inputs, 1, "pads", op: opType) else {
            throw EngineError.invalid(op: opType, "pads (input 1) are required")
        }
        let axes = try (try integerList(inputs, 3, "axes", op: opType) ?? Array(0..<rank)).map {
            try normalizedAxis($0, rank: rank, op: opType)
        }
        guard given.count == 2 * axes.count, Set(axes).count == axes.count else {
            throw EngineError.invalid(op: opType, "pads \(given) must have 2 entries per padded axis (\(axes.count) distinct axes)")
        }
        var begin = [Int](repeating: 0, count: rank), end = begin
        for (k, axis) in axes.enumerated() {
            let b = given[k], e = given[k + axes.count], limit = maximumComputedElements
            guard (-limit...limit).contains(b), (-limit...limit).contains(e) else {
                throw EngineError.invalid(op: opType, "pads \(given) exceed \(limit)")
            }
            begin[axis] = b
            end[axis] = e
        }
        return (begin, end)
    }

    /// Which coordinate of an input shaped `shape` each output coordinate reads (−1: the constant).
    func maps(_ shape: [Int], _ inputs: [Tensor?]) throws -> AxisMaps {
        let (begin, end) = try padsByAxis(rank: shape.count, inputs)
        var output = shape
        for axis in shape.indices where begin[axis] != 0 || end[axis] != 0 {
            output[axis] = shape[axis] + begin[axis] + end[axis]
            if mode != .constant, shape[axis] == 0, begin[axis] > 0 || end[axis] > 0 {
                throw EngineError.invalid(op: opType, "\(mode.rawValue) padding needs a non-empty axis \(axis)")
            }
        }
        let mode = mode
        return try AxisMaps(inputShape: shape, outputShape: output, op: opType) { axis, o in
            let n = shape[axis], i = o - begin[axis]
            if i >= 0 && i < n { return i }
            switch mode {
            case .constant: return -1
            case .edge: return min(max(i, 0), n - 1)
            case .wrap: return ((i % n) + n) % n
            case .reflect:
                guard n > 1 else { return 0 }
                let period = 2 * (n - 1), k = ((i % period) + period) % period
                return k < n ? k : period - k
            }
        }
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let x = try inputs.required(0, of: opType)
        var fill = inputs.optional(2)
        if let value = fill {
            guard value.count == 1, value.elementType == x.elementType else {
                throw EngineError.invalid(op: opType, "constant_value must be one \(x.elementType) value, got \(value)")
            }
        } else if let fixedValue, x.elementType == .float32 {
            fill = Tensor(shape: [], floats: [fixedValue])
        }
        try maps(x.shape, inputs).apply(x, fill: fill, into: &outputs[0])
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        [try maps(try context.inputShape(0, of: opType), inputs).scatter(gradient, op: opType)]
    }
}
