/* The seeded standard normals of WeightGenerator.swift in bulk (seeded_normals in ckernels.h),
 * equal bit for bit to drawing them one at a time with the C library's log and cos.
 *
 * SplitMix64 is a counter: output k of the stream after `state` is mix(state + k gamma), so
 * a chunk's draws are computed side by side. Box-Muller's log and cos are evaluated without
 * a call (fdlibm's polynomials, within a few ulp in double), so the loop vectorizes; the C
 * library's log and cos are within 1 ulp too, so both doubles lie within a relative 2^-40 of
 * each other (both errors are under 2^-49). When z (1 - 2^-40) and z (1 + 2^-40) round to the
 * same float, the library's double rounds to it as well: that float is the draw. Otherwise
 * (a double within 2^-40 of halfway between two floats, about one draw in 30000, or z = 0)
 * the draw is computed again with the library's log and cos. */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "ckernels.h"
#include "vectorized.h"

#define GAMMA 0x9E3779B97F4A7C15ull
/* Draws per chunk: the ones to compute again are marked in a stack array this long. */
#define CHUNK 512

static inline __attribute__((always_inline)) uint64_t splitmix_mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline __attribute__((always_inline)) double double_from_bits(uint64_t bits) {
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

static inline __attribute__((always_inline)) uint64_t bits_of_double(double d) {
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return bits;
}

/* v < 2^53 exactly, from its 32-bit halves (2^52 + h has h in its low mantissa bits), since
 * AVX2 has no conversion from 64-bit integers. */
static inline __attribute__((always_inline)) double exact_double(uint64_t v) {
    const double hi = double_from_bits(0x4330000000000000ull | (v >> 32)) - 0x1p52;
    const double lo = double_from_bits(0x4330000000000000ull | (v & 0xffffffffull)) - 0x1p52;
    return hi * 0x1p32 + lo;
}

/* log x for a normal x > 0 (fdlibm's e_log.c without its special cases: x = 2^k m with
 * m in [sqrt(2)/2, sqrt(2)), f = m - 1, s = f / (2 + f), log(1 + f) = f - f^2/2 + s (f^2/2 + R(s^2))). */
static inline __attribute__((always_inline)) double unit_log(double x) {
    const uint64_t bits = bits_of_double(x);
    const uint64_t high = (bits >> 32) & 0x000fffffull;
    const uint64_t half = (high + 0x95f64ull) & 0x100000ull; /* m >= sqrt(2): use m / 2 */
    const uint64_t exponent = (bits >> 52) + (half >> 20);  /* k + 1023 */
    const double m = double_from_bits(((high | (half ^ 0x3ff00000ull)) << 32) | (bits & 0xffffffffull));
    const double k = double_from_bits(0x4330000000000000ull | exponent) - (0x1p52 + 1023);
    const double f = m - 1, s = f / (2 + f), z = s * s, w = z * z;
    const double t1 = w * (3.999999999940941908e-01 + w * (2.222219843214978396e-01 + w * 1.531383769920937332e-01));
    const double t2 = z * (6.666666666666735130e-01 +
                           w * (2.857142874366239149e-01 + w * (1.818357216161805012e-01 + w * 1.479819860511658591e-01)));
    const double hfsq = 0.5 * f * f;
    return k * 6.93147180369123816490e-01 - ((hfsq - (s * (hfsq + t2 + t1) + k * 1.90821492927058770002e-10)) - f);
}

/* cos x for x in [0, 2 pi] (fdlibm: x = n pi/2 + r, |r| <= pi/4 by a four-part pi/2 whose
 * first three parts times n <= 4 are exact, then k_cos.c or k_sin.c by the quadrant).
 * The doubles nearest the multiples of pi/2 are over 6e-17 from them, so r keeps its
 * relative precision. */
static inline __attribute__((always_inline)) double unit_turn_cos(double x) {
    const double shifted = x * 6.36619772367581382433e-01 + 0x1.8p52; /* round(x / (pi/2)) in the low bits */
    const uint64_t quadrant = bits_of_double(shifted) & 3;
    const double n = shifted - 0x1.8p52;
    double r = x - n * 1.57079632673412561417e+00;
    r = r - n * 6.07710050630396597660e-11;
    r = r - n * 2.02226624871116645580e-21;
    r = r - n * 8.47842766036889956997e-32;
    const double z = r * r, z2 = z * z;
    const double c = z2 * (4.16666666666666019037e-02 + z * (-1.38888888888741095749e-03 + z * 2.48015872894767294178e-05))
        + z2 * z2 * z * (-2.75573143513906633035e-07 + z * (2.08757232129817482790e-09 + z * -1.13596475577881948265e-11));
    const double hz = 0.5 * z, w = 1 - hz;
    const double cosine = w + (((1 - w) - hz) + c);
    const double sine = r + z * r * (-1.66666666666666324348e-01 + z * (8.33333333332248946124e-03 +
        z * (-1.98412698298579493134e-04 + z * (2.75573137070700676789e-06 + z * (-2.50507602534068634195e-08 +
        z * 1.58969099521155010221e-10)))));
    const double value = (quadrant & 1) ? sine : cosine;
    return ((quadrant + 1) & 2) ? -value : value;
}

/* The draw from outputs a1 and a2 as WeightGenerator.normal() computes it. */
static double library_normal(uint64_t a1, uint64_t a2) {
    const double u1 = (double)((a1 >> 11) + 1) * 0x1p-53;
    const double u2 = (double)(a2 >> 11) * 0x1p-53;
    const double radius = sqrt(-2 * log(u1));
    const double angle = 2 * M_PI * u2;
    return radius * cos(angle);
}

VECTORIZED(seeded_normals, (uint64_t state, float *z, size_t count), (state, z, count)) {
    unsigned char again[CHUNK];
    for (size_t begin = 0; begin < count; begin += CHUNK) {
        const size_t length = count - begin < CHUNK ? count - begin : CHUNK;
        const uint64_t base = state + 2 * (uint64_t)begin * GAMMA; /* output k of the chunk mixes base + k gamma */
        float *out = z + begin;
        for (size_t i = 0; i < length; i++) {
            const uint64_t a1 = splitmix_mix(base + (2 * (uint64_t)i + 1) * GAMMA);
            const uint64_t a2 = splitmix_mix(base + (2 * (uint64_t)i + 2) * GAMMA);
            const double u1 = exact_double((a1 >> 11) + 1) * 0x1p-53;
            const double u2 = exact_double(a2 >> 11) * 0x1p-53;
            /* -2 log u1 >= 0: the square root needs no errno, so it vectorizes */
            const double value = __builtin_elementwise_sqrt(-2 * unit_log(u1)) * unit_turn_cos(2 * M_PI * u2);
            const float below = (float)(value * (1 - 0x1p-40)), above = (float)(value * (1 + 0x1p-40));
            out[i] = below;
            again[i] = (below != above) | (value == 0);
        }
        for (size_t i = 0; i < length; i++) {
            if (again[i]) {
                out[i] = (float)library_normal(splitmix_mix(base + (2 * (uint64_t)i + 1) * GAMMA),
                                               splitmix_mix(base + (2 * (uint64_t)i + 2) * GAMMA));
            }
        }
    }
}
