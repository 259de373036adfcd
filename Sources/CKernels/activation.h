/* The activations an operator can apply as it writes its output (fused_activation in
 * ckernels.h), inlined into each kernel's loops so they run on the vectors the kernel was
 * built for. Each matches its own operator's definition up to float rounding. */
#ifndef ACTIVATION_H
#define ACTIVATION_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "ckernels.h"

/* e^x within about 2 ulp for x in [-87, 88] (Cephes' expf: e^x = 2^n e^r with
 * n = round(x log2 e), |r| <= ln 2 / 2, e^r a degree-7 polynomial), x clamped to that range
 * so that 2^n stays a normal float: e^-87 = 1.6e-38 stands in for anything smaller. Written
 * without a call so that loops over it vectorize. */
static inline __attribute__((always_inline)) float activation_exp(float x) {
    x = x < -87.0f ? -87.0f : x > 88.0f ? 88.0f : x;
    const float n = __builtin_floorf(x * 1.44269504088896341f + 0.5f);
    const float r = x - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    const int32_t bits = ((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/* y[i] = f(y[i]) for i < count, f given by `a` (nothing when a is NULL):
 * Relu max(y, 0); Clip min(max(y, lo), hi); HardSwish y min(max(y / 6 + 1/2, 0), 1);
 * SiLU y / (1 + e^-y), the fusion of Sigmoid and Mul. */
static inline __attribute__((always_inline)) void activate(float *restrict y, size_t count, const fused_activation *a) {
    if (!a) return;
    switch (a->kind) {
    case FUSED_RELU:
        for (size_t i = 0; i < count; i++) y[i] = y[i] > 0 ? y[i] : 0;
        break;
    case FUSED_CLIP: {
        const float lo = a->lo, hi = a->hi;
        for (size_t i = 0; i < count; i++) {
            const float v = y[i] > lo ? y[i] : lo;
            y[i] = v < hi ? v : hi;
        }
        break;
    }
    case FUSED_HARD_SWISH:
        for (size_t i = 0; i < count; i++) {
            const float ramp = y[i] / 6 + 0.5f;
            y[i] *= ramp > 0 ? (ramp < 1 ? ramp : 1) : 0;
        }
        break;
    case FUSED_SILU:
        for (size_t i = 0; i < count; i++) y[i] *= 1 / (1 + activation_exp(-y[i]));
        break;
    }
}

#endif
