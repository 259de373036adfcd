#ifndef CKERNELS_H
#define CKERNELS_H
/* Inner loops of the engine that must vectorize: written in C so that the compiler can
 * build an AVX2/FMA version beside the baseline one and pick it at each call (vectorized.h). */
#include <stddef.h>
#include <stdint.h>

/* An activation fused into the operator before it (Conv, BatchNormalization, Add...): Relu, Clip
 * to [lo, hi], HardSwish, SiLU (Sigmoid and Mul) or GELU (erf's); see activation.h. Kernels take
 * NULL for none. */
typedef enum { FUSED_RELU, FUSED_CLIP, FUSED_HARD_SWISH, FUSED_SILU, FUSED_GELU } fused_activation_kind;
typedef struct {
    fused_activation_kind kind;
    float lo, hi;
} fused_activation;

/* y[o][i] = f(y[o][i] + bias[o % channels]) for the planes o in [plane_begin, plane_end) of
 * `plane` floats each, f the activation (none when NULL; no bias when bias is NULL). */
void bias_activation(float *y, int channels, size_t plane, int plane_begin, int plane_end, const float *bias,
                     const fused_activation *activation);

/* y[i] = f(y[i]) for i < count, f the activation (activation.h). */
void activation_apply(float *y, size_t count, const fused_activation *activation);

/* y[i] = erf(x[i]) for i < count, within 5e-7 (activation.h); x may be y. */
void erf_values(const float *x, float *y, size_t count);

/* y[i] = 1 / (1 + e^-x[i]) for i < count, within 2e-7 relative; 0 below x = -87 (where the
 * value is under 1.7e-38, near the smallest normal float); x may be y. */
void logistic_values(const float *x, float *y, size_t count);

/* z[i] = normal i of WeightGenerator's stream after `state` (WeightGenerator.normal(), bit for
 * bit), for i < count: with a_k = mix(state + k 0x9E3779B97F4A7C15) the stream's output k
 * (SplitMix64), u1 = ((a_{2i+1} >> 11) + 1) / 2^53 in (0, 1], u2 = (a_{2i+2} >> 11) / 2^53,
 * z[i] = (float)(sqrt(-2 log u1) cos(2 pi u2)) in double with the C library's log and cos.
 * The stream then continues after output 2 count. */
void seeded_normals(uint64_t state, float *z, size_t count);

/* Winograd F(4x4, 3x3) and F(2x2, 5x5), the tile transforms around the per-position matrix
 * products (see Winograd.swift). `tile` is the output tile's side m: 4 for F(4x4, 3x3), 2 for
 * F(2x2, 5x5); both transform 6x6 input patches. A "tile row" is one row of m x m output tiles
 * of one image; tile rows are numbered across images, r = image * tile_rows + row. A chunk is
 * the tile rows [row_begin, row_end); its tiles are numbered
 * k = (r - row_begin) * tile_columns + column, and `tiles` is how many it has. Transform-domain
 * buffers are laid out [36][channels][tiles]: position t, channel c and tile k at
 * t * channels * tiles + c * tiles + k. */

/* V[t][c][k] = (B^T d B)[t] for the 6x6 input patch d of tile k in channel c of x, for the
 * channels [channel_begin, channel_end). x is [images][channels][height][width]; the patch
 * of tile (row, column) starts at (m row - pad_top, m column - pad_left), reading zero outside
 * the image. scratch holds winograd_input_scratch(tile, tile_columns) floats. */
void winograd_input_tiles(int tile, const float *x, int channels, int height, int width, int pad_top, int pad_left,
                          int tile_rows, int tile_columns, int row_begin, int row_end,
                          int channel_begin, int channel_end, float *v, float *scratch);
size_t winograd_input_scratch(int tile, int tile_columns);

/* y[image][c][m row + p][m column + q] = f((A^T M A)[p][q] + bias[c]) (bias may be NULL; f the
 * activation, none when NULL), for the m x m output tile of each chunk tile, clipped
 * to out_height x out_width, for the channels [channel_begin, channel_end). M is [36][channels][tiles]; y is [images][channels][out_height][out_width].
 * scratch holds winograd_output_scratch(tile, tile_columns) floats. */
void winograd_output_tiles(int tile, const float *m, int channels, int out_height, int out_width,
                           int tile_rows, int tile_columns, int row_begin, int row_end,
                           int channel_begin, int channel_end, const float *bias, const fused_activation *activation,
                           float *y, float *scratch);
size_t winograd_output_scratch(int tile, int tile_columns);

/* u[t * stride] = (G g G^T)[t] for a kernel x kernel g (row-major; kernel 3 or 5), t < 36. */
void winograd_kernel_tile(const float *g, int kernel, float *u, size_t stride);

/* The position of the flipped kernel's transform that holds position t of the kernel's (the
 * same for both algorithms). */
int winograd_flipped_position(int t);

/* c[j] = alpha * sum_i a[i * a_stride] * b[i * ldb + j] + beta * c[j] for j < n, the sum over
 * the `count` rows i listed in `rows` (those where a[i] != 0), so only those rows of b are read
 * and a NaN or infinity in another row does not reach c. With beta == 0, c is only written. */
void sparse_vector_matrix(const float *a, size_t a_stride, const int *rows, int count, const float *b, size_t ldb,
                          int n, float alpha, float beta, float *c);

/* A few rows times a large matrix (few_rows_product.c), for the columns j in
 * [column_begin, column_end) of c, m x n with rows ldc apart; each reads b from memory once
 * for all m rows (a fully connected layer's weights, once per batch).
 * few_rows_times_transposed: c[r][j] = alpha * sum_{t<k} a[r][t] b[j][t] + beta c[r][j]
 * (b is n x k: c = alpha a b^T + beta c).
 * few_rows_times_matrix: c[r][j] = alpha * sum_i a[r][i] b[i][j] + beta c[r][j], the sum over
 * the `count` rows i listed in `rows` (those where some row of a is non-zero: only those
 * rows of b are read). With beta == 0, c is only written. */
void few_rows_times_transposed(int m, int k, const float *a, size_t lda, const float *b, size_t ldb, float alpha,
                               float beta, float *c, size_t ldc, int column_begin, int column_end);
void few_rows_times_matrix(int m, const float *a, size_t lda, const int *rows, int count, const float *b, size_t ldb,
                           float alpha, float beta, float *c, size_t ldc, int column_begin, int column_end);

/* Depthwise convolution: one input channel per group, `multiplier` output channels per input
 * channel (output channel m reads input channel m / multiplier), with the geometry below. */
typedef struct {
    int in_height, in_width, out_height, out_width;
    int kernel_height, kernel_width, stride_height, stride_width;
    int dilation_height, dilation_width, pad_top, pad_left;
} depthwise_geometry;

/* The zero-padded copy of one input plane that the kernels read or write: rows
 * [-pad_top, padded_height - pad_top) and columns [-pad_left, padded_width - pad_left) of the
 * plane, those the taps reach, padded_height = (out_height - 1) stride_height +
 * (kernel_height - 1) dilation_height + 1 (likewise the width). Size in floats. */
size_t depthwise_padded_size(const depthwise_geometry *g);
/* The scratch the kernels below need: the padded plane and out_height padded rows. */
size_t depthwise_scratch_size(const depthwise_geometry *g);
int depthwise_padded_height(const depthwise_geometry *g);
int depthwise_padded_width(const depthwise_geometry *g);

/* For the output planes o in [plane_begin, plane_end) of y [images][in_channels * multiplier]
 * [out_height][out_width], o = image * in_channels * multiplier + m:
 * y[o][i][j] = bias[m] + sum_{p,q} w[m][p][q] x[image][m / multiplier][i sH + p dH - pad_top][j sW + q dW - pad_left]
 * (bias may be NULL; x reads zero outside the image), then the activation (none when NULL).
 * w is [in_channels * multiplier][kernel_height][kernel_width]; scratch holds
 * depthwise_scratch_size(g) floats. */
void depthwise_forward(const float *x, const float *w, const float *bias, int in_channels, int multiplier,
                       int plane_begin, int plane_end, const depthwise_geometry *g,
                       const fused_activation *activation, float *y,
                       float *scratch);

/* The input gradient of depthwise_forward: for the input planes s in [plane_begin, plane_end)
 * of dx [images][in_channels][in_height][in_width], s = image * in_channels + c,
 * dx[s][a][b] = sum over m = c multiplier + r (r < multiplier) and the taps (i, j, p, q) that
 * read x[s][a][b] of w[m][p][q] dy[image][m][i][j]. dx is written, not accumulated onto.
 * scratch holds depthwise_scratch_size(g) floats. */
void depthwise_input_gradient(const float *dy, const float *w, int in_channels, int multiplier,
                              int plane_begin, int plane_end, const depthwise_geometry *g, float *dx,
                              float *scratch);

#endif
