/* The tile transforms of Winograd F(4x4, 3x3) and F(2x2, 5x5); see ckernels.h for the layouts.
 *
 * Both transform 6x6 input patches, whose origins step by the output tile's side m (4 or 2).
 * Each pass runs a whole tile row at once, the tiles in the innermost loop, so that the
 * compiler vectorizes across tiles: the 1-D transform along image rows reads the row at
 * m k + i (an interleaved load), the one along columns reads and writes whole rows of
 * tiles. The passes take m as an argument and dispatch once to a copy specialized for it. */
#include <string.h>
#include "ckernels.h"
#include "vectorized.h"
#include "winograd_transforms.h"
#include "activation.h"

/* The 1-D transforms of F(m, 7 - m). */
static inline __attribute__((always_inline)) void input_transform(int m, const float s[6], float t[6]) {
    if (m == 4) winograd_input(s, t); else winograd5_input(s, t);
}

static inline __attribute__((always_inline)) void output_transform(int m, const float s[6], float *t) {
    if (m == 4) winograd_output(s, t); else winograd5_output(s, t);
}

size_t winograd_input_scratch(int tile, int tile_columns) {
    return (size_t)(tile * tile_columns + 6 - tile) + 36 * (size_t)tile_columns;
}

size_t winograd_output_scratch(int tile, int tile_columns) {
    return (size_t)(6 * tile + tile * tile) * (size_t)tile_columns;
}

static inline __attribute__((always_inline)) void input_tiles(
    const int m, const float *x, int channels, int height, int width, int pad_top, int pad_left,
    int tile_rows, int tile_columns, int row_begin, int row_end, int channel_begin, int channel_end,
    float *v, float *scratch) {
    const int tc = tile_columns, line_width = m * tc + 6 - m;
    const size_t tiles = (size_t)(row_end - row_begin) * tc, t_stride = (size_t)channels * tiles;
    float *line = scratch;              /* one image row, zero-padded: line[i] = row[i - pad_left] */
    float *rows = scratch + line_width; /* rows[a][j][k]: image row a of tile k, transformed along the row */
    /* The columns of the line that come from the image. */
    const int first = pad_left < line_width ? pad_left : line_width;
    const int last = pad_left + width < line_width ? pad_left + width : line_width;
    memset(line, 0, sizeof(float) * (size_t)first);
    memset(line + last, 0, sizeof(float) * (size_t)(line_width - last));
    for (int c = channel_begin; c < channel_end; c++) {
        for (int r = row_begin; r < row_end; r++) {
            const float *plane = x + ((size_t)(r / tile_rows) * channels + c) * height * width;
            const int top = (r % tile_rows) * m - pad_top;
            for (int a = 0; a < 6; a++) {
                float *out = rows + a * 6 * tc;
                const int yy = top + a;
                if (yy < 0 || yy >= height) {
                    memset(out, 0, sizeof(float) * 6 * (size_t)tc);
                    continue;
                }
                memcpy(line + first, plane + (size_t)yy * width + (first - pad_left), sizeof(float) * (size_t)(last - first));
                for (int k = 0; k < tc; k++) {
                    float s[6], t[6];
                    for (int i = 0; i < 6; i++) s[i] = line[m * k + i];
                    input_transform(m, s, t);
                    for (int j = 0; j < 6; j++) out[j * tc + k] = t[j];
                }
            }
            float *target = v + (size_t)c * tiles + (size_t)(r - row_begin) * tc;
            for (int j = 0; j < 6; j++) {
                for (int k = 0; k < tc; k++) {
                    float s[6], t[6];
                    for (int a = 0; a < 6; a++) s[a] = rows[(a * 6 + j) * tc + k];
                    input_transform(m, s, t);
                    for (int b = 0; b < 6; b++) target[(size_t)(b * 6 + j) * t_stride + k] = t[b];
                }
            }
        }
    }
}

VECTORIZED(winograd_input_tiles,
           (int tile, const float *x, int channels, int height, int width, int pad_top, int pad_left,
            int tile_rows, int tile_columns, int row_begin, int row_end,
            int channel_begin, int channel_end, float *v, float *scratch),
           (tile, x, channels, height, width, pad_top, pad_left, tile_rows, tile_columns, row_begin, row_end,
            channel_begin, channel_end, v, scratch)) {
    if (tile == 4) {
        input_tiles(4, x, channels, height, width, pad_top, pad_left, tile_rows, tile_columns, row_begin, row_end,
                    channel_begin, channel_end, v, scratch);
    } else {
        input_tiles(2, x, channels, height, width, pad_top, pad_left, tile_rows, tile_columns, row_begin, row_end,
                    channel_begin, channel_end, v, scratch);
    }
}

static inline __attribute__((always_inline)) void output_tiles(
    const int m, const float *products, int channels, int out_height, int out_width, int tile_rows, int tile_columns,
    int row_begin, int row_end, int channel_begin, int channel_end, const float *bias,
    const fused_activation *activation, float *y, float *scratch) {
    const int tc = tile_columns;
    const size_t tiles = (size_t)(row_end - row_begin) * tc, t_stride = (size_t)channels * tiles;
    float *rows = scratch;              /* rows[b][q][k]: row b of tile k's 6x6 product, transformed to m */
    float *out = scratch + 6 * m * tc;  /* out[p][m k + q]: the m output rows of the tile row */
    for (int c = channel_begin; c < channel_end; c++) {
        const float offset = bias ? bias[c] : 0;
        for (int r = row_begin; r < row_end; r++) {
            const float *source = products + (size_t)c * tiles + (size_t)(r - row_begin) * tc;
            for (int b = 0; b < 6; b++) {
                for (int k = 0; k < tc; k++) {
                    float s[6], t[4];
                    for (int j = 0; j < 6; j++) s[j] = source[(size_t)(b * 6 + j) * t_stride + k];
                    output_transform(m, s, t);
                    for (int q = 0; q < m; q++) rows[(b * m + q) * tc + k] = t[q];
                }
            }
            for (int k = 0; k < tc; k++) {
                for (int q = 0; q < m; q++) {
                    float s[6], t[4];
                    for (int b = 0; b < 6; b++) s[b] = rows[(b * m + q) * tc + k];
                    output_transform(m, s, t);
                    for (int p = 0; p < m; p++) out[p * m * tc + m * k + q] = t[p] + offset;
                }
            }
            activate(out, (size_t)(m * m * tc), activation);
            const int top = (r % tile_rows) * m, height = out_height - top < m ? out_height - top : m;
            float *plane = y + ((size_t)(r / tile_rows) * channels + c) * out_height * out_width + (size_t)top * out_width;
            for (int p = 0; p < height; p++) memcpy(plane + (size_t)p * out_width, out + p * m * tc, sizeof(float) * (size_t)out_width);
        }
    }
}

VECTORIZED(winograd_output_tiles,
           (int tile, const float *m, int channels, int out_height, int out_width, int tile_rows, int tile_columns,
            int row_begin, int row_end, int channel_begin, int channel_end, const float *bias,
            const fused_activation *activation, float *y, float *scratch),
           (tile, m, channels, out_height, out_width, tile_rows, tile_columns, row_begin, row_end,
            channel_begin, channel_end, bias, activation, y, scratch)) {
    if (tile == 4) {
        output_tiles(4, m, channels, out_height, out_width, tile_rows, tile_columns, row_begin, row_end,
                     channel_begin, channel_end, bias, activation, y, scratch);
    } else {
        output_tiles(2, m, channels, out_height, out_width, tile_rows, tile_columns, row_begin, row_end,
                     channel_begin, channel_end, bias, activation, y, scratch);
    }
}

void winograd_kernel_tile(const float *g, int kernel, float *u, size_t stride) {
    float columns[6][5];
    for (int j = 0; j < kernel; j++) {
        float s[5], t[6];
        for (int i = 0; i < kernel; i++) s[i] = g[i * kernel + j];
        if (kernel == 3) winograd_kernel(s, t); else winograd5_kernel(s, t);
        for (int a = 0; a < 6; a++) columns[a][j] = t[a];
    }
    for (int a = 0; a < 6; a++) {
        float t[6];
        if (kernel == 3) winograd_kernel(columns[a], t); else winograd5_kernel(columns[a], t);
        for (int b = 0; b < 6; b++) u[(size_t)(a * 6 + b) * stride] = t[b];
    }
}

int winograd_flipped_position(int t) {
    return winograd_flip[t / 6] * 6 + winograd_flip[t % 6];
}
