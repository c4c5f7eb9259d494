/* The forward's product on one KC slice of the sampled rows, with A read where the sampling
 * wrote it: C[0:m][0:n] (+)= rows[0:m][0:kb] * B[0:kb][0:n], rows row-major (lda), B one KC slice
 * of the weight packed as ne_gemm_pb's NR-wide panels [kb][nr] (panel jp at jp * kb).
 * Included per dtype after ne_gemm.h and ne_deform_conv_kernels.h (NE_FN, NE_T, NE_GEMM_DOUBLE).
 *
 * Why: ne_gemm_pb packs A into MR-row panels [kk][MR] (4 x 4 transposes) before its tiles read
 * them, but the micro-kernel only broadcasts A's elements one at a time, which it can do from any
 * address. On AVX-512 the tile below broadcasts straight from the MR rows of the slice (row
 * stride lda: 12 sequential streams), so the rows are never copied a second time. Each element of
 * C is the same chain as ne_gemm.h's (c = fma(a[i][k], b[k][j], c), k ascending, from C or +0),
 * so the results are the bits of ne_gemm_pb, which the AVX2 and baseline variants still run. */

#if defined(NE_GEMM_DOUBLE)
#define NE_DG_V __m512d
#define NE_DG_L _mm512_loadu_pd
#define NE_DG_ML(k, p) _mm512_maskz_loadu_pd((__mmask8) (k), p)
#define NE_DG_MS(p, k, v) _mm512_mask_storeu_pd(p, (__mmask8) (k), v)
#define NE_DG_B _mm512_set1_pd
#define NE_DG_F _mm512_fmadd_pd
#define NE_DG_Z _mm512_setzero_pd
#define NE_DG_W 8
#else
#define NE_DG_V __m512
#define NE_DG_L _mm512_loadu_ps
#define NE_DG_ML(k, p) _mm512_maskz_loadu_ps((__mmask16) (k), p)
#define NE_DG_MS(p, k, v) _mm512_mask_storeu_ps(p, (__mmask16) (k), v)
#define NE_DG_B _mm512_set1_ps
#define NE_DG_F _mm512_fmadd_ps
#define NE_DG_Z _mm512_setzero_ps
#define NE_DG_W 16
#endif

#if NE_GEMM_X86
/* C[0:mb][0:nb] (mb <= MR, nb <= 2 vectors) over kb steps: A row r at a + r * lda (rows past mb
 * read row mb - 1 again and are not stored), B one packed panel [kb][2 vectors]. */
NE_TARGET_AVX512 static void NE_FN(ne_dcn_tile_ra)(int64_t kb, const NE_T* a, int64_t lda, const NE_T* bp, NE_T* c,
                                                  int64_t ldc, int64_t mb, int64_t nb, int zero) {
    const int W = NE_DG_W, NR = 2 * NE_DG_W;
    const uint32_t full = (1u << W) - 1;
    const uint32_t k0 = nb >= W ? full : (1u << nb) - 1;
    const uint32_t k1 = nb >= 2 * W ? full : nb > W ? (1u << (nb - W)) - 1 : 0;
    NE_DG_V c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
    NE_DG_V c60, c61, c70, c71, c80, c81, c90, c91, ca0, ca1, cb0, cb1;
#define NE_DG_LD(r, v0, v1)                                                                       \
    if (r < mb && !zero) { v0 = NE_DG_ML(k0, c + r * ldc); v1 = NE_DG_ML(k1, c + r * ldc + W); }  \
    else { v0 = NE_DG_Z(); v1 = NE_DG_Z(); }
    NE_DG_LD(0, c00, c01) NE_DG_LD(1, c10, c11) NE_DG_LD(2, c20, c21) NE_DG_LD(3, c30, c31)
    NE_DG_LD(4, c40, c41) NE_DG_LD(5, c50, c51) NE_DG_LD(6, c60, c61) NE_DG_LD(7, c70, c71)
    NE_DG_LD(8, c80, c81) NE_DG_LD(9, c90, c91) NE_DG_LD(10, ca0, ca1) NE_DG_LD(11, cb0, cb1)
#undef NE_DG_LD
    /* rows 0-5 from a0 + r * lda, rows 6-11 from a6 + r * lda (r < 6: scaled index addressing) */
    const NE_T* a0 = a;
    const NE_T* a6 = a + (mb > 6 ? 6 : mb - 1) * lda;
    int64_t s[6];
    for (int r = 0; r < 6; r++) s[r] = (r < mb ? r : mb - 1) * lda;
    int64_t s6[6];
    for (int r = 0; r < 6; r++) s6[r] = (6 + r < mb ? r : (mb > 6 ? mb - 7 : 0)) * lda;
    for (int64_t k = 0; k < kb; k++) {
        const NE_DG_V b0 = NE_DG_L(bp + k * NR), b1 = NE_DG_L(bp + k * NR + W);
        NE_DG_V t;
#define NE_DG_ST(p, o, v0, v1) t = NE_DG_B(p[o + k]); v0 = NE_DG_F(t, b0, v0); v1 = NE_DG_F(t, b1, v1);
        NE_DG_ST(a0, s[0], c00, c01) NE_DG_ST(a0, s[1], c10, c11) NE_DG_ST(a0, s[2], c20, c21)
        NE_DG_ST(a0, s[3], c30, c31) NE_DG_ST(a0, s[4], c40, c41) NE_DG_ST(a0, s[5], c50, c51)
        NE_DG_ST(a6, s6[0], c60, c61) NE_DG_ST(a6, s6[1], c70, c71) NE_DG_ST(a6, s6[2], c80, c81)
        NE_DG_ST(a6, s6[3], c90, c91) NE_DG_ST(a6, s6[4], ca0, ca1) NE_DG_ST(a6, s6[5], cb0, cb1)
#undef NE_DG_ST
    }
#define NE_DG_SV(r, v0, v1) if (r < mb) { NE_DG_MS(c + r * ldc, k0, v0); NE_DG_MS(c + r * ldc + W, k1, v1); }
    NE_DG_SV(0, c00, c01) NE_DG_SV(1, c10, c11) NE_DG_SV(2, c20, c21) NE_DG_SV(3, c30, c31)
    NE_DG_SV(4, c40, c41) NE_DG_SV(5, c50, c51) NE_DG_SV(6, c60, c61) NE_DG_SV(7, c70, c71)
    NE_DG_SV(8, c80, c81) NE_DG_SV(9, c90, c91) NE_DG_SV(10, ca0, ca1) NE_DG_SV(11, cb0, cb1)
#undef NE_DG_SV
}
#endif

/* C[0:m][0:n] (+)= rows[0:m][0:kb] * B (see the top): zero overwrites C. work: NE_GEMM_WORK
 * elements (the AVX2 / baseline path packs A there, ne_gemm_pb). */
static void NE_FN(ne_dcn_gemm_ra)(int64_t m, int64_t n, int64_t kb, const NE_T* a, int64_t lda, const NE_T* bp, NE_T* c,
                                  int64_t ldc, int zero, NE_T* work, int32_t isa) {
#if NE_GEMM_X86
    if (isa == NE_ISA_AVX512 && m > 0 && n > 0 && kb > 0) {
        const int64_t nr = 2 * NE_DG_W;
        for (int64_t jp = 0; jp < n; jp += nr) {
            const int64_t w = n - jp < nr ? n - jp : nr;
            for (int64_t ip = 0; ip < m; ip += NE_GEMM_MR)
                NE_FN(ne_dcn_tile_ra)(kb, a + ip * lda, lda, bp + jp * kb, c + ip * ldc + jp, ldc,
                                      m - ip < NE_GEMM_MR ? m - ip : NE_GEMM_MR, w, zero);
        }
        return;
    }
#endif
    NE_FN(ne_gemm_pb)(m, n, kb, a, lda, 1, bp, c, ldc, zero, work, isa);
}

#undef NE_DG_V
#undef NE_DG_L
#undef NE_DG_ML
#undef NE_DG_MS
#undef NE_DG_B
#undef NE_DG_F
#undef NE_DG_Z
#undef NE_DG_W
