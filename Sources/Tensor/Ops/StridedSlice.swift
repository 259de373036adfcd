/// ONNX `Slice` (`StridedSlice`, apart from Swift's `Slice`): the elements of `X` (any element type) at `start, start + step, ...`
/// short of `end` along each listed axis (every other axis whole).
///
/// `starts`, `ends`, `axes` (default: the first `starts.count` axes) and `steps` (default
/// 1) are attributes before opset 10 (`fixed`) and int64 inputs 1...4 from 10. Negative
/// starts and ends count from the extent's end; then, for a positive step, both are
/// clamped to `0...extent`, for a negative step `start` to `0...extent − 1` and `end` to
/// `−1...extent − 1`, so out-of-range values select up to the edge. A step of 0 is refused.
///
/// VJP: `dX` is zero except where the slice was read: `dX[read] = dY`. Replicas:
/// supported when axis 0 (the batch of 1) is kept whole.
public struct StridedSlice: Operator {
    /// Starts, ends, axes and steps, each one entry per sliced axis.
    public struct Parameters: Sendable, Equatable {
        public var starts: [Int]
        public var ends: [Int]
        public var axes: [Int]?
        public var steps: [Int]?

        public init(starts: [Int], ends: [Int], axes: [Int]? = nil, steps: [Int]? = nil) {
            self.starts = starts
            self.ends = ends
            self.axes = axes
            self.steps = steps
        }
    }

    /// Parameters fixed at build time (opset < 10); nil reads them from inputs 1...4.
    public var fixed: Parameters?

    public init(_ fixed: Parameters? = nil) {
        self.fixed = fixed
    }

    public var opType: String { "Slice" }
    /// Reads the parameter inputs (`X`'s shape comes with the context).
    public var backwardUses: BackwardUses { .inputs(1, 2, 3, 4) }

    private func parameters(_ inputs: [Tensor?]) throws -> Parameters {
        if let fixed { return fixed }
        guard let starts = try integerList(inputs, 1, "starts", op: opType),
              let ends = try integerList(inputs, 2, "ends", op: opType) else {
            throw EngineError.invalid(op: opType, "starts (input 1) and ends (input 2) are required")
        }
        return Parameters(starts: starts, ends: ends, axes: try integerList(inputs, 3, "axes", op: opType),
                          steps: try integerList(inputs, 4, "steps", op: opType))
    }

    /// Which input coordinate each output coordinate reads, axis by axis.
    func maps(_ shape: [Int], _ p: Parameters) throws -> AxisMaps {
        let axes = try (p.axes ?? Array(0..<p.starts.count)).map { try normalizedAxis($0, rank: shape.count, op: opType) }
        let steps = p.steps ?? Array(repeating: 1, count: p.starts.count)
        guard p.ends.count == p.starts.count, axes.count == p.starts.count, steps.count == p.starts.count else {
            throw EngineError.invalid(op: opType, "starts, ends, axes and steps must have one entry per sliced axis, got \(p.starts.count), \(p.ends.count), \(axes.count) and \(steps.count)")
        }
        guard Set(axes).count == axes.count else { throw EngineError.invalid(op: opType, "axes \(axes) repeat an axis") }
        var first = [Int](repeating: 0, count: shape.count), step = [Int](repeating: 1, count: shape.count)
        var counts = shape
        for (k, axis) in axes.enumerated() {
            let extent = shape[axis], s = steps[k]
            guard s != 0 else { throw EngineError.invalid(op: opType, "steps must not be 0") }
            var start = p.starts[k] < 0 ? p.starts[k] + extent : p.starts[k]
            var end = p.ends[k] < 0 ? p.ends[k] + extent : p.ends[k]
            if s > 0 {
                start = min(max(start, 0), extent)
                end = min(max(end, 0), extent)
                counts[axis] = end > start ? (end - start - 1) / s + 1 : 0
            } else {
                start = min(max(start, 0), extent - 1)
                end = min(max(end, -1), extent - 1)
                counts[axis] = start > end ? (start - end - 1) / -s + 1 : 0
            }
            first[axis] = start
            step[axis] = s
        }
        return try AxisMaps(inputShape: shape, outputShape: counts, op: opType) { axis, o in first[axis] + o * step[axis] }
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let x = try inputs.required(0, of: opType)
        try maps(x.shape, try parameters(inputs)).apply(x, into: &outputs[0])
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        [try maps(try context.inputShape(0, of: opType), try parameters(inputs)).scatter(gradient, op: opType)]
    }
}
