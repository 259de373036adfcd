/// ONNX `ReduceMean`, `ReduceSum`, `ReduceMax`, `ReduceL2` and `ReduceSumSquare` over
/// float32 `X`: each output element combines the elements of `X` that differ from it
/// only along the reduced axes (sums in Double).
///
/// The axes (negative count from the end) are the `axes` attribute before opset 18
/// (`ReduceSum`: 13), then the optional int64 input 1. Without axes every axis is
/// reduced, unless `noopWithEmptyAxes`, where `Y = X`. `keepDims` keeps the reduced axes
/// with extent 1.
///
/// VJP, with `dY` broadcast back along the reduced axes and `n` elements per reduction:
/// sum `dX = dY`; mean `dX = dY / n`; sum of squares `dX = 2·X·dY`; L2 `dX = dY·X / Y`
/// (0 where `Y = 0`); max `dX = dY / m` at each of the `m` elements equal to the maximum
/// (as PyTorch's `amax`), 0 elsewhere. Replicas: supported when axis 0 is not reduced.
public struct Reduce: Operator {
    public enum Kind: String, Sendable, CaseIterable {
        case mean = "ReduceMean", sum = "ReduceSum", max = "ReduceMax", l2 = "ReduceL2", sumSquare = "ReduceSumSquare"
    }

    public var kind: Kind
    /// Fixed axes (the attribute); nil reads the optional input 1.
    public var axes: [Int]?
    public var keepDims: Bool
    public var noopWithEmptyAxes: Bool

    public init(_ kind: Kind, axes: [Int]? = nil, keepDims: Bool = true, noopWithEmptyAxes: Bool = false) {
        self.kind = kind
        self.axes = axes
        self.keepDims = keepDims
        self.noopWithEmptyAxes = noopWithEmptyAxes
    }

    public var opType: String { kind.rawValue }
    /// Sum and mean read the axes (`X`'s shape comes with the context); the sum of squares
    /// also `X`'s values; L2 and max `X` and `Y`.
    public var backwardUses: BackwardUses {
        switch kind {
        case .sum, .mean: .inputs(1)
        case .sumSquare: .inputs(0, 1)
        case .l2, .max: BackwardUses(inputs: [0, 1], outputs: true)
        }
    }

    /// For an input shaped `shape`: the reduced axes (nil: none, `Y = X`), `shape` with them
    /// set to 1, and `Y`'s shape.
    private func plan(_ shape: [Int], _ inputs: [Tensor?]) throws -> (reduced: Set<Int>?, kept: [Int], output: [Int]) {
        let requested = try axes ?? integerList(inputs, 1, "axes", op: opType) ?? []
        if requested.isEmpty && noopWithEmptyAxes { return (nil, shape, shape) }
        let reduced = requested.isEmpty ? Set(0..<shape.count) : Set(try requested.map { try normalizedAxis($0, rank: shape.count, op: opType) })
        guard requested.isEmpty || reduced.count == requested.count else {
            throw EngineError.invalid(op: opType, "axes \(requested) repeat an axis")
        }
        let kept = shape.enumerated().map { reduced.contains($0.offset) ? 1 : $0.element }
        let output = keepDims ? kept : shape.enumerated().filter { !reduced.contains($0.offset) }.map(\.element)
        return (reduced, kept, output)
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let x = try inputs.required(0, of: opType)
        try requireFloat(x, opType)
        let (reduced, kept, output) = try plan(x.shape, inputs)
        guard reduced != nil else {
            outputs[0].assign(x, shape: x.shape)
            return
        }
        let n = Double(x.count / max(1, kept.reduce(1, *)))
        var y: Tensor
        switch kind {
        case .sum, .mean: y = Self.sum(x, over: reduced!, kept: kept)
        case .sumSquare, .l2: y = Broadcast.reduce(x, to: kept) { v, _, _ in v * v }
        case .max:
            y = Tensor.filled(kept, with: -.infinity)
            y.floats.withUnsafeMutableBufferPointer { yp in
                x.floats.withUnsafeBufferPointer { xp in
                    BroadcastLoop(shape: x.shape, operands: [kept]).forEachRun { start, count, offsets, steps in
                        for i in 0..<count { yp[offsets[0] + i * steps[0]] = Swift.max(yp[offsets[0] + i * steps[0]], xp[start + i]) }
                    }
                }
            }
        }
        if kind == .mean { y.floats = y.floats.map { Float(Double($0) / n) } }
        if kind == .l2 { y.floats = y.floats.map { $0.squareRoot() } }
        outputs[0].assign(y, shape: output)
    }

    /// `X` summed to the shape `kept` over the axes `reduced`, in Double, in `X`'s order. Over
    /// trailing axes (a global pooling: the mean over `H, W` of `[N, C, H, W]`, as the dynamo
    /// exporter writes it) each output is the sum of one contiguous run, summed in one loop.
    private static func sum(_ x: Tensor, over reduced: Set<Int>, kept: [Int]) -> Tensor {
        let first = reduced.min() ?? x.rank
        guard reduced == Set(first..<x.rank) else { return Broadcast.reduce(x, to: kept) { v, _, _ in v } }
        let length = extent(x.shape, first..<x.rank)
        var y = Tensor.zeros(kept)
        x.floats.withUnsafeBufferPointer { xp in
            y.floats.withUnsafeMutableBufferPointer { yp in
                for row in yp.indices {
                    var sum = 0.0
                    for i in (row * length)..<((row + 1) * length) { sum += Double(xp[i]) }
                    yp[row] = Float(sum)
                }
            }
        }
        return y
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        let shape = try context.inputShape(0, of: opType)
        let (reduced, kept, output) = try plan(shape, inputs)
        let replicas = try replicaCount(gradient, output: output, op: opType)
        guard let reduced else { return [gradient] }
        if replicas > 1 && reduced.contains(0) { throw EngineError.replicasUnsupported(op: opType) }
        let target = try replicated(shape, replicas, op: opType)
        // dY with the reduced axes kept, replicas along axis 0.
        let dy = gradient.reshaped(replicas > 1 ? [replicas] + kept.dropFirst() : kept)
        let n = Float(shape.reduce(1, *) / max(1, kept.reduce(1, *)))
        var dx = Tensor.zeros(target)
        // What backwardUses keeps: X's values for the sum of squares, L2 and max, Y for L2 and
        // max; a broadcast zero stands in for what is not kept.
        let absent = Tensor(shape: [], floats: [0])
        let x = kind == .sum || kind == .mean ? absent : try inputs.required(0, of: opType)
        let y = kind == .l2 || kind == .max ? outputs[0].reshaped(kept) : absent
        let f: (Float, Float, Float) -> Float
        switch kind {
        case .sum: f = { g, _, _ in g }
        case .mean: f = { g, _, _ in g / n }
        case .sumSquare: f = { g, v, _ in 2 * v * g }
        case .l2: f = { g, v, r in r == 0 ? 0 : g * v / r }
        case .max: f = { g, v, r in v == r ? g : 0 }
        }
        var ties: Tensor?
        if kind == .max {
            // How many elements share each maximum: the gradient is split among them.
            var counts = Tensor.zeros(kept)
            counts.floats.withUnsafeMutableBufferPointer { cp in
                BroadcastLoop(shape: x.shape, operands: [kept]).forEachRun { start, count, offsets, steps in
                    for i in 0..<count where x.floats[start + i] == y.floats[offsets[0] + i * steps[0]] {
                        cp[offsets[0] + i * steps[0]] += 1
                    }
                }
            }
            ties = counts
        }
        let ties1 = ties ?? Tensor(shape: [], floats: [1])
        dx.floats.withUnsafeMutableBufferPointer { dxp in
            dy.floats.withUnsafeBufferPointer { gp in
                x.floats.withUnsafeBufferPointer { xp in
                    y.floats.withUnsafeBufferPointer { yp in
                        ties1.floats.withUnsafeBufferPointer { tp in
                            BroadcastLoop(shape: target, operands: [dy.shape, x.shape, y.shape, ties1.shape]).forEachRun { start, count, o, s in
                                for i in 0..<count {
                                    let v = f(gp[o[0] + i * s[0]], xp[o[1] + i * s[1]], yp[o[2] + i * s[2]])
                                    dxp[start + i] = v / tp[o[3] + i * s[3]]
                                }
                            }
                        }
                    }
                }
            }
        }
        return [dx]
    }
}
