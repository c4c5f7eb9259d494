/* The direct and pointwise paths' register block in generic C (ne_conv2d_cpu.c, which has the
 * AVX-512 one in intrinsics), compiled once per SIMD variant (ne_parallel.h's convention), with
 * defined before each inclusion:
 *   NE_C2_FMA  the fused multiply-add: ne_c2_fmaf_soft (baseline) or __builtin_fmaf (vfmadd)
 *   NE_SFX     the name suffix, e.g. f32_avx2
 *   NE_TARGET  the function attribute choosing the ISA (empty for the baseline)
 * acc[c*lda + x] (+)= the fma chain from 0 (or from acc when cont) over r < nr, j < kw of
 * wp[(r*kw + j)*8 + c] * rows[r][joff[j] + x0 + x]: the same chain, in the same order, as the
 * AVX-512 kernel, so that every variant rounds alike. */

NE_TARGET static void NE_CAT(ne_c2_direct, NE_SFX)(const float* const* rows, int64_t nr, int64_t kw, const int64_t* joff,
                                                   const float* wp, int64_t x0, float* acc, int64_t lda, int cont) {
    if (!cont)
        for (int c = 0; c < NE_C2_DC; c++)
            for (int x = 0; x < NE_C2_DX; x++) acc[c * lda + x] = 0;
    for (int64_t r = 0; r < nr; r++)
        for (int64_t j = 0; j < kw; j++) {
            const float* s = rows[r] + joff[j] + x0;
            const float* w = wp + (r * kw + j) * NE_C2_DC;
            for (int c = 0; c < NE_C2_DC; c++) {
                const float wc = w[c];
                float* a = acc + c * lda;
                for (int x = 0; x < NE_C2_DX; x++) a[x] = NE_C2_FMA(wc, s[x], a[x]);
            }
        }
}
