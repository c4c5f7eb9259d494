/* Includes the kernel header NE_KERNEL once per SIMD variant (base, avx2, avx512), the convention
 * of ne_parallel.h. Before including this file define
 *   NE_KERNEL  the kernel header's name, e.g. "ne_max_pool2d_kernel.h" (a computed #include)
 *   NE_S       the dtype's name stem, e.g. f32, f64 (NE_SFX becomes f32_base, f32_avx2, f32_avx512)
 * and whatever the kernel itself reads (NE_T, NE_I, ...); this file defines NE_SFX and NE_TARGET
 * around each inclusion and undefines them after it, and leaves the caller's macros defined.
 * Option: NE_EACH_ISA_AVX512_TARGET replaces NE_TARGET_AVX512 as the avx512 variant's attribute.
 * No include guard: it is meant to be included many times. */
#ifndef NE_EACH_ISA_AVX512_TARGET
#define NE_EACH_ISA_AVX512_TARGET NE_TARGET_AVX512
#define NE_EACH_ISA_AVX512_DEFAULT
#endif
#define NE_SFX NE_CAT(NE_S, base)
#define NE_TARGET
#include NE_KERNEL
#undef NE_SFX
#undef NE_TARGET
#define NE_SFX NE_CAT(NE_S, avx2)
#define NE_TARGET NE_TARGET_AVX2
#include NE_KERNEL
#undef NE_SFX
#undef NE_TARGET
#define NE_SFX NE_CAT(NE_S, avx512)
#define NE_TARGET NE_EACH_ISA_AVX512_TARGET
#include NE_KERNEL
#undef NE_SFX
#undef NE_TARGET
#ifdef NE_EACH_ISA_AVX512_DEFAULT
#undef NE_EACH_ISA_AVX512_TARGET
#undef NE_EACH_ISA_AVX512_DEFAULT
#endif
