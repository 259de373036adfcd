/// General matrix product, ONNX `Gemm`, float32: `Y = α · op(A) · op(B) + β · C`.
///
/// `op(A)` is `A` or `Aᵀ` (`transA`), `M x K`; `op(B)` is `B` or `Bᵀ` (`transB`), `K x N`;
/// the optional `C` broadcasts to `[M, N]` (rank ≤ 2, each dimension 1 or matching).
/// `Y` is `[M, N]`. One BLAS call (a matrix-vector product when `M == 1`).
///
/// VJP: `d op(A) = α · dY · op(B)ᵀ`, `d op(B) = α · op(A)ᵀ · dY` (transposed back to `A`'s
/// and `B`'s layouts), `dC = β · dY` summed over `C`'s broadcast dimensions.
/// Replicas (rows of `Y` being the batch): `dA` is one product for all replicas when
/// `transA` is off; `dB`, `dA` with `transA`, and a `C` without a row dimension throw
/// `replicasUnsupported`.
public struct Gemm: Operator {
    public var alpha: Float
    public var beta: Float
    public var transA: Bool
    public var transB: Bool

    public init(alpha: Float = 1, beta: Float = 1, transA: Bool = false, transB: Bool = false) {
        self.alpha = alpha
        self.beta = beta
        self.transA = transA
        self.transB = transB
    }

    public var opType: String { "Gemm" }
    public var differentiableInputs: [Int] { [0, 1, 2] }
    /// `dA` reads `B` and `dB` reads `A`; of `C`, only the shape.
    public var backwardUses: BackwardUses { .inputs(0, 1) }

    /// `(M, K, N)` after checking the shapes of `A`, `B` and `C`.
    private func dimensions(_ a: [Int], _ b: [Int], _ c: [Int]?) throws -> (m: Int, k: Int, n: Int) {
        guard a.count == 2, b.count == 2 else {
            throw EngineError.invalid(op: opType, "A and B must be matrices, got shapes \(a) and \(b)")
        }
        let (m, k) = transA ? (a[1], a[0]) : (a[0], a[1])
        let (k2, n) = transB ? (b[1], b[0]) : (b[0], b[1])
        guard k == k2 else {
            throw EngineError.invalid(op: opType, "op(A) is \(m) x \(k) but op(B) is \(k2) x \(n) (A \(a), B \(b), transA \(transA), transB \(transB))")
        }
        if let c {
            let aligned = Array(repeating: 1, count: max(0, 2 - c.count)) + c
            guard c.count <= 2, aligned[0] == 1 || aligned[0] == m, aligned[1] == 1 || aligned[1] == n else {
                throw EngineError.invalid(op: opType, "C of shape \(c) does not broadcast to [\(m), \(n)]")
            }
        }
        return (m, k, n)
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let a = try inputs.required(0, of: opType), b = try inputs.required(1, of: opType)
        let c = inputs.optional(2)
        try requireFloat(a, opType)
        try requireFloat(b, opType)
        if let c { try requireFloat(c, opType) }
        let (m, k, n) = try dimensions(a.shape, b.shape, c?.shape)
        let bias = beta != 0 ? c : nil
        // With K == 0 the product is empty and adds nothing.
        outputs[0].reset(shape: [m, n], zeroed: k == 0 && bias == nil)
        if let bias {
            // Y = β · C broadcast, then accumulate the product onto it.
            let aligned = Array(repeating: 1, count: 2 - bias.rank) + bias.shape
            let rowStride = aligned[0] == 1 ? 0 : aligned[1], columnStride = aligned[1] == 1 ? 0 : 1
            let beta = beta
            bias.floats.withUnsafeBufferPointer { cp in
                outputs[0].floats.withUnsafeMutableBufferPointer { yp in
                    for i in 0..<m {
                        for j in 0..<n { yp[i * n + j] = beta * cp[i * rowStride + j * columnStride] }
                    }
                }
            }
        }
        a.floats.withUnsafeBufferPointer { ap in
            b.floats.withUnsafeBufferPointer { bp in
                outputs[0].floats.withUnsafeMutableBufferPointer { yp in
                    guard let ys = yp.baseAddress, let aa = ap.baseAddress, let ba = bp.baseAddress else { return }
                    BLAS.product(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                                 a: aa, lda: a.shape[1], b: ba, ldb: b.shape[1],
                                 beta: bias == nil ? 0 : 1, c: ys, ldc: n, workspace: workspace)
                }
            }
        }
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        let a = try inputs.required(0, of: opType), b = try inputs.required(1, of: opType)
        let c = context.inputShapes.optional(2)
        let (m, k, n) = try dimensions(a.shape, b.shape, c)
        let replicas = try replicaCount(gradient, output: [m, n], op: opType)
        let rows = gradient.shape[0]
        return try wrt.map { position in
            switch position {
            case 0:
                if replicas > 1 && transA { throw EngineError.replicasUnsupported(op: opType) }
                return matrixProduct(
                    [transA ? k : rows, transA ? rows : k], context,
                    // dA = α · dY · op(B)ᵀ, or with transA dA = α · op(B) · dYᵀ.
                    transA
                        ? .init(left: b, leftTransposed: transB, right: gradient, rightTransposed: true, inner: n)
                        : .init(left: gradient, leftTransposed: false, right: b, rightTransposed: !transB, inner: n))
            case 1:
                if replicas > 1 { throw EngineError.replicasUnsupported(op: opType) }
                return matrixProduct(
                    [transB ? n : k, transB ? k : n], context,
                    // dB = α · op(A)ᵀ · dY, or with transB dB = α · dYᵀ · op(A).
                    transB
                        ? .init(left: gradient, leftTransposed: true, right: a, rightTransposed: transA, inner: m)
                        : .init(left: a, leftTransposed: !transA, right: gradient, rightTransposed: false, inner: m))
            default:
                guard let c else { throw EngineError.notDifferentiable(op: opType, input: position) }
                let target = try replicated(c, replicas, op: opType, batchAligned: c.count == 2)
                let beta = beta
                return Broadcast.reduce(gradient, to: target) { dy, _, _ in beta * dy }
            }
        }
    }

    /// Two row-major matrices, each used as stored or transposed, with `inner` the length
    /// of the summed dimension.
    private struct Factors {
        let left: Tensor
        let leftTransposed: Bool
        let right: Tensor
        let rightTransposed: Bool
        let inner: Int
    }

    /// `α · L · R` shaped `shape`.
    private func matrixProduct(_ shape: [Int], _ context: BackwardContext, _ f: Factors) -> Tensor {
        var result = Tensor.zeros(shape)
        f.left.floats.withUnsafeBufferPointer { lp in
            f.right.floats.withUnsafeBufferPointer { rp in
                result.floats.withUnsafeMutableBufferPointer { cp in
                    guard let cs = cp.baseAddress, let ls = lp.baseAddress, let rs = rp.baseAddress else { return }
                    BLAS.product(transA: f.leftTransposed, transB: f.rightTransposed, m: shape[0], n: shape[1], k: f.inner,
                                 alpha: alpha, a: ls, lda: f.left.shape[1], b: rs, ldb: f.right.shape[1],
                                 c: cs, ldc: shape[1], workspace: context.workspace)
                }
            }
        }
        return result
    }
}
