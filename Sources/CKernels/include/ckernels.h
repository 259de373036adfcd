#ifndef CKERNELS_H
#define CKERNELS_H
/* Inner loops of the engine that must vectorize: written in C so that the compiler can
 * build an AVX2/FMA version beside the baseline one and pick it at each call (vectorized.h). */
#include <stddef.h>

/* Winograd F(4x4, 3x3), the tile transforms around the per-position matrix products (see
 * Winograd.swift). A "tile row" is one row of 4x4 output tiles of one image; tile rows are
 * numbered across images, r = image * tile_rows + row. A chunk is the tile rows
 * [row_begin, row_end); its tiles are numbered k = (r - row_begin) * tile_columns + column,
 * and `tiles` is how many it has. Transform-domain buffers are laid out [36][channels][tiles]:
 * position t, channel c and tile k at t * channels * tiles + c * tiles + k. */

/* V[t][c][k] = (B^T d B)[t] for the 6x6 input patch d of tile k in channel c of x, for the
 * channels [channel_begin, channel_end). x is [images][channels][height][width]; the patch
 * of tile (row, column) starts at (4 row - pad_top, 4 column - pad_left), reading zero outside
 * the image. scratch holds winograd_input_scratch(tile_columns) floats. */
void winograd_input_tiles(const float *x, int channels, int height, int width, int pad_top, int pad_left,
                          int tile_rows, int tile_columns, int row_begin, int row_end,
                          int channel_begin, int channel_end, float *v, float *scratch);
size_t winograd_input_scratch(int tile_columns);

/* y[image][c][4 row + p][4 column + q] = (A^T M A)[p][q] + bias[c] (bias may be NULL), or its
 * positive part when rectify is non-zero, for the 4x4 output tile of each chunk tile, clipped
 * to out_height x out_width, for the channels [channel_begin, channel_end). M is [36][channels][tiles]; y is [images][channels][out_height][out_width].
 * scratch holds winograd_output_scratch(tile_columns) floats. */
void winograd_output_tiles(const float *m, int channels, int out_height, int out_width,
                           int tile_rows, int tile_columns, int row_begin, int row_end,
                           int channel_begin, int channel_end, const float *bias, int rectify, float *y, float *scratch);
size_t winograd_output_scratch(int tile_columns);

/* u[t * stride] = (G g G^T)[t] for a 3x3 kernel g (row-major), t < 36. */
void winograd_kernel_tile(const float *g, float *u, size_t stride);

/* The position of the flipped kernel's transform that holds position t of the kernel's. */
int winograd_flipped_position(int t);

/* c[j] = alpha * sum_i a[i * a_stride] * b[i * ldb + j] + beta * c[j] for j < n, the sum over
 * the `count` rows i listed in `rows` (those where a[i] != 0), so only those rows of b are read
 * and a NaN or infinity in another row does not reach c. With beta == 0, c is only written. */
void sparse_vector_matrix(const float *a, size_t a_stride, const int *rows, int count, const float *b, size_t ldb,
                          int n, float alpha, float beta, float *c);

#endif
