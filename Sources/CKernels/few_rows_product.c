/* Products of a few rows (a batch of images) with a large matrix (a fully connected layer's
 * weights), streaming the matrix from memory once for all the rows. */
#include "ckernels.h"
#include "vectorized.h"
#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>
#endif

/* Columns of `a` summed per pass over the rows of `b`: 4 rows of `a` of this many floats
 * (32 KiB) stay in the level-1 and level-2 caches while every row of `b` passes by. */
#define DEPTH_BLOCK 2048

/* c[r][j] = beta c[r][j] for the columns [column_begin, column_end) of the m rows; with beta == 0,
 * c is only written (a NaN there does not survive). */
static void scale_columns(int m, float beta, float *c, size_t ldc, int column_begin, int column_end) {
    for (int r = 0; r < m; r++) {
        for (int j = column_begin; j < column_end; j++) c[r * ldc + j] = beta == 0 ? 0 : beta * c[r * ldc + j];
    }
}

/* few_rows_times_transposed where AVX2 and FMA are missing, vectorized by the compiler for the
 * baseline instruction set: two columns and four rows at once. */
static void few_rows_times_transposed_portable(int m, int k, const float *a, size_t lda, const float *b, size_t ldb,
                                               float alpha, float beta, float *c, size_t ldc, int column_begin,
                                               int column_end) {
    scale_columns(m, beta, c, ldc, column_begin, column_end);
    for (int d = 0; d < k; d += DEPTH_BLOCK) {
        const int depth = k - d < DEPTH_BLOCK ? k - d : DEPTH_BLOCK;
        int j = column_begin;
        /* Two columns and four rows at once: each load of a row of `a` serves two sums, each
         * load of a column four. */
        for (; j + 2 <= column_end; j += 2) {
            const float *restrict u = b + (size_t)j * ldb + d, *restrict v = u + ldb;
            int r = 0;
            for (; r + 4 <= m; r += 4) {
                const float *restrict a0 = a + r * lda + d, *restrict a1 = a0 + lda;
                const float *restrict a2 = a1 + lda, *restrict a3 = a2 + lda;
                float s0 = 0, s1 = 0, s2 = 0, s3 = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0;
                {
#pragma clang fp reassociate(on)
                    for (int t = 0; t < depth; t++) {
                        s0 += a0[t] * u[t];
                        s1 += a1[t] * u[t];
                        s2 += a2[t] * u[t];
                        s3 += a3[t] * u[t];
                        t0 += a0[t] * v[t];
                        t1 += a1[t] * v[t];
                        t2 += a2[t] * v[t];
                        t3 += a3[t] * v[t];
                    }
                }
                c[r * ldc + j] += alpha * s0;
                c[(r + 1) * ldc + j] += alpha * s1;
                c[(r + 2) * ldc + j] += alpha * s2;
                c[(r + 3) * ldc + j] += alpha * s3;
                c[r * ldc + j + 1] += alpha * t0;
                c[(r + 1) * ldc + j + 1] += alpha * t1;
                c[(r + 2) * ldc + j + 1] += alpha * t2;
                c[(r + 3) * ldc + j + 1] += alpha * t3;
            }
            for (; r < m; r++) {
                const float *restrict row = a + r * lda + d;
                float s = 0, t0 = 0;
                {
#pragma clang fp reassociate(on)
                    for (int t = 0; t < depth; t++) {
                        s += row[t] * u[t];
                        t0 += row[t] * v[t];
                    }
                }
                c[r * ldc + j] += alpha * s;
                c[r * ldc + j + 1] += alpha * t0;
            }
        }
        for (; j < column_end; j++) {
            const float *restrict column = b + (size_t)j * ldb + d;
            for (int r = 0; r < m; r++) {
                const float *restrict row = a + r * lda + d;
                float s = 0;
                {
#pragma clang fp reassociate(on)
                    for (int t = 0; t < depth; t++) s += row[t] * column[t];
                }
                c[r * ldc + j] += alpha * s;
            }
        }
    }
}

#if defined(__x86_64__) && defined(__clang__)
/* Depth per pass of the AVX2 kernel: 4 rows of `a` of this many floats (128 KiB; a batch of 8
 * rows fits a 512 KiB level-2 cache) per pass over the rows of `b`. Longer runs
 * of each row of `b` than DEPTH_BLOCK's stream faster from memory: on VGG16's first classifier
 * layer (25088 x 4096, 8 rows), 38 ms against 63 with 2048 floats, and 46 for the portable
 * kernel at this depth (a Zen 3 core streaming 16 to 19 GB/s). */
#define AVX2_DEPTH_BLOCK 8192

__attribute__((target("avx2,fma"))) static inline float sum_lanes(__m256 v) {
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    x = _mm_add_ss(x, _mm_movehdup_ps(x));
    return _mm_cvtss_f32(x);
}

/* few_rows_times_transposed with AVX2 and FMA: three columns (rows of `b`) at once against
 * four rows of `a` (12 accumulators, 7 loads per 12 fused multiply-adds), then the rows left
 * over against the same three columns while they are in the level-1 cache; the last one or
 * two columns one at a time. */
__attribute__((target("avx2,fma")))
static void few_rows_times_transposed_avx2(int m, int k, const float *a, size_t lda, const float *b, size_t ldb,
                                           float alpha, float beta, float *c, size_t ldc, int column_begin,
                                           int column_end) {
    scale_columns(m, beta, c, ldc, column_begin, column_end);
    for (int d = 0; d < k; d += AVX2_DEPTH_BLOCK) {
        const int depth = k - d < AVX2_DEPTH_BLOCK ? k - d : AVX2_DEPTH_BLOCK, vectors = depth & ~7;
        int j = column_begin;
        for (; j + 3 <= column_end; j += 3) {
            const float *u0 = b + (size_t)j * ldb + d, *u1 = u0 + ldb, *u2 = u1 + ldb;
            int r = 0;
            for (; r + 4 <= m; r += 4) {
                const float *x = a + r * lda + d;
                __m256 s[12];
                for (int i = 0; i < 12; i++) s[i] = _mm256_setzero_ps();
                for (int t = 0; t < vectors; t += 8) {
                    const __m256 v0 = _mm256_loadu_ps(u0 + t), v1 = _mm256_loadu_ps(u1 + t), v2 = _mm256_loadu_ps(u2 + t);
                    for (int q = 0; q < 4; q++) {
                        const __m256 y = _mm256_loadu_ps(x + q * lda + t);
                        s[3 * q] = _mm256_fmadd_ps(y, v0, s[3 * q]);
                        s[3 * q + 1] = _mm256_fmadd_ps(y, v1, s[3 * q + 1]);
                        s[3 * q + 2] = _mm256_fmadd_ps(y, v2, s[3 * q + 2]);
                    }
                }
                for (int q = 0; q < 4; q++) {
                    float t0 = sum_lanes(s[3 * q]), t1 = sum_lanes(s[3 * q + 1]), t2 = sum_lanes(s[3 * q + 2]);
                    for (int t = vectors; t < depth; t++) {
                        t0 += x[q * lda + t] * u0[t];
                        t1 += x[q * lda + t] * u1[t];
                        t2 += x[q * lda + t] * u2[t];
                    }
                    c[(r + q) * ldc + j] += alpha * t0;
                    c[(r + q) * ldc + j + 1] += alpha * t1;
                    c[(r + q) * ldc + j + 2] += alpha * t2;
                }
            }
            for (; r < m; r++) {
                const float *x = a + r * lda + d;
                __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps();
                for (int t = 0; t < vectors; t += 8) {
                    const __m256 y = _mm256_loadu_ps(x + t);
                    s0 = _mm256_fmadd_ps(y, _mm256_loadu_ps(u0 + t), s0);
                    s1 = _mm256_fmadd_ps(y, _mm256_loadu_ps(u1 + t), s1);
                    s2 = _mm256_fmadd_ps(y, _mm256_loadu_ps(u2 + t), s2);
                }
                float t0 = sum_lanes(s0), t1 = sum_lanes(s1), t2 = sum_lanes(s2);
                for (int t = vectors; t < depth; t++) {
                    t0 += x[t] * u0[t];
                    t1 += x[t] * u1[t];
                    t2 += x[t] * u2[t];
                }
                c[r * ldc + j] += alpha * t0;
                c[r * ldc + j + 1] += alpha * t1;
                c[r * ldc + j + 2] += alpha * t2;
            }
        }
        for (; j < column_end; j++) {
            const float *u = b + (size_t)j * ldb + d;
            for (int r = 0; r < m; r++) {
                const float *x = a + r * lda + d;
                __m256 s0 = _mm256_setzero_ps();
                for (int t = 0; t < vectors; t += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + t), _mm256_loadu_ps(u + t), s0);
                float t0 = sum_lanes(s0);
                for (int t = vectors; t < depth; t++) t0 += x[t] * u[t];
                c[r * ldc + j] += alpha * t0;
            }
        }
    }
}
#endif

void few_rows_times_transposed(int m, int k, const float *a, size_t lda, const float *b, size_t ldb, float alpha,
                               float beta, float *c, size_t ldc, int column_begin, int column_end) {
#if defined(__x86_64__) && defined(__clang__)
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        few_rows_times_transposed_avx2(m, k, a, lda, b, ldb, alpha, beta, c, ldc, column_begin, column_end);
        return;
    }
#endif
    few_rows_times_transposed_portable(m, k, a, lda, b, ldb, alpha, beta, c, ldc, column_begin, column_end);
}

/* Columns of `c` updated per pass over the live rows of `b`: up to 16 rows of `c` of this
 * many floats (64 KiB) stay in the level-2 cache. */
#define COLUMN_BLOCK 1024

VECTORIZED(few_rows_times_matrix,
           (int m, const float *a, size_t lda, const int *rows, int count, const float *b, size_t ldb, float alpha,
            float beta, float *c, size_t ldc, int column_begin, int column_end),
           (m, a, lda, rows, count, b, ldb, alpha, beta, c, ldc, column_begin, column_end)) {
    scale_columns(m, beta, c, ldc, column_begin, column_end);
    for (int begin = column_begin; begin < column_end; begin += COLUMN_BLOCK) {
        const int n = column_end - begin < COLUMN_BLOCK ? column_end - begin : COLUMN_BLOCK;
        int i = 0;
        /* Four rows of b per pass over the block of c, so c is loaded and stored a quarter as often. */
        for (; i + 4 <= count; i += 4) {
            const float *restrict b0 = b + (size_t)rows[i] * ldb + begin, *restrict b1 = b + (size_t)rows[i + 1] * ldb + begin;
            const float *restrict b2 = b + (size_t)rows[i + 2] * ldb + begin, *restrict b3 = b + (size_t)rows[i + 3] * ldb + begin;
            for (int r = 0; r < m; r++) {
                const float *x = a + r * lda;
                const float s0 = alpha * x[rows[i]], s1 = alpha * x[rows[i + 1]];
                const float s2 = alpha * x[rows[i + 2]], s3 = alpha * x[rows[i + 3]];
                float *restrict out = c + r * ldc + begin;
                for (int j = 0; j < n; j++) out[j] += s0 * b0[j] + s1 * b1[j] + s2 * b2[j] + s3 * b3[j];
            }
        }
        for (; i < count; i++) {
            const float *restrict row = b + (size_t)rows[i] * ldb + begin;
            for (int r = 0; r < m; r++) {
                const float s = alpha * a[r * lda + rows[i]];
                float *restrict out = c + r * ldc + begin;
                for (int j = 0; j < n; j++) out[j] += s * row[j];
            }
        }
    }
}
