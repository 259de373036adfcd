/* Depthwise convolution (one input channel per group) and its input gradient; see ckernels.h.
 *
 * Each plane goes through a zero-padded copy (the rows and columns the kernel's taps reach,
 * padding included), so the inner loops have no bounds to test: per tap, one multiply-add
 * over a row, contiguous for stride 1, which the compiler vectorizes. With equal strides s the
 * forward pass makes the whole plane one run: output (i, j) at t = i pw + j (pw the padded
 * width) reads the padded plane at s t + (p dH pw + q dW), so each tap is one multiply-add over
 * (out_height - 1) pw + out_width values, the columns j >= out_width computed and dropped;
 * small maps (7x7, 14x14) then fill whole vectors instead of ending every row in scalars.
 * For the common kernels (3x3 and 5x5 whole, rows of 7 or 9 taps: ConvNeXt, MixNet) at
 * stride 1 or 2 the taps are constants of an inlined loop: each output sums its taps in
 * registers and is stored once, in the same order as the tap-by-tap loop, so every path gives
 * the same floats. */
#include <string.h>
#include "ckernels.h"
#include "vectorized.h"
#include "activation.h"

size_t depthwise_padded_size(const depthwise_geometry *g) {
    return (size_t)depthwise_padded_height(g) * (size_t)depthwise_padded_width(g);
}

size_t depthwise_scratch_size(const depthwise_geometry *g) {
    return depthwise_padded_size(g) + (size_t)g->out_height * (size_t)depthwise_padded_width(g);
}

int depthwise_padded_height(const depthwise_geometry *g) {
    return (g->out_height - 1) * g->stride_height + (g->kernel_height - 1) * g->dilation_height + 1;
}

int depthwise_padded_width(const depthwise_geometry *g) {
    return (g->out_width - 1) * g->stride_width + (g->kernel_width - 1) * g->dilation_width + 1;
}

/* padded[a][b] = x[a - pad_top][b - pad_left], zero outside x. */
static inline __attribute__((always_inline)) void pad_plane(const float *x, const depthwise_geometry *g, float *padded) {
    const int ph = depthwise_padded_height(g), pw = depthwise_padded_width(g);
    const int first = g->pad_left < pw ? g->pad_left : pw;
    const int last = g->pad_left + g->in_width < pw ? g->pad_left + g->in_width : pw;
    for (int a = 0; a < ph; a++) {
        float *line = padded + (size_t)a * pw;
        const int yy = a - g->pad_top;
        if (yy < 0 || yy >= g->in_height || last <= first) {
            memset(line, 0, sizeof(float) * (size_t)pw);
            continue;
        }
        memset(line, 0, sizeof(float) * (size_t)first);
        memcpy(line + first, x + (size_t)yy * g->in_width + (first - g->pad_left), sizeof(float) * (size_t)(last - first));
        memset(line + last, 0, sizeof(float) * (size_t)(pw - last));
    }
}

/* acc[t] += sum over p < kh, q < kw of k[p kw + q] in[t sw + p row_step + q dw], for t < run,
 * added in the order of p, then q. Inlined where kh, kw and sw are constants: the taps unroll
 * and the run vectorizes. */
static inline __attribute__((always_inline)) void taps_run(const float *restrict in, const float *restrict k, const int kh,
                                                           const int kw, const int sw, size_t row_step, size_t dw,
                                                           size_t run, float *restrict acc) {
    for (size_t t = 0; t < run; t++) {
        float s = acc[t];
#pragma clang loop unroll(full)
        for (int p = 0; p < kh; p++) {
#pragma clang loop unroll(full)
            for (int q = 0; q < kw; q++) s += k[p * kw + q] * in[t * sw + p * row_step + q * dw];
        }
        acc[t] = s;
    }
}

/* acc[t] += every tap of kernel k times the padded plane at t sw (+ the tap's offset), for
 * t < run (equal strides sw; see the top of the file). */
static inline __attribute__((always_inline)) void accumulate_taps(const float *padded, const float *k, const depthwise_geometry *g,
                                                                  size_t run, float *restrict acc) {
    const int kh = g->kernel_height, kw = g->kernel_width, sw = g->stride_width;
    const size_t row_step = (size_t)g->dilation_height * depthwise_padded_width(g), dw = (size_t)g->dilation_width;
#define WHOLE(n, s) \
    if (kh == n && kw == n && sw == s) { \
        taps_run(padded, k, n, n, s, row_step, dw, run, acc); \
        return; \
    }
#define BY_ROWS(n, s) \
    if (kw == n && sw == s) { \
        for (int p = 0; p < kh; p++) taps_run(padded + (size_t)p * row_step, k + (size_t)p * kw, 1, n, s, 0, dw, run, acc); \
        return; \
    }
    WHOLE(3, 1) WHOLE(3, 2) WHOLE(5, 1) WHOLE(5, 2)
    BY_ROWS(7, 1) BY_ROWS(7, 2) BY_ROWS(9, 1) BY_ROWS(9, 2)
#undef WHOLE
#undef BY_ROWS
    for (int p = 0; p < kh; p++) {
        for (int q = 0; q < kw; q++) {
            const float tap = k[p * kw + q];
            const float *restrict in = padded + (size_t)p * row_step + (size_t)q * dw;
            if (sw == 1) {
                for (size_t t = 0; t < run; t++) acc[t] += tap * in[t];
            } else if (sw == 2) {
                for (size_t t = 0; t < run; t++) acc[t] += tap * in[2 * t];
            } else {
                for (size_t t = 0; t < run; t++) acc[t] += tap * in[t * sw];
            }
        }
    }
}

VECTORIZED(depthwise_forward,
           (const float *x, const float *w, const float *bias, int in_channels, int multiplier,
            int plane_begin, int plane_end, const depthwise_geometry *g, const fused_activation *activation,
            float *y, float *scratch),
           (x, w, bias, in_channels, multiplier, plane_begin, plane_end, g, activation, y, scratch)) {
    const int kh = g->kernel_height, kw = g->kernel_width, sw = g->stride_width, dw = g->dilation_width;
    const int ow = g->out_width, pw = depthwise_padded_width(g);
    const int out_channels = in_channels * multiplier;
    const size_t in_plane = (size_t)g->in_height * g->in_width, out_plane = (size_t)g->out_height * ow;
    float *run_buffer = scratch + depthwise_padded_size(g); /* the equal-stride run */
    int padded_source = -1; /* the input plane whose padded copy scratch holds */
    for (int o = plane_begin; o < plane_end; o++) {
        const int n = o / out_channels, m = o % out_channels;
        const int source = n * in_channels + m / multiplier;
        if (source != padded_source) {
            pad_plane(x + (size_t)source * in_plane, g, scratch);
            padded_source = source;
        }
        const float *k = w + (size_t)m * kh * kw;
        const float offset = bias ? bias[m] : 0;
        float *plane = y + (size_t)o * out_plane;
        if (g->stride_height == sw) {
            const size_t run = (size_t)(g->out_height - 1) * pw + ow;
            float *restrict acc = run_buffer;
            for (size_t t = 0; t < run; t++) acc[t] = offset;
            accumulate_taps(scratch, k, g, run, acc);
            for (int i = 0; i < g->out_height; i++) memcpy(plane + (size_t)i * ow, acc + (size_t)i * pw, sizeof(float) * (size_t)ow);
            activate(plane, out_plane, activation);
            continue;
        }
        for (int i = 0; i < g->out_height; i++) {
            float *restrict out = plane + (size_t)i * ow;
            for (int j = 0; j < ow; j++) out[j] = offset;
            for (int p = 0; p < kh; p++) {
                const float *line = scratch + (size_t)(i * g->stride_height + p * g->dilation_height) * pw;
                for (int q = 0; q < kw; q++) {
                    const float tap = k[p * kw + q];
                    const float *restrict in = line + q * dw;
                    for (int j = 0; j < ow; j++) out[j] += tap * in[j * sw];
                }
            }
            activate(out, (size_t)ow, activation);
        }
    }
}

VECTORIZED(depthwise_input_gradient,
           (const float *dy, const float *w, int in_channels, int multiplier,
            int plane_begin, int plane_end, const depthwise_geometry *g, float *dx, float *scratch),
           (dy, w, in_channels, multiplier, plane_begin, plane_end, g, dx, scratch)) {
    const int kh = g->kernel_height, kw = g->kernel_width, sw = g->stride_width, dw = g->dilation_width;
    const int ow = g->out_width, pw = depthwise_padded_width(g), ph = depthwise_padded_height(g);
    const size_t in_plane = (size_t)g->in_height * g->in_width, out_plane = (size_t)g->out_height * ow;
    /* The rows and columns of x that the padded copy holds (the rest get no gradient). */
    const int rows = g->in_height < ph - g->pad_top ? g->in_height : ph - g->pad_top;
    const int columns = g->in_width < pw - g->pad_left ? g->in_width : pw - g->pad_left;
    for (int s = plane_begin; s < plane_end; s++) {
        /* dpadded[a][b] = sum over the taps that read padded[a][b] of tap * dy. */
        memset(scratch, 0, sizeof(float) * (size_t)ph * pw);
        for (int r = 0; r < multiplier; r++) {
            const int m = (s % in_channels) * multiplier + r;
            const float *k = w + (size_t)m * kh * kw;
            const float *plane = dy + ((size_t)(s / in_channels) * in_channels * multiplier + m) * out_plane;
            for (int i = 0; i < g->out_height; i++) {
                const float *restrict grad = plane + (size_t)i * ow;
                for (int p = 0; p < kh; p++) {
                    float *line = scratch + (size_t)(i * g->stride_height + p * g->dilation_height) * pw;
                    for (int q = 0; q < kw; q++) {
                        const float tap = k[p * kw + q];
                        float *restrict target = line + q * dw;
                        if (sw == 1) {
                            for (int j = 0; j < ow; j++) target[j] += tap * grad[j];
                        } else {
                            for (int j = 0; j < ow; j++) target[j * sw] += tap * grad[j];
                        }
                    }
                }
            }
        }
        float *target = dx + (size_t)s * in_plane;
        memset(target, 0, sizeof(float) * in_plane);
        for (int a = 0; a < rows; a++) {
            if (columns > 0) {
                memcpy(target + (size_t)a * g->in_width, scratch + (size_t)(a + g->pad_top) * pw + g->pad_left,
                       sizeof(float) * (size_t)columns);
            }
        }
    }
}
