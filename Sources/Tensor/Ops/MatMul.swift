/// Matrix product with numpy semantics, ONNX `MatMul`, float32.
///
/// `A [..., M, K]` times `B [..., K, N]` gives `Y [..., M, N]`, the leading (batch)
/// dimensions broadcasting; a 1-D `A` is a row `[1, K]` and a 1-D `B` a column `[K, 1]`,
/// the added dimension removed from `Y`. `Y_b = A_b · B_b` for each batch index `b`; when
/// `B` has no batch dimensions, all of `A`'s rows go through one BLAS call.
///
/// VJP: `dA_b = dY_b · B_bᵀ`, `dB_b = A_bᵀ · dY_b`, summed over the batch dimensions an
/// input was broadcast along. Replicas: along `Y`'s dimension 0, which is the first batch
/// dimension or, for matrices, the rows of `A` (then `dA` is one product for all
/// replicas); an input without that dimension (`B` of a matrix product, a broadcast or
/// 1-D input) throws `replicasUnsupported`.
public struct MatMul: Operator {
    public init() {}

    public var opType: String { "MatMul" }
    public var differentiableInputs: [Int] { [0, 1] }
    /// Each factor's gradient reads the other factor.
    public var backwardUses: BackwardUses { .inputs(0, 1) }

    /// `A` as `[aBatch, m, k]`, `B` as `[bBatch, k, n]`, `Y` as `[batch, m, n]`.
    private struct Plan {
        let aBatch, bBatch, batch: [Int]
        let m, k, n: Int
        let output: [Int]
    }

    private func plan(_ a: Tensor, _ b: Tensor) throws -> Plan {
        try requireFloat(a, opType)
        try requireFloat(b, opType)
        guard a.rank >= 1, b.rank >= 1 else {
            throw EngineError.invalid(op: opType, "inputs must have rank 1 or more, got shapes \(a.shape) and \(b.shape)")
        }
        let a2 = a.rank == 1 ? [1] + a.shape : a.shape
        let b2 = b.rank == 1 ? b.shape + [1] : b.shape
        let m = a2[a2.count - 2], k = a2[a2.count - 1], n = b2[b2.count - 1]
        guard b2[b2.count - 2] == k else {
            throw EngineError.invalid(op: opType, "shapes \(a.shape) and \(b.shape) do not chain: \(k) columns against \(b2[b2.count - 2]) rows")
        }
        let aBatch = Array(a2.dropLast(2)), bBatch = Array(b2.dropLast(2))
        let batch = try Broadcast.shape(aBatch, bBatch, op: opType)
        let output = batch + (a.rank > 1 ? [m] : []) + (b.rank > 1 ? [n] : [])
        return Plan(aBatch: aBatch, bBatch: bBatch, batch: batch, m: m, k: k, n: n, output: output)
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let a = try inputs.required(0, of: opType), b = try inputs.required(1, of: opType)
        let p = try plan(a, b)
        outputs[0].reset(shape: p.output, zeroed: p.k == 0)
        a.floats.withUnsafeBufferPointer { ap in
            b.floats.withUnsafeBufferPointer { bp in
                outputs[0].floats.withUnsafeMutableBufferPointer { yp in
                    guard let aa = ap.baseAddress, let ba = bp.baseAddress, let ya = yp.baseAddress else { return }
                    if p.bBatch.isEmpty {
                        BLAS.product(m: ap.count / p.k, n: p.n, k: p.k, a: aa, lda: p.k, b: ba, ldb: p.n,
                                     c: ya, ldc: p.n, workspace: workspace)
                        return
                    }
                    BroadcastLoop(shape: p.batch, operands: [p.aBatch, p.bBatch]).forEachRun { start, count, offsets, steps in
                        for i in 0..<count {
                            BLAS.product(m: p.m, n: p.n, k: p.k, a: aa + (offsets[0] + i * steps[0]) * p.m * p.k, lda: p.k,
                                         b: ba + (offsets[1] + i * steps[1]) * p.k * p.n, ldb: p.n,
                                         c: ya + (start + i) * p.m * p.n, ldc: p.n, workspace: workspace)
                        }
                    }
                }
            }
        }
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        let a = try inputs.required(0, of: opType), b = try inputs.required(1, of: opType)
        let p = try plan(a, b)
        let replicas = try replicaCount(gradient, output: p.output, op: opType)
        let workspace = context.workspace
        /// A batch shape in gradient space: replicas replace dimension 0.
        func replicatedBatch(_ batch: [Int]) -> [Int] {
            replicas > 1 && !batch.isEmpty ? [replicas] + batch.dropFirst() : batch
        }
        let batch = replicatedBatch(p.batch)
        return try wrt.map { position in
            if position == 0 {
                let aligned = a.rank >= 2 && p.aBatch.count == p.batch.count
                var da = Tensor.zeros(try replicated(a.shape, replicas, op: opType, batchAligned: aligned))
                Self.withElements(&da, gradient, b) { dA, dY, b in
                    // dA = dY · Bᵀ, in one product when B has no batch.
                    if p.bBatch.isEmpty {
                        BLAS.product(transB: true, m: gradient.count / p.n, n: p.k, k: p.n, a: dY, lda: p.n,
                                     b: b, ldb: p.n, c: dA, ldc: p.k, workspace: workspace)
                        return
                    }
                    BroadcastLoop(shape: batch, operands: [replicatedBatch(p.aBatch), p.bBatch]).forEachRun { start, count, offsets, steps in
                        for i in 0..<count {
                            BLAS.product(transB: true, m: p.m, n: p.k, k: p.n, a: dY + (start + i) * p.m * p.n, lda: p.n,
                                         b: b + (offsets[1] + i * steps[1]) * p.k * p.n, ldb: p.n, beta: 1,
                                         c: dA + (offsets[0] + i * steps[0]) * p.m * p.k, ldc: p.k, workspace: workspace)
                        }
                    }
                }
                return da
            }
            let aligned = !p.batch.isEmpty && p.bBatch.count == p.batch.count
            var db = Tensor.zeros(try replicated(b.shape, replicas, op: opType, batchAligned: aligned))
            Self.withElements(&db, gradient, a) { dB, dY, a in
                // dB = Aᵀ · dY, in one product over all of A's rows when B has no batch.
                if p.bBatch.isEmpty {
                    BLAS.product(transA: true, m: p.k, n: p.n, k: gradient.count / p.n, a: a, lda: p.k,
                                 b: dY, ldb: p.n, c: dB, ldc: p.n, workspace: workspace)
                    return
                }
                BroadcastLoop(shape: batch, operands: [p.aBatch, replicatedBatch(p.bBatch)]).forEachRun { start, count, offsets, steps in
                    for i in 0..<count {
                        BLAS.product(transA: true, m: p.k, n: p.n, k: p.m, a: a + (offsets[0] + i * steps[0]) * p.m * p.k, lda: p.k,
                                     b: dY + (start + i) * p.m * p.n, ldb: p.n, beta: 1,
                                     c: dB + (offsets[1] + i * steps[1]) * p.k * p.n, ldc: p.n, workspace: workspace)
                    }
                }
            }
            return db
        }
    }

    /// Runs `body` on the elements of a zeroed `result`, the gradient and a forward input,
    /// unless one of them is empty (the result is then all zeros, or empty).
    private static func withElements(
        _ result: inout Tensor, _ gradient: Tensor, _ input: Tensor,
        _ body: (UnsafeMutablePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>) -> Void
    ) {
        result.floats.withUnsafeMutableBufferPointer { rp in
            gradient.floats.withUnsafeBufferPointer { gp in
                input.floats.withUnsafeBufferPointer { ip in
                    guard let r = rp.baseAddress, let g = gp.baseAddress, let i = ip.baseAddress else { return }
                    body(r, g, i)
                }
            }
        }
    }
}
