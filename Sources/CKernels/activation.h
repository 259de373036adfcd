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

/* The Gauss error function within 5e-7 (absolute; relative near 0) for every x:
 * erf(x) ~ x P(x^2) / Q(x^2), P of degree 6 and Q of degree 4 (a minimax rational fit on
 * [-4, 4], the one Eigen's fast erf uses), x clamped to [-4, 4] where |erf| rounds to 1.
 * Written without a call so that loops over it vectorize. */
static inline __attribute__((always_inline)) float activation_erf(float x) {
    x = x < -4.0f ? -4.0f : x > 4.0f ? 4.0f : x;
    const float x2 = x * x;
    float p = -2.72614225801306e-10f;
    p = p * x2 + 2.77068142495902e-08f;
    p = p * x2 - 2.10102402082508e-06f;
    p = p * x2 - 5.69250639462346e-05f;
    p = p * x2 - 7.34990630326855e-04f;
    p = p * x2 - 2.95459980854025e-03f;
    p = p * x2 - 1.60960333262415e-02f;
    float q = -1.45660718464996e-05f;
    q = q * x2 - 2.13374055278905e-04f;
    q = q * x2 - 1.68282697438203e-03f;
    q = q * x2 - 7.37332916720468e-03f;
    q = q * x2 - 1.42647390514189e-02f;
    return x * p / q;
}

/* y[i] = f(y[i]) for i < count, f given by `a` (nothing when a is NULL):
 * Relu max(y, 0); Clip min(max(y, lo), hi); HardSwish y min(max(y / 6 + 1/2, 0), 1);
 * SiLU y / (1 + e^-y), the fusion of Sigmoid and Mul; GELU y (1 + erf(y / sqrt 2)) / 2, the
 * fusion of Div, Erf, Add, Mul and Mul that exporters write for it. */
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
    case FUSED_GELU:
        for (size_t i = 0; i < count; i++) y[i] *= 0.5f + 0.5f * activation_erf(y[i] * 0.70710678118654752f);
        break;
    }
}

#endif
