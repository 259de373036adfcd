import CBLAS

/// Matrix products on OpenBLAS, kept single-threaded: parallelism is ours to split, so
/// that workers x threads never exceeds the cores.
public enum BLAS {
    /// OpenBLAS's own threads, turned off once, before the first product: Swift runs a static
    /// initializer exactly once, whichever thread reaches it first. The workspace splits the
    /// work among threads itself (`Workspace.threads`), so that workers x threads stays within
    /// the cores; OpenBLAS threading on top would oversubscribe them. Every call into OpenBLAS
    /// touches this first; nothing else sets OpenBLAS's threads.
    static let singleThreaded: Void = openblas_set_num_threads(1)

    /// `C = alpha * op(A) * op(B) + beta * C`, row-major; `op(A)` is `m x k`, `op(B)` is
    /// `k x n`. With `threads > 1` the rows (or columns, when `m` is small) of `C` are
    /// split among threads.
    public static func gemm(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int,
        workspace: Workspace? = nil
    ) {
        guard m > 0, n > 0 else { return }
        let threads = workspace?.threads ?? 1
        // Below about a million multiply-adds, threading costs more than it gains.
        if threads == 1 || m * n * k < 1 << 20 {
            sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            return
        }
        if m >= n || m >= 64 * threads {
            workspace!.parallelChunks(m, grain: 8) { rows in
                let aStart = transA ? a + rows.lowerBound : a + rows.lowerBound * lda
                sgemm(transA, transB, rows.count, n, k, alpha, aStart, lda, b, ldb, beta,
                      c + rows.lowerBound * ldc, ldc)
            }
        } else {
            workspace!.parallelChunks(n, grain: 8) { cols in
                let bStart = transB ? b + cols.lowerBound * ldb : b + cols.lowerBound
                sgemm(transA, transB, m, cols.count, k, alpha, a, lda, bStart, ldb, beta,
                      c + cols.lowerBound, ldc)
            }
        }
    }

    private static func sgemm(
        _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
        _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
        _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
        if k == 0 {
            // BLAS leaves C untouched when k == 0 only if beta == 1; scale it ourselves.
            for i in 0..<m {
                for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] }
            }
            return
        }
        _ = singleThreaded
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
