/* Elementwise functions over a run of floats: the fused activations applied on their own (an
 * operator that computes its output first, then activates it) and the standalone functions
 * that need a vectorized exponential or error function. */
#include "ckernels.h"
#include "vectorized.h"
#include "activation.h"

VECTORIZED(activation_apply, (float *y, size_t count, const fused_activation *activation), (y, count, activation)) {
    activate(y, count, activation);
}

VECTORIZED(erf_values, (const float *x, float *y, size_t count), (x, y, count)) {
    for (size_t i = 0; i < count; i++) y[i] = activation_erf(x[i]);
}

VECTORIZED(logistic_values, (const float *x, float *y, size_t count), (x, y, count)) {
    for (size_t i = 0; i < count; i++) {
        const float value = 1 / (1 + activation_exp(-x[i]));
        y[i] = x[i] < -87.0f ? 0 : value;
    }
}
