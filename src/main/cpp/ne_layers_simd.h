/* Shared by the CPU kernels of the layer ops (channel_affine, activation, group_norm,
 * max_pool2d): the function attributes that build one loop for baseline x86-64, AVX2 and
 * AVX-512, chosen at run time with ne_isa_resolve (ne_parallel.h). Every loop built this way
 * computes each output element on its own, or accumulates in lanes fixed by the source (16
 * explicit partial sums), never in an order that depends on the vector width, and the op
 * libraries build with -ffp-contract=off: the three variants give the same bits. */
#ifndef NE_LAYERS_SIMD_H
#define NE_LAYERS_SIMD_H

#include <stdint.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define NE_TARGET_AVX2 __attribute__((target("avx2")))
#define NE_TARGET_AVX512 __attribute__((target("avx512f")))
#else
#define NE_TARGET_AVX2
#define NE_TARGET_AVX512
#endif

/* Instantiates MACRO(T, SFX, VARIANT, TARGET) for the three variants of one dtype. */
#define NE_FOR_EACH_ISA(MACRO, T, SFX)          \
    MACRO(T, SFX, base, )                       \
    MACRO(T, SFX, avx2, NE_TARGET_AVX2)         \
    MACRO(T, SFX, avx512, NE_TARGET_AVX512)

/* Calls the variant of FN_<SFX>_<variant> that isa (already resolved) names. */
#define NE_ISA_CALL(isa, FN, ...)                                            \
    do {                                                                     \
        if ((isa) == NE_ISA_AVX512) FN##_avx512(__VA_ARGS__);                \
        else if ((isa) == NE_ISA_AVX2) FN##_avx2(__VA_ARGS__);               \
        else FN##_base(__VA_ARGS__);                                         \
    } while (0)

/* Threads worth starting for `work` elements: one per 64K elements, at least one. */
static int32_t ne_threads_for(int64_t work, int32_t threads) {
    int64_t t = work / 65536 + 1;
    return threads < t ? threads : (int32_t) t;
}

#endif
