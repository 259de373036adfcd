/* A row vector times a matrix, reading only the matrix rows the vector does not zero. */
#include "ckernels.h"
#include "vectorized.h"

VECTORIZED(sparse_vector_matrix,
           (const float *a, size_t a_stride, const int *rows, int count, const float *b, size_t ldb, int n,
            float alpha, float beta, float *c),
           (a, a_stride, rows, count, b, ldb, n, alpha, beta, c)) {
    for (int j = 0; j < n; j++) c[j] = beta == 0 ? 0 : beta * c[j];
    int r = 0;
    /* Four rows per pass over c, so c is loaded and stored a quarter as often. */
    for (; r + 4 <= count; r += 4) {
        const float *restrict b0 = b + (size_t)rows[r] * ldb, *restrict b1 = b + (size_t)rows[r + 1] * ldb;
        const float *restrict b2 = b + (size_t)rows[r + 2] * ldb, *restrict b3 = b + (size_t)rows[r + 3] * ldb;
        const float s0 = alpha * a[(size_t)rows[r] * a_stride], s1 = alpha * a[(size_t)rows[r + 1] * a_stride];
        const float s2 = alpha * a[(size_t)rows[r + 2] * a_stride], s3 = alpha * a[(size_t)rows[r + 3] * a_stride];
        float *restrict out = c;
        for (int j = 0; j < n; j++) out[j] += s0 * b0[j] + s1 * b1[j] + s2 * b2[j] + s3 * b3[j];
    }
    for (; r < count; r++) {
        const float *restrict row = b + (size_t)rows[r] * ldb;
        const float s = alpha * a[(size_t)rows[r] * a_stride];
        float *restrict out = c;
        for (int j = 0; j < n; j++) out[j] += s * row[j];
    }
}
