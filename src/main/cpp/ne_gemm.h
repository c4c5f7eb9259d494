/* A small single-threaded GEMM for nativeext's CPU kernels, with one rule that makes its results
 * reproducible: every element of C is one fused multiply-add chain over k in ascending order,
 *     c = fma(a[i][k], b[k][j], c)   for k = 0, 1, ..., K-1,
 * starting from C's value (or from +0 when the caller asks to overwrite C), whatever the
 * blocking, the thread that runs it or the SIMD variant. Blocking over k stores the exact partial
 * value in C and resumes the chain from it, so a caller may also split k into several calls in
 * ascending order, or split the rows or columns of C between threads, without changing a bit.
 * The AVX-512, AVX2 and baseline (scalar fma()/fmaf() of libm: exact, in software where the CPU
 * has no FMA) variants therefore agree bit for bit.
 *
 * Shapes: C[m][n] row-major (ldc) (+)= A B over k, A element (i, k) at a[i * ars + k * acs] (any
 * strides: row-major, column-major or a transposed view), B row-major k x n (ldb).
 *
 * Blocking (BLIS's): per (NC columns x KC) block B is packed into NR-wide panels [kk][NR] (a
 * panel, KC x NR, is the micro-kernel's L1-resident operand), per (MC rows x KC) block A into
 * MR-row panels [kk][MR] (streamed from L2; row-major A is transposed 4 x 4 with SSE, which made
 * packing 3x cheaper than the scalar loop). Micro-kernels: AVX-512 MR=12 rows x 2 vectors
 * (float 32, double 16 columns; 24 zmm accumulators; masked loads/stores on the last columns),
 * AVX2 two 6-row x 2-vector tiles (12 ymm accumulators); AVX2's column remainder narrower than
 * 2 vectors and the baseline variant take the scalar chain (same bits). ne_gemm_pa on AVX-512
 * runs narrow products (7x7 = 49, 14x14 = 196 columns) on 6-row x 3-vector tiles plus <= 4
 * single columns (ne_gemm_narrow), not on 2-vector panels that compute 64 columns for 49.
 *
 * Measured (float32, m=2500 n=256 k=2304, the deformable convolution's forward, one thread of
 * the 2-core AVX-512 Xeon this was tuned on, shared): this GEMM 19.6-21 ms (140-150 GFLOP/s),
 * OpenBLAS 0.3.31's single-threaded cblas_sgemm on the same product 19.5-20 ms; AVX2 variant
 * 32-35 ms. KC=384, MC=96 were the best of KC 128..384 x MC 96..240.
 *
 * Included once per dtype with NE_T (float/double) and NE_S (f32/f64) defined, and NE_GEMM_DOUBLE
 * defined for double; after ne_parallel.h (NE_ISA_* codes, NE_CAT, NE_TARGET_*). Its SIMD variants are
 * hand-written tiles (ne_gemm_tile_avx512, ne_gemm_tile6_avx2, the scalar chain), chosen by plain
 * if/else in ne_gemm_sweep. Not a public header. */

#include <math.h>
#include <stdint.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define NE_GEMM_X86 1
#else
#define NE_GEMM_X86 0
#endif

#ifndef NE_GEMM_ONCE
#define NE_GEMM_ONCE
#ifndef NE_GEMM_KC
#define NE_GEMM_KC 256
#endif
#define NE_GEMM_MR 12
/* k steps per pass of the narrow sweep (ne_gemm_sweep_narrow): a 3-vector B panel of a whole KC
 * block is 256 x 48 floats = 48 KiB, all of L1d, so the streamed A evicted it between a panel's
 * two 6-row tiles and from one row panel to the next; 128 steps (24 KiB) stay in L1 for every
 * row panel of the sweep. One thread, weights L3-warm (tools/profile/conv_profile.c): 3x3 512 on
 * 7x7 1.375 -> 1.305-1.31 ms, 3x3/2 512 14->7 1.48 -> 1.39, 1x1 512->2048 on 7x7 0.61 -> 0.52
 * (64 and 96 were slower than 128). The same chains: the same bits. */
#ifndef NE_GEMM_KSUB
#define NE_GEMM_KSUB 128
#endif
#ifndef NE_GEMM_MC
#define NE_GEMM_MC 240
#endif
#ifndef NE_GEMM_NC
#define NE_GEMM_NC 256
#endif
/* Elements of the workspace ne_gemm needs (packed B block, then packed A block). */
#define NE_GEMM_WORK ((int64_t) NE_GEMM_KC * (NE_GEMM_NC + NE_GEMM_MC))
/* Where ne_gemm_pack_b puts B's element (kr, j) of a k x n matrix, with panel width nr: blocks
 * (j0, k0) at j0 * k + k0 * (block width rounded up to nr), panels [kk][nr] inside. For a caller
 * that writes B straight into the packed layout (a run of columns stays contiguous up to the next
 * multiple of nr). */
static inline int64_t ne_gemm_pb_index(int64_t n, int64_t k, int64_t nr, int64_t kr, int64_t j) {
    const int64_t j0 = j / NE_GEMM_NC * NE_GEMM_NC, k0 = kr / NE_GEMM_KC * NE_GEMM_KC;
    const int64_t kb = k - k0 < NE_GEMM_KC ? k - k0 : NE_GEMM_KC;
    const int64_t nb = n - j0 < NE_GEMM_NC ? n - j0 : NE_GEMM_NC, nbp = (nb + nr - 1) / nr * nr;
    const int64_t jp = (j - j0) / nr * nr;
    return j0 * k + k0 * nbp + jp * kb + (kr - k0) * nr + (j - j0 - jp);
}

/* Rows per A block of a product of `rows` rows: split evenly into blocks of at most MC, rounded
 * up to MR (256 rows are 132 + 124, not 240 + 16: a thin last block re-reads every B panel for
 * little work); the A block a B panel meets stays in L2. */
static inline int64_t ne_gemm_block_rows(int64_t rows) {
    const int64_t nblk = (rows + NE_GEMM_MC - 1) / NE_GEMM_MC;
    return ((rows + nblk - 1) / nblk + NE_GEMM_MR - 1) / NE_GEMM_MR * NE_GEMM_MR;
}
#define NE_GFN(name) NE_CAT(name, NE_S) /* NE_CAT: ne_parallel.h */
#endif

/* ---- per-dtype vector vocabulary ---- */
#undef NE_G_FMA1
#undef NE_G_V512
#undef NE_G_ML512
#undef NE_G_MS512
#undef NE_G_L512
#undef NE_G_B512
#undef NE_G_F512
#undef NE_G_Z512
#undef NE_G_W512
#undef NE_G_V256
#undef NE_G_L256
#undef NE_G_S256
#undef NE_G_B256
#undef NE_G_F256
#undef NE_G_Z256
#undef NE_G_W256
#if defined(NE_GEMM_DOUBLE)
#define NE_G_FMA1 fma
#define NE_G_V512 __m512d
#define NE_G_L512 _mm512_loadu_pd
#define NE_G_ML512(k, p) _mm512_maskz_loadu_pd((__mmask8) (k), p)
#define NE_G_MS512(p, k, v) _mm512_mask_storeu_pd(p, (__mmask8) (k), v)
#define NE_G_B512 _mm512_set1_pd
#define NE_G_F512 _mm512_fmadd_pd
#define NE_G_Z512 _mm512_setzero_pd
#define NE_G_W512 8
#define NE_G_V256 __m256d
#define NE_G_L256 _mm256_loadu_pd
#define NE_G_S256 _mm256_storeu_pd
#define NE_G_B256 _mm256_broadcast_sd
#define NE_G_F256 _mm256_fmadd_pd
#define NE_G_Z256 _mm256_setzero_pd
#define NE_G_W256 4
#else
#define NE_G_FMA1 fmaf
#define NE_G_V512 __m512
#define NE_G_L512 _mm512_loadu_ps
#define NE_G_ML512(k, p) _mm512_maskz_loadu_ps((__mmask16) (k), p)
#define NE_G_MS512(p, k, v) _mm512_mask_storeu_ps(p, (__mmask16) (k), v)
#define NE_G_B512 _mm512_set1_ps
#define NE_G_F512 _mm512_fmadd_ps
#define NE_G_Z512 _mm512_setzero_ps
#define NE_G_W512 16
#define NE_G_V256 __m256
#define NE_G_L256 _mm256_loadu_ps
#define NE_G_S256 _mm256_storeu_ps
#define NE_G_B256 _mm256_broadcast_ss
#define NE_G_F256 _mm256_fmadd_ps
#define NE_G_Z256 _mm256_setzero_ps
#define NE_G_W256 8
#endif

/* The scalar chain of C[0:mb][0:nb] over kb packed steps (ap: [kb][MR], bp: [kb][ldb]). */
static void NE_GFN(ne_gemm_tile_scalar)(int64_t kb, const NE_T* ap, const NE_T* bp, int64_t ldb, NE_T* c, int64_t ldc,
                                        int64_t mb, int64_t nb, int zero) {
    for (int64_t i = 0; i < mb; i++)
        for (int64_t j = 0; j < nb; j++) {
            NE_T s = zero ? (NE_T) 0 : c[i * ldc + j];
            for (int64_t k = 0; k < kb; k++) s = NE_G_FMA1(ap[k * NE_GEMM_MR + i], bp[k * ldb + j], s);
            c[i * ldc + j] = s;
        }
}

#if NE_GEMM_X86
/* AVX-512: C[0:mb][0:nb] (mb <= 12, nb <= 2 vectors) over kb steps of the packed panels. */
/* pf: NULL, or the next A panel (same layout), prefetched into L2 a line per step while this
 * one computes (ne_gemm_sweep_a: weights streaming from memory). */
NE_TARGET_AVX512 static void NE_GFN(ne_gemm_tile_avx512)(int64_t kb, const NE_T* ap, const NE_T* bp,
                                                         NE_T* c, int64_t ldc, int64_t mb,
                                                         int64_t nb, int zero, const NE_T* pf) {
    const int W = NE_G_W512, NR = 2 * NE_G_W512;
    const uint32_t full = (1u << W) - 1;
    const uint32_t k0 = nb >= W ? full : (1u << nb) - 1;
    const uint32_t k1 = nb >= 2 * W ? full : nb > W ? (1u << (nb - W)) - 1 : 0;
    NE_G_V512 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
    NE_G_V512 c60, c61, c70, c71, c80, c81, c90, c91, ca0, ca1, cb0, cb1;
#define NE_G_LD(r, v0, v1)                                                                        \
    if (r < mb && !zero) { v0 = NE_G_ML512(k0, c + r * ldc); v1 = NE_G_ML512(k1, c + r * ldc + W); } \
    else { v0 = NE_G_Z512(); v1 = NE_G_Z512(); }
    NE_G_LD(0, c00, c01) NE_G_LD(1, c10, c11) NE_G_LD(2, c20, c21) NE_G_LD(3, c30, c31)
    NE_G_LD(4, c40, c41) NE_G_LD(5, c50, c51) NE_G_LD(6, c60, c61) NE_G_LD(7, c70, c71)
    NE_G_LD(8, c80, c81) NE_G_LD(9, c90, c91) NE_G_LD(10, ca0, ca1) NE_G_LD(11, cb0, cb1)
#undef NE_G_LD
#ifndef NE_GEMM_NO_PREFETCH_C
    /* The next tile down (usually the next call's C), towards L1 while this one computes: C of
     * the grad-weight GEMM lives in L3 and its loads were exposed (measured 5.7-7.1 -> 5.4-5.7 ms
     * for one backward chunk). Prefetches past the end of C do not fault. */
    for (int r = 0; r < NE_GEMM_MR; r++) {
        _mm_prefetch((const char*) (c + (NE_GEMM_MR + r) * ldc), _MM_HINT_T0);
        _mm_prefetch((const char*) (c + (NE_GEMM_MR + r) * ldc + W), _MM_HINT_T0);
    }
#endif
    for (int64_t k = 0; k < kb; k++) {
        const NE_G_V512 b0 = NE_G_L512(bp + k * NR), b1 = NE_G_L512(bp + k * NR + W);
        const NE_T* a = ap + k * NE_GEMM_MR;
        if (pf) {
            _mm_prefetch((const char*) (pf + k * NE_GEMM_MR), _MM_HINT_T1);
#if defined(NE_GEMM_DOUBLE)
            _mm_prefetch((const char*) (pf + k * NE_GEMM_MR + 8), _MM_HINT_T1);
#endif
        }
        NE_G_V512 t;
#define NE_G_ST(r, v0, v1) t = NE_G_B512(a[r]); v0 = NE_G_F512(t, b0, v0); v1 = NE_G_F512(t, b1, v1);
        NE_G_ST(0, c00, c01) NE_G_ST(1, c10, c11) NE_G_ST(2, c20, c21) NE_G_ST(3, c30, c31)
        NE_G_ST(4, c40, c41) NE_G_ST(5, c50, c51) NE_G_ST(6, c60, c61) NE_G_ST(7, c70, c71)
        NE_G_ST(8, c80, c81) NE_G_ST(9, c90, c91) NE_G_ST(10, ca0, ca1) NE_G_ST(11, cb0, cb1)
#undef NE_G_ST
    }
#define NE_G_SV(r, v0, v1) if (r < mb) { NE_G_MS512(c + r * ldc, k0, v0); NE_G_MS512(c + r * ldc + W, k1, v1); }
    NE_G_SV(0, c00, c01) NE_G_SV(1, c10, c11) NE_G_SV(2, c20, c21) NE_G_SV(3, c30, c31)
    NE_G_SV(4, c40, c41) NE_G_SV(5, c50, c51) NE_G_SV(6, c60, c61) NE_G_SV(7, c70, c71)
    NE_G_SV(8, c80, c81) NE_G_SV(9, c90, c91) NE_G_SV(10, ca0, ca1) NE_G_SV(11, cb0, cb1)
#undef NE_G_SV
}

/* AVX-512, for narrow products (small planes: 7x7 = 49 columns would fill 2 panels of 2 vectors,
 * 64 columns computed for 49): C[0:mb][0:nb] (mb <= 6, nb <= 3 vectors) over kb steps of a B
 * panel [kk][3 vectors], rows roff.. of the packed [kk][MR] A panel ap. With rem > 0 (<= 4) it
 * also runs the chains of rem single columns (bc: [kk][rem], C at cc) for all cmb rows of the
 * panel, one masked fma per column and step, inside the same loop (alone, a single column's
 * chain is bound by the fma latency). The same chain per element as the other tiles (same bits).
 * pf as ne_gemm_tile_avx512's. */
NE_TARGET_AVX512 static void NE_GFN(ne_gemm_tile3_avx512)(int64_t kb, const NE_T* ap, int64_t roff, const NE_T* bp, NE_T* c,
                                                          int64_t ldc, int64_t mb, int64_t nb, int zero, const NE_T* pf,
                                                          int64_t pfs, const NE_T* bc, int64_t rem, NE_T* cc, int64_t cmb) {
    const int W = NE_G_W512, NR = 3 * NE_G_W512;
    const uint32_t full = (1u << W) - 1;
    const uint32_t k0 = nb >= W ? full : (1u << nb) - 1;
    const uint32_t k1 = nb >= 2 * W ? full : nb > W ? (1u << (nb - W)) - 1 : 0;
    const uint32_t k2 = nb >= 3 * W ? full : nb > 2 * W ? (1u << (nb - 2 * W)) - 1 : 0;
    /* the columns' accumulators: MR rows in one vector (float) or two (double) */
    const uint32_t m0 = W >= NE_GEMM_MR ? (1u << NE_GEMM_MR) - 1 : full;
    const int rest = NE_GEMM_MR > W ? NE_GEMM_MR - W : 0;
    const uint32_t m1 = (1u << rest) - 1;
    NE_G_V512 c00, c01, c02, c10, c11, c12, c20, c21, c22, c30, c31, c32, c40, c41, c42, c50, c51, c52;
    NE_G_V512 q00 = NE_G_Z512(), q01 = NE_G_Z512(), q10 = NE_G_Z512(), q11 = NE_G_Z512();
    NE_G_V512 q20 = NE_G_Z512(), q21 = NE_G_Z512(), q30 = NE_G_Z512(), q31 = NE_G_Z512();
#define NE_G_LD(r, v0, v1, v2)                                                                    \
    if (r < mb && !zero) {                                                                        \
        v0 = NE_G_ML512(k0, c + r * ldc); v1 = NE_G_ML512(k1, c + r * ldc + W);                   \
        v2 = NE_G_ML512(k2, c + r * ldc + 2 * W);                                                 \
    } else { v0 = NE_G_Z512(); v1 = NE_G_Z512(); v2 = NE_G_Z512(); }
    NE_G_LD(0, c00, c01, c02) NE_G_LD(1, c10, c11, c12) NE_G_LD(2, c20, c21, c22)
    NE_G_LD(3, c30, c31, c32) NE_G_LD(4, c40, c41, c42) NE_G_LD(5, c50, c51, c52)
#undef NE_G_LD
    NE_T tmp[2 * NE_GEMM_MR];
#define NE_G_CLD(j, v0, v1)                                                                       \
    if (j < rem) {                                                                                \
        for (int i = 0; i < 2 * NE_GEMM_MR; i++) tmp[i] = 0;                                      \
        if (!zero)                                                                                \
            for (int64_t i = 0; i < cmb; i++) tmp[i] = cc[i * ldc + j];                           \
        v0 = NE_G_ML512(m0, tmp);                                                                 \
        if (rest) v1 = NE_G_ML512(m1, tmp + W);                                                   \
    }
    NE_G_CLD(0, q00, q01) NE_G_CLD(1, q10, q11) NE_G_CLD(2, q20, q21) NE_G_CLD(3, q30, q31)
#undef NE_G_CLD
    for (int64_t k = 0; k < kb; k++) {
        const NE_G_V512 b0 = NE_G_L512(bp + k * NR), b1 = NE_G_L512(bp + k * NR + W), b2 = NE_G_L512(bp + k * NR + 2 * W);
        const NE_T* a = ap + k * NE_GEMM_MR + roff;
        if (pf) {
            _mm_prefetch((const char*) (pf + k * pfs), _MM_HINT_T1);
#if defined(NE_GEMM_DOUBLE)
            _mm_prefetch((const char*) (pf + k * pfs + 4), _MM_HINT_T1);
#endif
        }
        NE_G_V512 t;
#define NE_G_ST(r, v0, v1, v2) t = NE_G_B512(a[r]); v0 = NE_G_F512(t, b0, v0); v1 = NE_G_F512(t, b1, v1); v2 = NE_G_F512(t, b2, v2);
        NE_G_ST(0, c00, c01, c02) NE_G_ST(1, c10, c11, c12) NE_G_ST(2, c20, c21, c22)
        NE_G_ST(3, c30, c31, c32) NE_G_ST(4, c40, c41, c42) NE_G_ST(5, c50, c51, c52)
#undef NE_G_ST
        if (rem) {
            const NE_G_V512 a0 = NE_G_ML512(m0, ap + k * NE_GEMM_MR);
            const NE_G_V512 a1 = rest ? NE_G_ML512(m1, ap + k * NE_GEMM_MR + W) : a0;
            const NE_T* bk = bc + k * rem;
#define NE_G_CST(j, v0, v1)                                                                       \
    if (j < rem) { t = NE_G_B512(bk[j]); v0 = NE_G_F512(a0, t, v0); if (rest) v1 = NE_G_F512(a1, t, v1); }
            NE_G_CST(0, q00, q01) NE_G_CST(1, q10, q11) NE_G_CST(2, q20, q21) NE_G_CST(3, q30, q31)
#undef NE_G_CST
        }
    }
#define NE_G_SV(r, v0, v1, v2)                                                                    \
    if (r < mb) { NE_G_MS512(c + r * ldc, k0, v0); NE_G_MS512(c + r * ldc + W, k1, v1); NE_G_MS512(c + r * ldc + 2 * W, k2, v2); }
    NE_G_SV(0, c00, c01, c02) NE_G_SV(1, c10, c11, c12) NE_G_SV(2, c20, c21, c22)
    NE_G_SV(3, c30, c31, c32) NE_G_SV(4, c40, c41, c42) NE_G_SV(5, c50, c51, c52)
#undef NE_G_SV
#define NE_G_CSV(j, v0, v1)                                                                       \
    if (j < rem) {                                                                                \
        NE_G_MS512(tmp, m0, v0);                                                                  \
        if (rest) NE_G_MS512(tmp + W, m1, v1);                                                    \
        for (int64_t i = 0; i < cmb; i++) cc[i * ldc + j] = tmp[i];                               \
    }
    NE_G_CSV(0, q00, q01) NE_G_CSV(1, q10, q11) NE_G_CSV(2, q20, q21) NE_G_CSV(3, q30, q31)
#undef NE_G_CSV
}

/* AVX2: C[0:mb][0:2 vectors] (mb <= 6) over kb steps; ap points at the tile's first row in the
 * packed [kk][MR] panel. */
NE_TARGET_AVX2 static void NE_GFN(ne_gemm_tile6_avx2)(int64_t kb, const NE_T* ap, const NE_T* bp,
                                                      NE_T* c, int64_t ldc, int64_t mb, int zero) {
    const int W = NE_G_W256, NR = 2 * NE_G_W256;
    NE_G_V256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
#define NE_G_LD(r, v0, v1)                                                                        \
    if (r < mb && !zero) { v0 = NE_G_L256(c + r * ldc); v1 = NE_G_L256(c + r * ldc + W); }         \
    else { v0 = NE_G_Z256(); v1 = NE_G_Z256(); }
    NE_G_LD(0, c00, c01) NE_G_LD(1, c10, c11) NE_G_LD(2, c20, c21)
    NE_G_LD(3, c30, c31) NE_G_LD(4, c40, c41) NE_G_LD(5, c50, c51)
#undef NE_G_LD
    for (int64_t k = 0; k < kb; k++) {
        const NE_G_V256 b0 = NE_G_L256(bp + k * NR), b1 = NE_G_L256(bp + k * NR + W);
        const NE_T* a = ap + k * NE_GEMM_MR;
        NE_G_V256 t;
#define NE_G_ST(r, v0, v1) t = NE_G_B256(a + r); v0 = NE_G_F256(t, b0, v0); v1 = NE_G_F256(t, b1, v1);
        NE_G_ST(0, c00, c01) NE_G_ST(1, c10, c11) NE_G_ST(2, c20, c21)
        NE_G_ST(3, c30, c31) NE_G_ST(4, c40, c41) NE_G_ST(5, c50, c51)
#undef NE_G_ST
    }
#define NE_G_SV(r, v0, v1) if (r < mb) { NE_G_S256(c + r * ldc, v0); NE_G_S256(c + r * ldc + W, v1); }
    NE_G_SV(0, c00, c01) NE_G_SV(1, c10, c11) NE_G_SV(2, c20, c21)
    NE_G_SV(3, c30, c31) NE_G_SV(4, c40, c41) NE_G_SV(5, c50, c51)
#undef NE_G_SV
}
#endif

/* Packs A[0:mb][0:kb] (element (i, k) at as[i * ars + k * acs]) as dst[kk][MR], rows past mb 0. */
static void NE_GFN(ne_gemm_pack_a)(const NE_T* as, int64_t ars, int64_t acs, int64_t mb, int64_t kb, NE_T* dst) {
    int64_t i = 0;
    if (acs == 1) {
#if NE_GEMM_X86
#if defined(NE_GEMM_DOUBLE)
        for (; i + 2 <= mb; i += 2) {
            int64_t kk = 0;
            for (; kk + 2 <= kb; kk += 2) {
                const __m128d r0 = _mm_loadu_pd(as + i * ars + kk), r1 = _mm_loadu_pd(as + (i + 1) * ars + kk);
                _mm_storeu_pd(dst + kk * NE_GEMM_MR + i, _mm_unpacklo_pd(r0, r1));
                _mm_storeu_pd(dst + (kk + 1) * NE_GEMM_MR + i, _mm_unpackhi_pd(r0, r1));
            }
            for (; kk < kb; kk++)
                for (int64_t ii = i; ii < i + 2; ii++) dst[kk * NE_GEMM_MR + ii] = as[ii * ars + kk];
        }
#else
        for (; i + 4 <= mb; i += 4) {
            int64_t kk = 0;
            for (; kk + 4 <= kb; kk += 4) {
                __m128 r0 = _mm_loadu_ps(as + i * ars + kk), r1 = _mm_loadu_ps(as + (i + 1) * ars + kk);
                __m128 r2 = _mm_loadu_ps(as + (i + 2) * ars + kk), r3 = _mm_loadu_ps(as + (i + 3) * ars + kk);
                _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
                _mm_storeu_ps(dst + kk * NE_GEMM_MR + i, r0);
                _mm_storeu_ps(dst + (kk + 1) * NE_GEMM_MR + i, r1);
                _mm_storeu_ps(dst + (kk + 2) * NE_GEMM_MR + i, r2);
                _mm_storeu_ps(dst + (kk + 3) * NE_GEMM_MR + i, r3);
            }
            for (; kk < kb; kk++)
                for (int64_t ii = i; ii < i + 4; ii++) dst[kk * NE_GEMM_MR + ii] = as[ii * ars + kk];
        }
#endif
#endif
        for (; i < mb; i++)
            for (int64_t kk = 0; kk < kb; kk++) dst[kk * NE_GEMM_MR + i] = as[i * ars + kk];
    } else {
        for (int64_t kk = 0; kk < kb; kk++)
            for (int64_t ii = 0; ii < mb; ii++) dst[kk * NE_GEMM_MR + ii] = as[ii * ars + kk * acs];
    }
    for (i = mb; i < NE_GEMM_MR; i++)
        for (int64_t kk = 0; kk < kb; kk++) dst[kk * NE_GEMM_MR + i] = 0;
}

/* Panel width (columns of B per micro-kernel) of a variant. */
static int64_t NE_GFN(ne_gemm_nr)(int32_t isa) {
#if NE_GEMM_X86
    return isa == NE_ISA_AVX512 ? 2 * NE_G_W512 : 2 * NE_G_W256;
#else
    (void) isa;
    return 16;
#endif
}

/* Packs B[0:kb][0:nb] (element (k, j) at b[k * bks + j * bjs]) as NR-wide panels
 * [panel][kk][nr], zero past nb. */
static void NE_GFN(ne_gemm_pack_b_block)(const NE_T* b, int64_t bks, int64_t bjs, int64_t kb, int64_t nb, int64_t nr,
                                         NE_T* dst) {
    for (int64_t jp = 0; jp < nb; jp += nr) {
        const int64_t w = nb - jp < nr ? nb - jp : nr;
        NE_T* d = dst + jp * kb;
        const NE_T* src = b + jp * bjs;
        if (bjs == 1) {
            for (int64_t kk = 0; kk < kb; kk++) {
                int64_t j = 0;
                for (; j < w; j++) d[kk * nr + j] = src[kk * bks + j];
                for (; j < nr; j++) d[kk * nr + j] = 0;
            }
        } else {
            for (int64_t j = 0; j < nr; j++)
                for (int64_t kk = 0; kk < kb; kk++) d[kk * nr + j] = j < w ? src[kk * bks + j * bjs] : 0;
        }
    }
}

/* Packed A block (mc rows, [MR-row panel][kk][MR]) against a packed B block (nb columns):
 * C[0:mc][0:nb] over kb, panel by panel of B (each stays in L1 for all of A's panels). */
static void NE_GFN(ne_gemm_sweep)(int64_t mc, int64_t nb, int64_t kb, const NE_T* ap, const NE_T* bp, NE_T* c,
                                  int64_t ldc, int z, int64_t nr, int32_t isa) {
    for (int64_t jp = 0; jp < nb; jp += nr) {
        const int64_t w = nb - jp < nr ? nb - jp : nr;
        const NE_T* bpp = bp + jp * kb;
        for (int64_t ip = 0; ip < mc; ip += NE_GEMM_MR) {
            const int64_t mb = mc - ip < NE_GEMM_MR ? mc - ip : NE_GEMM_MR;
            const NE_T* app = ap + ip * kb;
            NE_T* cs = c + ip * ldc + jp;
#if NE_GEMM_X86
            if (isa == NE_ISA_AVX512) {
                NE_GFN(ne_gemm_tile_avx512)(kb, app, bpp, cs, ldc, mb, w, z, NULL);
                continue;
            }
            if (isa == NE_ISA_AVX2 && w == nr) {
                NE_GFN(ne_gemm_tile6_avx2)(kb, app, bpp, cs, ldc, mb < 6 ? mb : 6, z);
                if (mb > 6) NE_GFN(ne_gemm_tile6_avx2)(kb, app + 6, bpp, cs + 6 * ldc, ldc, mb - 6, z);
                continue;
            }
#else
            (void) isa;
#endif
            NE_GFN(ne_gemm_tile_scalar)(kb, app, bpp, nr, cs, ldc, mb, w, z);
        }
    }
}

/* C[0:rows][0:n] = 0: a product over no k steps that overwrites C. */
static void NE_GFN(ne_gemm_zero)(NE_T* c, int64_t ldc, int64_t rows, int64_t n) {
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < n; j++) c[i * ldc + j] = 0;
}

/* One (NC x KC) block of B, packed (bp), against all m rows of A: C[0:m][0:nb] over kb. */
static void NE_GFN(ne_gemm_block)(int64_t m, int64_t nb, int64_t kb, const NE_T* a, int64_t ars, int64_t acs,
                                  const NE_T* bp, NE_T* c, int64_t ldc, int z, NE_T* ap, int64_t nr, int32_t isa) {
    const int64_t mcs = ne_gemm_block_rows(m);
    for (int64_t i0 = 0; i0 < m; i0 += mcs) {
        const int64_t mc = m - i0 < mcs ? m - i0 : mcs;
        for (int64_t ip = 0; ip < mc; ip += NE_GEMM_MR) {
            const int64_t mb = mc - ip < NE_GEMM_MR ? mc - ip : NE_GEMM_MR;
            NE_GFN(ne_gemm_pack_a)(a + (i0 + ip) * ars, ars, acs, mb, kb, ap + ip * kb);
        }
        NE_GFN(ne_gemm_sweep)(mc, nb, kb, ap, bp, c + i0 * ldc, ldc, z, nr, isa);
    }
}

/* C[m][n] += A B, or C = A B when zero (see the top of this file). isa: an NE_ISA_* code
 * already resolved (ne_isa_resolve); work: NE_GEMM_WORK elements. */
__attribute__((unused)) static void NE_GFN(ne_gemm)(int64_t m, int64_t n, int64_t k, const NE_T* a, int64_t ars, int64_t acs, const NE_T* b,
                            int64_t ldb, NE_T* c, int64_t ldc, int zero, NE_T* work, int32_t isa) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        if (zero) NE_GFN(ne_gemm_zero)(c, ldc, m, n);
        return;
    }
    const int64_t nr = NE_GFN(ne_gemm_nr)(isa);
    for (int64_t j0 = 0; j0 < n; j0 += NE_GEMM_NC) {
        const int64_t nb = n - j0 < NE_GEMM_NC ? n - j0 : NE_GEMM_NC;
        for (int64_t k0 = 0; k0 < k; k0 += NE_GEMM_KC) {
            const int64_t kb = k - k0 < NE_GEMM_KC ? k - k0 : NE_GEMM_KC;
            NE_GFN(ne_gemm_pack_b_block)(b + k0 * ldb + j0, ldb, 1, kb, nb, nr, work);
            NE_GFN(ne_gemm_block)(m, nb, kb, a + k0 * acs, ars, acs, work, c + j0, ldc, zero && k0 == 0,
                                  work + NE_GEMM_KC * NE_GEMM_NC, nr, isa);
        }
    }
}

/* Elements of B[k][n] packed once for ne_gemm_pb with variant isa. */
static int64_t NE_GFN(ne_gemm_pb_size)(int64_t n, int64_t k, int32_t isa) {
    const int64_t nr = NE_GFN(ne_gemm_nr)(isa);
    return (n + nr - 1) / nr * nr * k;
}

/* Packs the NR-wide panels [pan0, pan1) (columns [pan0 * NR, pan1 * NR) of B) of all of B[k][n]
 * (element (k, j) at b[k * bks + j * bjs]: bjs = 1 row-major, bks = 1 a transposed matrix) for
 * ne_gemm_pb: block (j0, k0) at j0 * k + k0 * (its width rounded up to NR), panels [kk][NR]
 * inside (ne_gemm_pb_index). Panels are independent: callers may pack them on several threads. */
static void NE_GFN(ne_gemm_pack_b_panels)(int64_t n, int64_t k, const NE_T* b, int64_t bks, int64_t bjs, NE_T* dst,
                                          int32_t isa, int64_t pan0, int64_t pan1) {
    const int64_t nr = NE_GFN(ne_gemm_nr)(isa);
    for (int64_t pan = pan0; pan < pan1; pan++) {
        const int64_t j = pan * nr, j0 = j / NE_GEMM_NC * NE_GEMM_NC;
        if (j >= n) break;
        const int64_t nb = n - j0 < NE_GEMM_NC ? n - j0 : NE_GEMM_NC, nbp = (nb + nr - 1) / nr * nr;
        const int64_t w = n - j < nr ? n - j : nr;
        for (int64_t k0 = 0; k0 < k; k0 += NE_GEMM_KC) {
            const int64_t kb = k - k0 < NE_GEMM_KC ? k - k0 : NE_GEMM_KC;
            NE_GFN(ne_gemm_pack_b_block)(b + k0 * bks + j * bjs, bks, bjs, kb, w, nr,
                                         dst + j0 * k + k0 * nbp + (j - j0) * kb);
        }
    }
}

/* All of B packed for ne_gemm_pb (see ne_gemm_pack_b_panels). */
__attribute__((unused)) static void NE_GFN(ne_gemm_pack_b)(int64_t n, int64_t k, const NE_T* b, int64_t bks, int64_t bjs, NE_T* dst,
                                   int32_t isa) {
    const int64_t nr = NE_GFN(ne_gemm_nr)(isa);
    NE_GFN(ne_gemm_pack_b_panels)(n, k, b, bks, bjs, dst, isa, 0, (n + nr - 1) / nr);
}

/* ne_gemm with B packed beforehand by ne_gemm_pack_b (same n, k, isa), or written straight in
 * that layout (ne_gemm_pb_index): for a B used by many calls (weights) or built by the caller.
 * A is packed once per (MC x KC) block and swept over all of n. work: NE_GEMM_WORK elements
 * (only its A part is used). Same bits as ne_gemm. */
static void NE_GFN(ne_gemm_pb)(int64_t m, int64_t n, int64_t k, const NE_T* a, int64_t ars, int64_t acs,
                               const NE_T* bpacked, NE_T* c, int64_t ldc, int zero, NE_T* work, int32_t isa) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        if (zero) NE_GFN(ne_gemm_zero)(c, ldc, m, n);
        return;
    }
    const int64_t nr = NE_GFN(ne_gemm_nr)(isa);
    NE_T* ap = work + NE_GEMM_KC * NE_GEMM_NC;
    const int64_t mcs = ne_gemm_block_rows(m);
    for (int64_t k0 = 0; k0 < k; k0 += NE_GEMM_KC) {
        const int64_t kb = k - k0 < NE_GEMM_KC ? k - k0 : NE_GEMM_KC;
        const int z = zero && k0 == 0;
        for (int64_t i0 = 0; i0 < m; i0 += mcs) {
            const int64_t mc = m - i0 < mcs ? m - i0 : mcs;
            for (int64_t ip = 0; ip < mc; ip += NE_GEMM_MR) {
                const int64_t mb = mc - ip < NE_GEMM_MR ? mc - ip : NE_GEMM_MR;
                NE_GFN(ne_gemm_pack_a)(a + (i0 + ip) * ars + k0 * acs, ars, acs, mb, kb, ap + ip * kb);
            }
            for (int64_t j0 = 0; j0 < n; j0 += NE_GEMM_NC) {
                const int64_t nb = n - j0 < NE_GEMM_NC ? n - j0 : NE_GEMM_NC, nbp = (nb + nr - 1) / nr * nr;
                NE_GFN(ne_gemm_sweep)(mc, nb, kb, ap, bpacked + j0 * k + k0 * nbp, c + i0 * ldc + j0, ldc, z, nr, isa);
            }
        }
    }
}

/* ---- A packed once: the weights of a layer, used by every call ----
 * ne_gemm packs each (MC x KC) block of A on every call; a caller whose A is the same on every
 * call (a convolution's weights) packs it once with ne_gemm_pack_a_panels and runs ne_gemm_pa.
 * Layout of A[m][k] packed (ne_gemm_pa_size elements, the same for every isa): per KC block k0
 * (width kb), the MR-row panels [kk][MR] of all rows one after the other, panel p at
 * k0 * mp + p * MR * kb (mp: m rounded up to MR), rows past m zero. */
static int64_t NE_GFN(ne_gemm_pa_size)(int64_t m, int64_t k) {
    return (m + NE_GEMM_MR - 1) / NE_GEMM_MR * NE_GEMM_MR * k;
}

/* Packs the MR-row panels [pan0, pan1) of A[m][k] (element (i, k) at a[i * ars + k * acs]) for
 * ne_gemm_pa. Panels are independent: callers may pack them on several threads. */
__attribute__((unused)) static void NE_GFN(ne_gemm_pack_a_panels)(int64_t m, int64_t k, const NE_T* a, int64_t ars,
                                                                    int64_t acs, NE_T* dst, int64_t pan0, int64_t pan1) {
    const int64_t mp = (m + NE_GEMM_MR - 1) / NE_GEMM_MR * NE_GEMM_MR;
    for (int64_t k0 = 0; k0 < k; k0 += NE_GEMM_KC) {
        const int64_t kb = k - k0 < NE_GEMM_KC ? k - k0 : NE_GEMM_KC;
        for (int64_t pan = pan0; pan < pan1; pan++) {
            const int64_t i = pan * NE_GEMM_MR;
            if (i >= m) break;
            const int64_t mb = m - i < NE_GEMM_MR ? m - i : NE_GEMM_MR;
            NE_GFN(ne_gemm_pack_a)(a + i * ars + k0 * acs, ars, acs, mb, kb, dst + k0 * mp + i * kb);
        }
    }
}

/* ne_gemm_sweep with the loops the other way round, for an A that streams from memory (weights
 * packed once, read once per call) against a B block that stays in L2: each A panel is loaded
 * once and meets every B panel while it is in L1, so the stream from memory overlaps the tiles
 * instead of being paid for in full before the first B panel's tiles end. Same tiles, same bits. */
static void NE_GFN(ne_gemm_sweep_a)(int64_t mc, int64_t nb, int64_t kb, const NE_T* ap, const NE_T* bp, NE_T* c,
                                    int64_t ldc, int z, int64_t nr, int32_t isa) {
    for (int64_t ip = 0; ip < mc; ip += NE_GEMM_MR) {
        const int64_t mb = mc - ip < NE_GEMM_MR ? mc - ip : NE_GEMM_MR;
        const NE_T* app = ap + ip * kb;
#if NE_GEMM_X86
        if (isa == NE_ISA_AVX512) {
            const NE_T* pf = ip + NE_GEMM_MR < mc ? app + NE_GEMM_MR * kb : NULL;
            for (int64_t jp = 0; jp < nb; jp += nr) {
                const int64_t w = nb - jp < nr ? nb - jp : nr;
                NE_GFN(ne_gemm_tile_avx512)(kb, app, bp + jp * kb, c + ip * ldc + jp, ldc, mb, w, z, jp == 0 ? pf : NULL);
            }
            continue;
        }
#endif
        NE_GFN(ne_gemm_sweep)(mb, nb, kb, app, bp, c + ip * ldc, ldc, z, nr, isa);
    }
}

/* acc[0:MR] over kb steps of one packed A panel against one column of B (stride ldb). */
static void NE_GFN(ne_gemm_col_scalar)(int64_t kb, const NE_T* ap, const NE_T* b, int64_t ldb, NE_T* acc) {
    for (int64_t t = 0; t < kb; t++)
        for (int i = 0; i < NE_GEMM_MR; i++) acc[i] = NE_G_FMA1(ap[t * NE_GEMM_MR + i], b[t * ldb], acc[i]);
}

#if NE_GEMM_X86
NE_TARGET_AVX512 static void NE_GFN(ne_gemm_col_avx512)(int64_t kb, const NE_T* ap, const NE_T* b, int64_t ldb, NE_T* acc) {
    const int W = NE_G_W512;
    const uint32_t m0 = W >= NE_GEMM_MR ? (1u << NE_GEMM_MR) - 1 : (1u << W) - 1;
    const int rest = NE_GEMM_MR > W ? NE_GEMM_MR - W : 0;
    const uint32_t m1 = (1u << rest) - 1;
    NE_G_V512 a0 = NE_G_ML512(m0, acc), a1 = NE_G_ML512(m1, acc + W);
    for (int64_t t = 0; t < kb; t++) {
        const NE_G_V512 bv = NE_G_B512(b[t * ldb]);
        a0 = NE_G_F512(NE_G_ML512(m0, ap + t * NE_GEMM_MR), bv, a0);
        a1 = NE_G_F512(NE_G_ML512(m1, ap + t * NE_GEMM_MR + W), bv, a1);
    }
    NE_G_MS512(acc, m0, a0);
    NE_G_MS512(acc + W, m1, a1);
}
#endif

/* ne_gemm_pa for one column of B (a fully connected layer on one image): the tiles would
 * compute 32 columns for it; this runs each row's chain alone (the same chain, the same bits). */
static void NE_GFN(ne_gemm_pa_col)(int64_t m, int64_t k, const NE_T* apacked, int64_t r0, int64_t r1, int64_t k0,
                                   int64_t k1, const NE_T* b, int64_t ldb, NE_T* c, int64_t ldc, int zero, int32_t isa) {
    const int64_t mp = (m + NE_GEMM_MR - 1) / NE_GEMM_MR * NE_GEMM_MR;
    for (int64_t i0 = r0; i0 < r1; i0 += NE_GEMM_MR) {
        const int64_t mb = r1 - i0 < NE_GEMM_MR ? r1 - i0 : NE_GEMM_MR;
        NE_T acc[2 * NE_GEMM_MR];
        for (int i = 0; i < 2 * NE_GEMM_MR; i++) acc[i] = 0;
        if (!zero)
            for (int64_t i = 0; i < mb; i++) acc[i] = c[(i0 - r0 + i) * ldc];
        for (int64_t kk = k0; kk < k1; kk += NE_GEMM_KC) {
            const int64_t kb = k - kk < NE_GEMM_KC ? k - kk : NE_GEMM_KC;
            const NE_T* ap = apacked + kk * mp + i0 * kb;
            const NE_T* bb = b + (kk - k0) * ldb;
#if NE_GEMM_X86
            if (isa == NE_ISA_AVX512) {
                NE_GFN(ne_gemm_col_avx512)(kb, ap, bb, ldb, acc);
                continue;
            }
#else
            (void) isa;
#endif
            NE_GFN(ne_gemm_col_scalar)(kb, ap, bb, ldb, acc);
        }
        for (int64_t i = 0; i < mb; i++) c[(i0 - r0 + i) * ldc] = acc[i];
    }
}

/* Whether ne_gemm_pa runs a block of nb columns as 3-vector panels plus a few single columns
 * (ne_gemm_sweep_narrow) rather than 2-vector panels: where that computes fewer vectors per
 * row (a single column costs about a sixth of a vector: one masked fma for a 12-row panel, its
 * A row loaded apart). 7x7 planes: 49 columns, 3 vectors + 1 column instead of 4 vectors;
 * 14x14: 196, 12 + 4 columns instead of 14. AVX-512 only; the chains are the same. */
static int NE_GFN(ne_gemm_narrow)(int64_t nb, int32_t isa) {
#if NE_GEMM_X86
    const int64_t w3 = 3 * NE_G_W512, q = nb / w3, rem = nb % w3;
    const int64_t old = (nb + 2 * NE_G_W512 - 1) / (2 * NE_G_W512) * 2;
    return isa == NE_ISA_AVX512 && q >= 1 && rem <= 4 && 18 * q + rem < 6 * old;
#else
    (void) nb;
    (void) isa;
    return 0;
#endif
}

#if NE_GEMM_X86
/* ne_gemm_sweep_a for a B block packed as nb / (3 vectors) panels [kk][3W], then the last
 * rem = nb % 3W (<= 4) columns as [kk][rem] (ne_gemm_narrow): tiles of 8 + 4 rows x 3 vectors,
 * the last columns one at a time on ne_gemm_col_avx512. Same chains, same bits. */
static void NE_GFN(ne_gemm_sweep_narrow)(int64_t mc, int64_t nb, int64_t kb, const NE_T* ap, const NE_T* bp, NE_T* c,
                                         int64_t ldc, int z) {
    const int64_t w3 = 3 * NE_G_W512, q = nb / w3, rem = nb % w3;
    for (int64_t ks0 = 0; ks0 < kb; ks0 += NE_GEMM_KSUB) {
        const int64_t ks = kb - ks0 < NE_GEMM_KSUB ? kb - ks0 : NE_GEMM_KSUB;
        const NE_T* br = bp + q * w3 * kb + ks0 * rem;
        for (int64_t ip = 0; ip < mc; ip += NE_GEMM_MR) {
            const int64_t mb = mc - ip < NE_GEMM_MR ? mc - ip : NE_GEMM_MR;
            const NE_T* app = ap + ip * kb + ks0 * NE_GEMM_MR;
            /* the next panel (the next rows' in this KC block, also past this sweep's rows: the
             * weights stream from memory in this order), half of it prefetched into L2 by each of
             * the first 3-vector panel's two calls: spread over the panel's time, fewer prefetches
             * are dropped than when one call asked for all of it (7x7 planes: a panel lasts ~1.6
             * us). One thread, everything from memory (1 GiB written between runs), 3 runs each:
             * 3x3 512 on 7x7 1.76-1.84 -> 1.69-1.73 ms, 3x3/2 512 14->7 1.82-1.88 -> 1.71-1.73,
             * 1x1 512->2048 on 7x7 0.70-0.77 -> 0.66-0.67, 2048->512 0.72-0.76 -> 0.69-0.70 */
            const NE_T* pf = app + NE_GEMM_MR * kb;
            NE_T* cs = c + ip * ldc;
            /* rows 0-5 then 6-11 of the panel; the single columns ride with the panel's first call on
             * the last 3-vector panel (all MR rows) */
            const int zs = z && ks0 == 0;
            for (int64_t p = 0; p < q; p++) {
                const int last = p == q - 1;
                NE_GFN(ne_gemm_tile3_avx512)(ks, app, 0, bp + p * w3 * kb + ks0 * w3, cs + p * w3, ldc, mb < 6 ? mb : 6, w3, zs,
                                             p == 0 ? pf : NULL, NE_GEMM_MR / 2, br, last ? rem : 0, cs + q * w3, mb);
                if (mb > 6)
                    NE_GFN(ne_gemm_tile3_avx512)(ks, app, 6, bp + p * w3 * kb + ks0 * w3, cs + 6 * ldc + p * w3, ldc, mb - 6, w3, zs,
                                                 p == 0 ? pf + NE_GEMM_MR / 2 * ks : NULL, NE_GEMM_MR / 2, br, 0, cs, 0);
            }
        }
    }
}
#endif

/* C[0:r1-r0][0:n] (+)= A[r0:r1][k0:k1] B with A[m][k] packed by ne_gemm_pack_a_panels; r0 a
 * multiple of MR, k0 a multiple of KC and k1 one too or k; c points at C's row for A's row r0, b at B's row
 * for k0 (row-major, ldb). A caller covering k in ascending ranges, or splitting rows or
 * columns between threads, gets the bits of one ne_gemm call (the same chain per element).
 * work: NE_GEMM_KC * NE_GEMM_NC elements (B's packed block). */
__attribute__((unused)) static void NE_GFN(ne_gemm_pa)(int64_t m, int64_t k, const NE_T* apacked, int64_t r0, int64_t r1,
                                                         int64_t k0, int64_t k1, int64_t n, const NE_T* b, int64_t ldb,
                                                         NE_T* c, int64_t ldc, int zero, NE_T* work, int32_t isa) {
    const int64_t rows = r1 - r0;
    if (rows <= 0 || n <= 0) return;
    if (k1 <= k0) {
        if (zero) NE_GFN(ne_gemm_zero)(c, ldc, rows, n);
        return;
    }
    if (n == 1) {
        NE_GFN(ne_gemm_pa_col)(m, k, apacked, r0, r1, k0, k1, b, ldb, c, ldc, zero, isa);
        return;
    }
    const int64_t nr = NE_GFN(ne_gemm_nr)(isa), mp = (m + NE_GEMM_MR - 1) / NE_GEMM_MR * NE_GEMM_MR;
    const int64_t mcs = ne_gemm_block_rows(rows);
    for (int64_t j0 = 0; j0 < n; j0 += NE_GEMM_NC) {
        const int64_t nb = n - j0 < NE_GEMM_NC ? n - j0 : NE_GEMM_NC;
        for (int64_t kk = k0; kk < k1; kk += NE_GEMM_KC) {
            const int64_t kb = k - kk < NE_GEMM_KC ? k - kk : NE_GEMM_KC;   /* the packed block's width */
#if NE_GEMM_X86
            if (NE_GFN(ne_gemm_narrow)(nb, isa)) {
                const int64_t w3 = 3 * NE_G_W512, q = nb / w3;
                NE_GFN(ne_gemm_pack_b_block)(b + (kk - k0) * ldb + j0, ldb, 1, kb, q * w3, w3, work);
                if (nb > q * w3)
                    NE_GFN(ne_gemm_pack_b_block)(b + (kk - k0) * ldb + j0 + q * w3, ldb, 1, kb, nb - q * w3, nb - q * w3,
                                                 work + q * w3 * kb);
                for (int64_t i0 = 0; i0 < rows; i0 += mcs) {
                    const int64_t mc = rows - i0 < mcs ? rows - i0 : mcs;
                    NE_GFN(ne_gemm_sweep_narrow)(mc, nb, kb, apacked + kk * mp + (r0 + i0) * kb, work, c + i0 * ldc + j0, ldc,
                                                 zero && kk == k0);
                }
                continue;
            }
#endif
            NE_GFN(ne_gemm_pack_b_block)(b + (kk - k0) * ldb + j0, ldb, 1, kb, nb, nr, work);
            for (int64_t i0 = 0; i0 < rows; i0 += mcs) {
                const int64_t mc = rows - i0 < mcs ? rows - i0 : mcs;
                NE_GFN(ne_gemm_sweep_a)(mc, nb, kb, apacked + kk * mp + (r0 + i0) * kb, work, c + i0 * ldc + j0, ldc,
                                        zero && kk == k0, nr, isa);
            }
        }
    }
}

/* ---- Narrow products on a B packed once (Winograd's V on small planes: 49 tiles of 14x14 or
 * 28x28), in the layout ne_gemm_pa packs a narrow block in, so that the product neither packs B
 * per call (F(2x2): ne_gemm_pa per product) nor computes 2-vector panels that hold 64 columns
 * for 49 (F(4x4): ne_gemm_pab). One thread, tools/profile/conv_profile.c, min of 500, alternated:
 * 3x3 128 on 28x28 (F(4x4)) 0.633-0.649 -> 0.565-0.591 ms, 3x3 256 on 14x14 (F(2x2)) 0.730 ->
 * 0.702-0.710 ms; the same bits. ---- */

/* Whether ne_gemm_pabn runs an n-column B: ne_gemm_pa's narrow sweep would, in one NC block. */
static int NE_GFN(ne_gemm_pbn_fits)(int64_t n, int32_t isa) {
    return n <= NE_GEMM_NC && NE_GFN(ne_gemm_narrow)(n, isa);
}

/* Where element (kr, j) of a k x n B goes in the narrow packed layout (k * n elements): per KC
 * block of rows (first row k0, kb rows) at k0 * n, its n / 3W panels [kb][3W] and then its
 * n % 3W last columns [kb][n % 3W]. A run of columns stays contiguous up to the next multiple
 * of 3W (NE_GEMM_PBN_W). */
#define NE_GEMM_PBN_W (3 * NE_G_W512)
static inline int64_t NE_GFN(ne_gemm_pbn_index)(int64_t n, int64_t k, int64_t kr, int64_t j) {
    const int64_t k0 = kr / NE_GEMM_KC * NE_GEMM_KC, kb = k - k0 < NE_GEMM_KC ? k - k0 : NE_GEMM_KC;
    const int64_t jp = j / NE_GEMM_PBN_W * NE_GEMM_PBN_W, pw = n - jp < NE_GEMM_PBN_W ? n - jp : NE_GEMM_PBN_W;
    return k0 * n + jp * kb + (kr - k0) * pw + (j - jp);
}

/* ne_gemm_pa with B packed (ne_gemm_pbn_index) for an n where ne_gemm_pbn_fits: the same
 * chains, the same bits. */
__attribute__((unused)) static void NE_GFN(ne_gemm_pabn)(int64_t m, int64_t k, const NE_T* apacked, int64_t r0, int64_t r1,
                                                           int64_t n, const NE_T* bpacked, NE_T* c, int64_t ldc, int zero) {
    const int64_t rows = r1 - r0;
    if (rows <= 0 || n <= 0) return;
    if (k <= 0) {
        if (zero) NE_GFN(ne_gemm_zero)(c, ldc, rows, n);
        return;
    }
    const int64_t mp = (m + NE_GEMM_MR - 1) / NE_GEMM_MR * NE_GEMM_MR;
    const int64_t mcs = ne_gemm_block_rows(rows);
    for (int64_t kk = 0; kk < k; kk += NE_GEMM_KC) {
        const int64_t kb = k - kk < NE_GEMM_KC ? k - kk : NE_GEMM_KC;
        for (int64_t i0 = 0; i0 < rows; i0 += mcs) {
            const int64_t mc = rows - i0 < mcs ? rows - i0 : mcs;
#if NE_GEMM_X86
            NE_GFN(ne_gemm_sweep_narrow)(mc, n, kb, apacked + kk * mp + (r0 + i0) * kb, bpacked + kk * n, c + i0 * ldc, ldc,
                                         zero && kk == 0);
#else
            (void) mc;
#endif
        }
    }
}

/* ---- Narrow last panels (Winograd's products: n = 169 tiles of a 50x50 plane is 5 panels of
 * 32 and one of 9, which the 2-vector tile computes 32 wide). The AVX-512 tile below computes
 * 12 rows x 1 vector: a last panel of at most 16 columns costs half a tile. Same chain per
 * element (c = fma(a, b, c) over ascending k), so the same bits as the 2-vector tile. ---- */
#if NE_GEMM_X86
NE_TARGET_AVX512 static void NE_GFN(ne_gemm_tile1_avx512)(int64_t kb, const NE_T* ap, const NE_T* bp, NE_T* c,
                                                          int64_t ldc, int64_t mb, int64_t nb, int zero) {
    const int W = NE_G_W512, NR = 2 * NE_G_W512;
    const uint32_t k0 = nb >= W ? (1u << W) - 1 : (1u << nb) - 1;
    NE_G_V512 c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, ca, cb;
#define NE_G_LD(r, v) if (r < mb && !zero) v = NE_G_ML512(k0, c + r * ldc); else v = NE_G_Z512();
    NE_G_LD(0, c0) NE_G_LD(1, c1) NE_G_LD(2, c2) NE_G_LD(3, c3) NE_G_LD(4, c4) NE_G_LD(5, c5)
    NE_G_LD(6, c6) NE_G_LD(7, c7) NE_G_LD(8, c8) NE_G_LD(9, c9) NE_G_LD(10, ca) NE_G_LD(11, cb)
#undef NE_G_LD
    for (int64_t k = 0; k < kb; k++) {
        const NE_G_V512 b0 = NE_G_L512(bp + k * NR);
        const NE_T* a = ap + k * NE_GEMM_MR;
#define NE_G_ST(r, v) v = NE_G_F512(NE_G_B512(a[r]), b0, v);
        NE_G_ST(0, c0) NE_G_ST(1, c1) NE_G_ST(2, c2) NE_G_ST(3, c3) NE_G_ST(4, c4) NE_G_ST(5, c5)
        NE_G_ST(6, c6) NE_G_ST(7, c7) NE_G_ST(8, c8) NE_G_ST(9, c9) NE_G_ST(10, ca) NE_G_ST(11, cb)
#undef NE_G_ST
    }
#define NE_G_SV(r, v) if (r < mb) NE_G_MS512(c + r * ldc, k0, v);
    NE_G_SV(0, c0) NE_G_SV(1, c1) NE_G_SV(2, c2) NE_G_SV(3, c3) NE_G_SV(4, c4) NE_G_SV(5, c5)
    NE_G_SV(6, c6) NE_G_SV(7, c7) NE_G_SV(8, c8) NE_G_SV(9, c9) NE_G_SV(10, ca) NE_G_SV(11, cb)
#undef NE_G_SV
}

/* AVX-512: C[0:mb][0:nb] (mb <= 4, nb <= 2 vectors): the last rows of an m that is not a
 * multiple of MR (256 = 21 x 12 + 4), which the 12-row tile computes 12 high. */
NE_TARGET_AVX512 static void NE_GFN(ne_gemm_tile4_avx512)(int64_t kb, const NE_T* ap, const NE_T* bp, NE_T* c,
                                                          int64_t ldc, int64_t mb, int64_t nb, int zero) {
    const int W = NE_G_W512, NR = 2 * NE_G_W512;
    const uint32_t full = (1u << W) - 1;
    const uint32_t k0 = nb >= W ? full : (1u << nb) - 1;
    const uint32_t k1 = nb >= 2 * W ? full : nb > W ? (1u << (nb - W)) - 1 : 0;
    NE_G_V512 c00, c01, c10, c11, c20, c21, c30, c31;
#define NE_G_LD(r, v0, v1)                                                                        \
    if (r < mb && !zero) { v0 = NE_G_ML512(k0, c + r * ldc); v1 = NE_G_ML512(k1, c + r * ldc + W); } \
    else { v0 = NE_G_Z512(); v1 = NE_G_Z512(); }
    NE_G_LD(0, c00, c01) NE_G_LD(1, c10, c11) NE_G_LD(2, c20, c21) NE_G_LD(3, c30, c31)
#undef NE_G_LD
    for (int64_t k = 0; k < kb; k++) {
        const NE_G_V512 b0 = NE_G_L512(bp + k * NR), b1 = NE_G_L512(bp + k * NR + W);
        const NE_T* a = ap + k * NE_GEMM_MR;
        NE_G_V512 t;
#define NE_G_ST(r, v0, v1) t = NE_G_B512(a[r]); v0 = NE_G_F512(t, b0, v0); v1 = NE_G_F512(t, b1, v1);
        NE_G_ST(0, c00, c01) NE_G_ST(1, c10, c11) NE_G_ST(2, c20, c21) NE_G_ST(3, c30, c31)
#undef NE_G_ST
    }
#define NE_G_SV(r, v0, v1) if (r < mb) { NE_G_MS512(c + r * ldc, k0, v0); NE_G_MS512(c + r * ldc + W, k1, v1); }
    NE_G_SV(0, c00, c01) NE_G_SV(1, c10, c11) NE_G_SV(2, c20, c21) NE_G_SV(3, c30, c31)
#undef NE_G_SV
}
#endif

/* ne_gemm_sweep_a with the narrow tiles on AVX-512: panels of at most one vector, panels of at most 4 rows. */
static void NE_GFN(ne_gemm_sweep_an)(int64_t mc, int64_t nb, int64_t kb, const NE_T* ap, const NE_T* bp, NE_T* c,
                                     int64_t ldc, int z, int64_t nr, int32_t isa) {
#if NE_GEMM_X86
    if (isa == NE_ISA_AVX512) {
        for (int64_t ip = 0; ip < mc; ip += NE_GEMM_MR) {
            const int64_t mb = mc - ip < NE_GEMM_MR ? mc - ip : NE_GEMM_MR;
            const NE_T* app = ap + ip * kb;
            const NE_T* pf = ip + NE_GEMM_MR < mc ? app + NE_GEMM_MR * kb : NULL;
            for (int64_t jp = 0; jp < nb; jp += nr) {
                const int64_t w = nb - jp < nr ? nb - jp : nr;
                if (mb <= 4)
                    NE_GFN(ne_gemm_tile4_avx512)(kb, app, bp + jp * kb, c + ip * ldc + jp, ldc, mb, w, z);
                else if (w <= NE_G_W512)
                    NE_GFN(ne_gemm_tile1_avx512)(kb, app, bp + jp * kb, c + ip * ldc + jp, ldc, mb, w, z);
                else
                    NE_GFN(ne_gemm_tile_avx512)(kb, app, bp + jp * kb, c + ip * ldc + jp, ldc, mb, w, z, jp == 0 ? pf : NULL);
            }
        }
        return;
    }
#endif
    NE_GFN(ne_gemm_sweep_a)(mc, nb, kb, ap, bp, c, ldc, z, nr, isa);
}

/* ne_gemm_pa with B[k][n] packed beforehand in ne_gemm_pack_b's layout for (n, k, isa)
 * (ne_gemm_pb_index), e.g. written straight in that layout by the code that produces it:
 * C[0:r1-r0][0:n] (+)= A[r0:r1][0:k] B. Same bits as ne_gemm;
 * the last panel, where narrow, takes ne_gemm_sweep_an's narrow tiles. */
__attribute__((unused)) static void NE_GFN(ne_gemm_pab)(int64_t m, int64_t k, const NE_T* apacked, int64_t r0, int64_t r1,
                                                          int64_t n, const NE_T* bpacked, NE_T* c, int64_t ldc, int zero,
                                                          int32_t isa) {
    const int64_t rows = r1 - r0;
    if (rows <= 0 || n <= 0) return;
    if (k <= 0) {
        if (zero) NE_GFN(ne_gemm_zero)(c, ldc, rows, n);
        return;
    }
    const int64_t nr = NE_GFN(ne_gemm_nr)(isa), mp = (m + NE_GEMM_MR - 1) / NE_GEMM_MR * NE_GEMM_MR;
    const int64_t mcs = ne_gemm_block_rows(rows);
    for (int64_t j0 = 0; j0 < n; j0 += NE_GEMM_NC) {
        const int64_t nb = n - j0 < NE_GEMM_NC ? n - j0 : NE_GEMM_NC, nbp = (nb + nr - 1) / nr * nr;
        for (int64_t kk = 0; kk < k; kk += NE_GEMM_KC) {
            const int64_t kb = k - kk < NE_GEMM_KC ? k - kk : NE_GEMM_KC;
            for (int64_t i0 = 0; i0 < rows; i0 += mcs) {
                const int64_t mc = rows - i0 < mcs ? rows - i0 : mcs;
                NE_GFN(ne_gemm_sweep_an)(mc, nb, kb, apacked + kk * mp + (r0 + i0) * kb, bpacked + j0 * k + kk * nbp,
                                         c + i0 * ldc + j0, ldc, zero && kk == 0, nr, isa);
            }
        }
    }
}
