import CBLAS
import CKernels

extension BLAS {
    /// `C = alpha · op(A) · op(B) + beta · C` as `gemm`, except that a one-row product
    /// (`m == 1`, a fully connected layer at batch 1) runs as a matrix-vector product:
    /// memory-bound on the weights, it streams `B` once, its output columns split among
    /// the workspace's threads. When `B` is `k x n` (`transB` off: the input gradient of a
    /// fully connected layer) and at least a quarter of the row is zero (as a gradient past
    /// ReLU is, or a one-hot seed), only the rows of `B` the row does not zero are read.
    static func product(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int,
        workspace: Workspace
    ) {
        guard m == 1, n > 0, k > 0 else {
            gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                 beta: beta, c: c, ldc: ldc, workspace: workspace)
            return
        }
        // The row of op(A): A is 1 x k, or k x 1 with rows lda apart.
        let incX = transA ? lda : 1
        let live = transB ? nil : liveRows(a, stride: incX, count: k)
        _ = singleThreaded
        func gemv(_ columns: Range<Int>) {
            if transB {
                // B is n x k: c = alpha · B[columns] · a + beta · c.
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(columns.count), Int32(k), alpha,
                            b + columns.lowerBound * ldb, Int32(ldb), a, Int32(incX), beta, c + columns.lowerBound, 1)
            } else if let live {
                sparse_vector_matrix(a, incX, live, Int32(live.count), b + columns.lowerBound, ldb, Int32(columns.count),
                                     alpha, beta, c + columns.lowerBound)
            } else {
                // B is k x n: c = alpha · B[:, columns]ᵀ · a + beta · c.
                cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(columns.count), alpha,
                            b + columns.lowerBound, Int32(ldb), a, Int32(incX), beta, c + columns.lowerBound, 1)
            }
        }
        if workspace.threads == 1 || n * k < 1 << 20 {
            gemv(0..<n)
        } else {
            workspace.parallelChunks(n, grain: 64) { gemv($0) }
        }
    }

    /// The indices of the non-zero values among `count` values `stride` apart, or nil when
    /// fewer than a quarter are zero (the dense product is then as good).
    private static func liveRows(_ x: UnsafePointer<Float>, stride: Int, count: Int) -> [Int32]? {
        let live = (0..<count).filter { x[$0 * stride] != 0 }.map(Int32.init)
        return 4 * (count - live.count) >= count ? live : nil
    }
}
