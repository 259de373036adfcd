import CBLAS
import CKernels

extension BLAS {
    /// Most rows of `op(A)` that `product` multiplies with its own few-rows kernels rather
    /// than with `gemm`.
    static let fewRowsLimit = 16

    /// `C = alpha · op(A) · op(B) + beta · C` as `gemm`, except for products of few rows (a
    /// fully connected layer at a batch of `m` images), memory-bound on the weights `B`:
    /// - one row (`m == 1`) runs as a matrix-vector product, streaming `B` once, its output
    ///   columns split among the workspace's threads. When `B` is `k x n` (`transB` off: the
    ///   input gradient of a fully connected layer) and at least a quarter of the row is zero
    ///   (as a gradient past ReLU is, or a one-hot seed), only the rows of `B` the row does
    ///   not zero are read;
    /// - 2 to `fewRowsLimit` rows of `A` (`transA` off) with `B` `n x k` (`transB`: a fully
    ///   connected layer's forward pass) run in `few_rows_times_transposed`, which streams `B`
    ///   once for all the rows (BLAS's packing of `B` costs about as much again at such sizes:
    ///   AlexNet's first classifier layer, 8 rows, 24 ms against BLAS's 38 on an earlier
    ///   machine; with AVX2 and FMA, 13 ms against the portable kernel's 21 on a Zen 3 core);
    /// - with `B` `k x n` (the input gradient), when at least a quarter of `B`'s rows are zeroed
    ///   by every row of `A` (a one-hot seed per image), `few_rows_times_matrix` reads only the
    ///   others; a denser product is BLAS's, which is faster there from 4 rows on.
    static func product(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int,
        workspace: Workspace
    ) {
        if m > 1, m <= fewRowsLimit, !transA, n > 0, k > 0 {
            // The rows of B (k x n) that some row of A does not zero, when a quarter or more are.
            let live = transB ? nil : liveRows(a, rows: m, lda: lda, count: k)
            if transB || live != nil {
                fewRows(live: live, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                        beta: beta, c: c, ldc: ldc, workspace: workspace)
                return
            }
        }
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

    /// `product` for `m` in `2...fewRowsLimit` rows of `A` (`m x k`, rows `lda` apart) times
    /// `B` `n x k` (`live` nil) or the `live` rows of `B` `k x n`.
    private static func fewRows(
        live: [Int32]?, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
        workspace: Workspace
    ) {
        func columns(_ range: Range<Int>) {
            if let live {
                few_rows_times_matrix(Int32(m), a, lda, live, Int32(live.count), b, ldb, alpha, beta, c, ldc,
                                      Int32(range.lowerBound), Int32(range.upperBound))
            } else {
                few_rows_times_transposed(Int32(m), Int32(k), a, lda, b, ldb, alpha, beta, c, ldc,
                                          Int32(range.lowerBound), Int32(range.upperBound))
            }
        }
        if workspace.threads == 1 || m * n * k < 1 << 20 {
            columns(0..<n)
        } else {
            workspace.parallelChunks(n, grain: 64) { columns($0) }
        }
    }

    /// The columns `i < count` of the `rows` rows of `A` (element `(r, i)` at `a[r · lda + i · stride]`)
    /// where some row is not zero, or nil when fewer than a quarter are zero in every row (the
    /// dense product is then as good).
    private static func liveRows(_ a: UnsafePointer<Float>, rows: Int = 1, lda: Int = 0, stride: Int = 1, count: Int) -> [Int32]? {
        let live = (0..<count).filter { i in (0..<rows).contains { a[$0 * lda + i * stride] != 0 } }.map(Int32.init)
        return 4 * (count - live.count) >= count ? live : nil
    }
}
