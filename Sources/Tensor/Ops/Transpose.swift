/// ONNX `Transpose`, any element type: output dimension `d` is input dimension `perm[d]`,
/// `Y[i_0, ..., i_(r−1)] = X[j]` with `j[perm[d]] = i_d`; the default `perm` reverses the
/// dimensions.
///
/// VJP: `dX` is `dY` transposed by the inverse permutation. Replicas: supported when
/// `perm[0] == 0` (dimension 0 stays in place).
public struct Transpose: Operator {
    /// nil: reverse the dimensions.
    public var perm: [Int]?

    public init(perm: [Int]? = nil) {
        self.perm = perm
    }

    public var opType: String { "Transpose" }
    /// Only the input's shape is read (when dimension 0 moves, to tell replicas apart).
    public var backwardUses: BackwardUses { .nothing }

    private func permutation(rank: Int) throws -> [Int] {
        guard let perm else { return Array((0..<rank).reversed()) }
        guard perm.count == rank, perm.sorted() == Array(0..<rank) else {
            throw EngineError.invalid(op: opType, "perm \(perm) is not a permutation of 0..<\(rank)")
        }
        return perm
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let x = try inputs.required(0, of: opType)
        let perm = try permutation(rank: x.rank)
        let shape = perm.map { x.shape[$0] }
        if x.elementType == .float32 {
            outputs[0].reset(shape: shape)
            x.floats.withUnsafeBufferPointer { xp in
                outputs[0].floats.withUnsafeMutableBufferPointer { permute(xp, x.shape, perm, into: $0) }
            }
        } else {
            var values = [Int64](repeating: 0, count: x.count)
            x.integers.withUnsafeBufferPointer { xp in
                values.withUnsafeMutableBufferPointer { permute(xp, x.shape, perm, into: $0) }
            }
            outputs[0].reset(shape: shape, integers: values, elementType: x.elementType)
        }
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        try requireFloat(gradient, opType)
        let perm = try permutation(rank: gradient.rank)
        var inverse = perm
        for (d, p) in perm.enumerated() { inverse[p] = d }
        // Replicas stack along dimension 0, which must stay in place.
        if perm.first != 0 {
            let shape = try context.inputShape(0, of: opType)
            if try replicaCount(gradient, output: perm.map { shape[$0] }, op: opType) > 1 {
                throw EngineError.replicasUnsupported(op: opType)
            }
        }
        var dx = Tensor.zeros(inverse.map { gradient.shape[$0] })
        gradient.floats.withUnsafeBufferPointer { gp in
            dx.floats.withUnsafeMutableBufferPointer { permute(gp, gradient.shape, inverse, into: $0) }
        }
        return [dx]
    }
}

/// Writes `source` (of `shape`) transposed by `perm` into `destination`, in output order.
func permute<T>(_ source: UnsafeBufferPointer<T>, _ shape: [Int], _ perm: [Int], into destination: UnsafeMutableBufferPointer<T>) {
    guard let from = source.baseAddress, let to = destination.baseAddress else { return }
    var strides = [Int](repeating: 1, count: shape.count)
    for d in stride(from: shape.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * shape[d + 1] }
    // The output walks the input with these extents and strides; the innermost is unrolled.
    let extents = perm.map { shape[$0] }, steps = perm.map { strides[$0] }
    guard let inner = extents.last, let innerStep = steps.last else {
        to[0] = from[0]
        return
    }
    let outerRank = extents.count - 1
    var index = [Int](repeating: 0, count: outerRank)
    var offset = 0, written = 0
    while written < destination.count {
        for i in 0..<inner { to[written + i] = from[offset + i * innerStep] }
        written += inner
        var d = outerRank - 1
        while d >= 0 {
            index[d] += 1
            offset += steps[d]
            if index[d] < extents[d] { break }
            offset -= steps[d] * extents[d]
            index[d] = 0
            d -= 1
        }
    }
}
