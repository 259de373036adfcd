/* The epilogue of a convolution computed by matrix products: bias, then activation. */
#include "ckernels.h"
#include "vectorized.h"
#include "activation.h"

VECTORIZED(bias_activation,
           (float *y, int channels, size_t plane, int plane_begin, int plane_end, const float *bias,
            const fused_activation *activation),
           (y, channels, plane, plane_begin, plane_end, bias, activation)) {
    for (int o = plane_begin; o < plane_end; o++) {
        float *restrict values = y + (size_t)o * plane;
        if (bias) {
            const float offset = bias[o % channels];
            for (size_t i = 0; i < plane; i++) values[i] += offset;
        }
        activate(values, plane, activation);
    }
}
