/* VECTORIZED(name, (parameters), (arguments)) { body } defines `void name parameters` with one
 * body compiled twice on x86-64 with clang: for the baseline instruction set and for AVX2
 * with FMA, which each call picks when the processor has them. Elsewhere it is a plain
 * function. */
#ifndef VECTORIZED_H
#define VECTORIZED_H

#if defined(__x86_64__) && defined(__clang__)
#define VECTORIZED(name, parameters, arguments) \
    static inline __attribute__((always_inline)) void name##_body parameters; \
    __attribute__((target("avx2,fma"))) static void name##_avx2 parameters { name##_body arguments; } \
    static void name##_baseline parameters { name##_body arguments; } \
    void name parameters { \
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) name##_avx2 arguments; \
        else name##_baseline arguments; \
    } \
    static inline __attribute__((always_inline)) void name##_body parameters
#else
#define VECTORIZED(name, parameters, arguments) void name parameters
#endif

#endif
