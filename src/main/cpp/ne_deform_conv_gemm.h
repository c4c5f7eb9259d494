/* Deformable convolution's own product loops on AVX-512, beside ne_gemm.h (whose functions they
 * call and never change): the same tiles' arithmetic, so every element of C is the same chain as
 * ne_gemm.h's (c = fma(a[i][k], b[k][j], c), k ascending, from C or +0) and the results are the
 * bits of ne_gemm_pb / ne_gemm_sweep, which the AVX2 and baseline variants still run. Included per
 * dtype after ne_gemm.h and ne_deform_conv_kernels.h (NE_FN, NE_T, NE_GEMM_DOUBLE).
 *  - Forward (ne_dcn_gemm_ra): one KC slice of the sampled rows times the packed weight, with A
 *    read where the sampling wrote it. ne_gemm_pb packs A into MR-row panels [kk][MR] (4 x 4
 *    transposes) before its tiles read them, but the micro-kernel only broadcasts A's elements one
 *    at a time, which it can do from any address: ne_dcn_tile_ra broadcasts straight from the 12
 *    rows of the slice (row stride KC + one line: 12 sequential streams), so the rows are never
 *    copied a second time (forward GEMM 17.1 -> 14.9 ms, profile build); the last slice's tiles
 *    write their 12 x 32 results transposed into the NCHW output (ne_dcn_tile_rao) instead of a
 *    transpose pass over the [positions][C_out] tile afterwards; the first slice's chains start
 *    from the bias (ne_dcn_tile_rab) instead of from a tile filled with it.
 *  - Column gradient (ne_dcn_gemm_pf): W' (2.4 MB, more than L2) streams from L3 for every
 *    sub-block of positions and each of its panels meets only 8-9 tiles; each tile prefetches its
 *    share of the next panel towards L2 (backward 38.5-39.7 -> 37.5-38.7 ms).
 *  - Grad weight (ne_dcn_sweep4): C_out = 256 = 21 x 12 + 4 rows; the last 4-row panel runs on
 *    ne_gemm.h's 4-row tile instead of a whole 12-row one (that product 15.1 -> 14.5 ms).
 * Tried and not kept (same bits, no gain measured): the backward's two products reading grad
 * output in place (rows or columns 10 KB apart: column gradient 16 -> 20+ ms), the column
 * gradient's A packed by 12-element copies instead of ne_gemm_pack_a (the same time), prefetching
 * the next weight panel in the forward (its panels meet 18 tiles: the same time), prefetching the
 * column gradient's next C tile (noise), the grad-weight product's last chunk written straight
 * into grad weight's [co][ci][t] layout (36-byte-strided stores: slower than the permutation). */

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

/* ne_dcn_tile_ra's prefetch: one line every NE_DCN_PFS steps, towards L2 (1: 19.1-20.6 ms for the
 * column gradient, 2: 19.0-19.8, 4: 19.5-21.2, without: 19.6-20.4, with its grad offset / mask) */
#ifndef NE_DCN_PFS
#define NE_DCN_PFS 2
#endif
/* ne_dcn_pack_at's prefetch distance in rows of grad output (2-8: the same) */
#ifndef NE_DCN_PKD
#define NE_DCN_PKD 4
#endif
#ifndef NE_DCN_PFH
#define NE_DCN_PFH _MM_HINT_T1
#endif

#if NE_GEMM_X86
/* C[0:mb][0:nb] (mb <= MR, nb <= 2 vectors) over kb steps: A's element (r, k) at
 * a[r * ars + k * acs] (rows past mb read row mb - 1 again and are not stored), B one packed
 * panel [kb][2 vectors]. */
NE_TARGET_AVX512 static inline __attribute__((always_inline)) void NE_FN(ne_dcn_tile_body)(
    int64_t kb, const NE_T* a, int64_t ars, int64_t acs, const NE_T* bp, NE_T* c, int64_t ldc, int64_t mb, int64_t nb,
    int zero, const int usepf, const char* pf, int64_t npf, const int usetout, NE_T* to, int64_t ldo, const NE_T* binit) {
    const int W = NE_DG_W, NR = 2 * NE_DG_W;
    const uint32_t full = (1u << W) - 1;
    const uint32_t k0 = nb >= W ? full : (1u << nb) - 1;
    const uint32_t k1 = nb >= 2 * W ? full : nb > W ? (1u << (nb - W)) - 1 : 0;
    NE_DG_V c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
    NE_DG_V c60, c61, c70, c71, c80, c81, c90, c91, ca0, ca1, cb0, cb1;
    /* zero with binit: every row's chain starts from binit[0:nb] (the bias) instead of +0 */
    const NE_DG_V i0 = binit ? NE_DG_ML(k0, binit) : NE_DG_Z(), i1 = binit ? NE_DG_ML(k1, binit + W) : NE_DG_Z();
#define NE_DG_LD(r, v0, v1)                                                                       \
    if (r < mb && !zero) { v0 = NE_DG_ML(k0, c + r * ldc); v1 = NE_DG_ML(k1, c + r * ldc + W); }  \
    else { v0 = i0; v1 = i1; }
    NE_DG_LD(0, c00, c01) NE_DG_LD(1, c10, c11) NE_DG_LD(2, c20, c21) NE_DG_LD(3, c30, c31)
    NE_DG_LD(4, c40, c41) NE_DG_LD(5, c50, c51) NE_DG_LD(6, c60, c61) NE_DG_LD(7, c70, c71)
    NE_DG_LD(8, c80, c81) NE_DG_LD(9, c90, c91) NE_DG_LD(10, ca0, ca1) NE_DG_LD(11, cb0, cb1)
#undef NE_DG_LD
    const NE_T *a0 = a, *a1 = a + (mb > 1 ? 1 : mb - 1) * ars, *a2 = a + (mb > 2 ? 2 : mb - 1) * ars;
    const NE_T *a3 = a + (mb > 3 ? 3 : mb - 1) * ars, *a4 = a + (mb > 4 ? 4 : mb - 1) * ars;
    const NE_T *a5 = a + (mb > 5 ? 5 : mb - 1) * ars, *a6 = a + (mb > 6 ? 6 : mb - 1) * ars;
    const NE_T *a7 = a + (mb > 7 ? 7 : mb - 1) * ars, *a8 = a + (mb > 8 ? 8 : mb - 1) * ars;
    const NE_T *a9 = a + (mb > 9 ? 9 : mb - 1) * ars, *aa = a + (mb > 10 ? 10 : mb - 1) * ars;
    const NE_T* ab = a + (mb > 11 ? 11 : mb - 1) * ars;
    for (int64_t k = 0, o = 0; k < kb; k++, o += acs) {
        if (usepf && (k & (NE_DCN_PFS - 1)) == 0 && k / NE_DCN_PFS < npf) _mm_prefetch(pf + 64 * (k / NE_DCN_PFS), NE_DCN_PFH);
        const NE_DG_V b0 = NE_DG_L(bp + k * NR), b1 = NE_DG_L(bp + k * NR + W);
        NE_DG_V t;
#define NE_DG_ST(p, v0, v1) t = NE_DG_B(p[o]); v0 = NE_DG_F(t, b0, v0); v1 = NE_DG_F(t, b1, v1);
        NE_DG_ST(a0, c00, c01) NE_DG_ST(a1, c10, c11) NE_DG_ST(a2, c20, c21) NE_DG_ST(a3, c30, c31)
        NE_DG_ST(a4, c40, c41) NE_DG_ST(a5, c50, c51) NE_DG_ST(a6, c60, c61) NE_DG_ST(a7, c70, c71)
        NE_DG_ST(a8, c80, c81) NE_DG_ST(a9, c90, c91) NE_DG_ST(aa, ca0, ca1) NE_DG_ST(ab, cb0, cb1)
#undef NE_DG_ST
    }
    NE_T tbuf[NE_GEMM_MR * 2 * NE_DG_W] __attribute__((aligned(64)));
    NE_T* cs = usetout ? tbuf : c;
    const int64_t lds = usetout ? 2 * W : ldc;
#define NE_DG_SV(r, v0, v1) if (r < mb) { NE_DG_MS(cs + r * lds, k0, v0); NE_DG_MS(cs + r * lds + W, k1, v1); }
    NE_DG_SV(0, c00, c01) NE_DG_SV(1, c10, c11) NE_DG_SV(2, c20, c21) NE_DG_SV(3, c30, c31)
    NE_DG_SV(4, c40, c41) NE_DG_SV(5, c50, c51) NE_DG_SV(6, c60, c61) NE_DG_SV(7, c70, c71)
    NE_DG_SV(8, c80, c81) NE_DG_SV(9, c90, c91) NE_DG_SV(10, ca0, ca1) NE_DG_SV(11, cb0, cb1)
#undef NE_DG_SV
    if (usetout) {   /* the tile transposed into to[j][r] (row stride ldo): a copy */
        int64_t r = 0;
#if !defined(NE_GEMM_DOUBLE)
        for (; r + 4 <= mb; r += 4) {
            int64_t j = 0;
            for (; j + 4 <= nb; j += 4) {
                __m128 x0 = _mm_load_ps(tbuf + r * 32 + j), x1 = _mm_load_ps(tbuf + (r + 1) * 32 + j);
                __m128 x2 = _mm_load_ps(tbuf + (r + 2) * 32 + j), x3 = _mm_load_ps(tbuf + (r + 3) * 32 + j);
                _MM_TRANSPOSE4_PS(x0, x1, x2, x3);
                _mm_storeu_ps(to + j * ldo + r, x0);
                _mm_storeu_ps(to + (j + 1) * ldo + r, x1);
                _mm_storeu_ps(to + (j + 2) * ldo + r, x2);
                _mm_storeu_ps(to + (j + 3) * ldo + r, x3);
            }
            for (; j < nb; j++)
                for (int64_t i = r; i < r + 4; i++) to[j * ldo + i] = tbuf[i * 32 + j];
        }
#endif
        for (; r < mb; r++)
            for (int64_t j = 0; j < nb; j++) to[j * ldo + r] = tbuf[r * 2 * W + j];
    }
}

NE_TARGET_AVX512 static void NE_FN(ne_dcn_tile_ra)(int64_t kb, const NE_T* a, int64_t ars, int64_t acs, const NE_T* bp,
                                                  NE_T* c, int64_t ldc, int64_t mb, int64_t nb, int zero) {
    NE_FN(ne_dcn_tile_body)(kb, a, ars, acs, bp, c, ldc, mb, nb, zero, 0, NULL, 0, 0, NULL, 0, NULL);
}

/* ne_dcn_tile_ra whose chains start from binit[0:nb] when zero (the bias), not from +0. */
NE_TARGET_AVX512 static void NE_FN(ne_dcn_tile_rab)(int64_t kb, const NE_T* a, int64_t ars, int64_t acs, const NE_T* bp,
                                                   NE_T* c, int64_t ldc, int64_t mb, int64_t nb, int zero,
                                                   const NE_T* binit) {
    NE_FN(ne_dcn_tile_body)(kb, a, ars, acs, bp, c, ldc, mb, nb, zero, 0, NULL, 0, 0, NULL, 0, binit);
}

/* ne_dcn_tile_ra whose result goes to to[j][r] (row stride ldo), transposed, instead of C: the
 * forward's last slice, straight into the NCHW output. */
NE_TARGET_AVX512 static void NE_FN(ne_dcn_tile_rao)(int64_t kb, const NE_T* a, int64_t ars, int64_t acs, const NE_T* bp,
                                                   const NE_T* c, int64_t ldc, int64_t mb, int64_t nb, int zero, NE_T* to,
                                                   int64_t ldo, const NE_T* binit) {
    NE_FN(ne_dcn_tile_body)(kb, a, ars, acs, bp, (NE_T*) c, ldc, mb, nb, zero, 0, NULL, 0, 1, to, ldo, binit);
}

/* ne_dcn_tile_ra that also prefetches the npf lines at pf (one every NE_DCN_PFS steps). */
NE_TARGET_AVX512 static void NE_FN(ne_dcn_tile_rapf)(int64_t kb, const NE_T* a, int64_t ars, int64_t acs, const NE_T* bp,
                                                    NE_T* c, int64_t ldc, int64_t mb, int64_t nb, int zero,
                                                    const char* pf, int64_t npf) {
    NE_FN(ne_dcn_tile_body)(kb, a, ars, acs, bp, c, ldc, mb, nb, zero, 1, pf, npf, 0, NULL, 0, NULL);
}
#endif

#if NE_GEMM_X86
/* ne_gemm_pack_a of every MR-row panel of A[0:m][0:kb] into work + ip * kb (a copy: the same
 * bits, rows past m zero as there). When A's rows are contiguous in memory across a panel (ars
 * 1: the column gradient's A is grad output transposed, and a panel's step k is MR consecutive
 * elements of grad output's row k), it walks grad output row by row, the m elements of a row
 * read in sequence and the row NE_DCN_PKD ahead prefetched, instead of panel by panel (MR
 * elements from each of kb rows 10 KB apart, which the hardware prefetchers do not follow):
 * that packing 0.45 -> 0.33-0.39 ms per backward (profile build, sixth session). */
static void NE_FN(ne_dcn_pack_at)(const NE_T* a, int64_t ars, int64_t acs, int64_t m, int64_t kb, NE_T* work) {
    if (ars != 1) {
        for (int64_t ip = 0; ip < m; ip += NE_GEMM_MR)
            NE_FN(ne_gemm_pack_a)(a + ip * ars, ars, acs, m - ip < NE_GEMM_MR ? m - ip : NE_GEMM_MR, kb, work + ip * kb);
        return;
    }
    for (int64_t k = 0; k < kb; k++) {
        const NE_T* src = a + k * acs;
        if (k + NE_DCN_PKD < kb)
            for (int64_t e = 0; e < m; e += 64 / (int64_t) sizeof(NE_T))
                _mm_prefetch((const char*) (src + NE_DCN_PKD * acs + e), _MM_HINT_T0);
        for (int64_t ip = 0; ip < m; ip += NE_GEMM_MR) {
            NE_T* d = work + ip * kb + k * NE_GEMM_MR;
            const int64_t mb = m - ip < NE_GEMM_MR ? m - ip : NE_GEMM_MR;
            int64_t r = 0;
            for (; r < mb; r++) d[r] = src[ip + r];
            for (; r < NE_GEMM_MR; r++) d[r] = 0;
        }
    }
}

/* The column gradient's product on AVX-512: C[0:m][0:n] = A B with A's element (i, k) at
 * a[i * ars + k * acs] (grad output), B packed for ne_gemm_pb (n, k) (W', 2.4 MB: from L3).
 * Per KC slice: A packed (ne_gemm_pack_a, into work), then B panel by panel against every MR-row
 * panel of A, each tile also prefetching its share of the next B panel (towards L2), which the
 * hardware alone did not bring in time (one B panel meets only m / 12 = 8-9 tiles here). */
static void NE_FN(ne_dcn_gemm_pf)(int64_t m, int64_t n, int64_t k, const NE_T* a, int64_t ars, int64_t acs,
                                  const NE_T* bpacked, NE_T* c, int64_t ldc, NE_T* work) {
    const int64_t nr = 2 * NE_DG_W, tiles = (m + NE_GEMM_MR - 1) / NE_GEMM_MR;
    for (int64_t k0 = 0; k0 < k; k0 += NE_GEMM_KC) {
        const int64_t kb = k - k0 < NE_GEMM_KC ? k - k0 : NE_GEMM_KC;
        NE_FN(ne_dcn_pack_at)(a + k0 * acs, ars, acs, m, kb, work);
        const int64_t lines = kb * nr * (int64_t) sizeof(NE_T) / 64, per = (lines + tiles - 1) / tiles;
        for (int64_t j = 0; j < n; j += nr) {
            const NE_T* bp = bpacked + ne_gemm_pb_index(n, k, nr, k0, j);
            const char* next = (const char*) (bp + nr * kb);
            for (int64_t ip = 0, t = 0; ip < m; ip += NE_GEMM_MR, t++) {
                const int64_t l0 = t * per < lines ? t * per : lines, l1 = l0 + per < lines ? l0 + per : lines;
                NE_FN(ne_dcn_tile_rapf)(kb, work + ip * kb, 1, NE_GEMM_MR, bp, c + ip * ldc + j, ldc,
                                      m - ip < NE_GEMM_MR ? m - ip : NE_GEMM_MR, n - j < nr ? n - j : nr, k0 == 0,
                                      next + 64 * l0, l1 - l0);
            }
        }
    }
}
#endif

/* Whether ne_dcn_sweep_ra runs on the variant isa (AVX-512 only: elsewhere the callers pack A
 * and run ne_gemm.h's sweeps, the same chains). */
static int NE_FN(ne_dcn_ra)(int32_t isa) {
#if NE_GEMM_X86
    return isa == NE_ISA_AVX512;
#else
    (void) isa;
    return 0;
#endif
}

/* C[0:m][0:nb] (+)= A[0:m][0:kb] * B over one packed B block (nb columns, panels [kb][nr] at
 * jp * kb), A's element (i, k) at a[i * ars + k * acs] read in place: B panel by B panel, each
 * meeting every MR-row panel of A (ne_dcn_ra(isa) must hold). */
static void NE_FN(ne_dcn_sweep_ra)(int64_t m, int64_t nb, int64_t kb, const NE_T* a, int64_t ars, int64_t acs,
                                   const NE_T* bp, NE_T* c, int64_t ldc, int zero, NE_T* to, int64_t ldo,
                                   const NE_T* binit) {
#if NE_GEMM_X86
    const int64_t nr = 2 * NE_DG_W;
    for (int64_t jp = 0; jp < nb; jp += nr) {
        const int64_t w = nb - jp < nr ? nb - jp : nr;
        for (int64_t ip = 0; ip < m; ip += NE_GEMM_MR) {
            const int64_t mb = m - ip < NE_GEMM_MR ? m - ip : NE_GEMM_MR;
            const NE_T* bi = binit ? binit + jp : NULL;
            if (to)
                NE_FN(ne_dcn_tile_rao)(kb, a + ip * ars, ars, acs, bp + jp * kb, c + ip * ldc + jp, ldc, mb, w, zero,
                                       to + jp * ldo + ip, ldo, bi);
            else if (bi)
                NE_FN(ne_dcn_tile_rab)(kb, a + ip * ars, ars, acs, bp + jp * kb, c + ip * ldc + jp, ldc, mb, w, zero, bi);
            else
                NE_FN(ne_dcn_tile_ra)(kb, a + ip * ars, ars, acs, bp + jp * kb, c + ip * ldc + jp, ldc, mb, w, zero);
        }
    }
#else
    (void) m; (void) nb; (void) kb; (void) a; (void) ars; (void) acs; (void) bp; (void) c; (void) ldc; (void) zero;
    (void) to; (void) ldo; (void) binit;
#endif
}

/* ne_gemm_sweep (B panel by B panel, each against every MR-row panel of the packed A) whose last
 * A panel, when it has at most 4 rows, runs on ne_gemm.h's 4-row AVX-512 tile instead of the
 * 12-row one: the grad-weight product has C_out = 256 = 21 x 12 + 4 rows, whose last panel cost
 * a whole 12-row tile for 4 rows (1/22 of the product). Same chains, same bits. */
static void NE_FN(ne_dcn_sweep4)(int64_t mc, int64_t nb, int64_t kb, const NE_T* ap, const NE_T* bp, NE_T* c, int64_t ldc,
                                 int z, int64_t nr, int32_t isa) {
#if NE_GEMM_X86
    if (isa == NE_ISA_AVX512) {
        for (int64_t jp = 0; jp < nb; jp += nr) {
            const int64_t w = nb - jp < nr ? nb - jp : nr;
            for (int64_t ip = 0; ip < mc; ip += NE_GEMM_MR) {
                const int64_t mb = mc - ip < NE_GEMM_MR ? mc - ip : NE_GEMM_MR;
                if (mb <= 4)
                    NE_FN(ne_gemm_tile4_avx512)(kb, ap + ip * kb, bp + jp * kb, c + ip * ldc + jp, ldc, mb, w, z);
                else
                    NE_FN(ne_gemm_tile_avx512)(kb, ap + ip * kb, bp + jp * kb, c + ip * ldc + jp, ldc, mb, w, z, NULL);
            }
        }
        return;
    }
#endif
    NE_FN(ne_gemm_sweep)(mc, nb, kb, ap, bp, c, ldc, z, nr, isa);
}

/* C[0:m][0:n] (+)= rows[0:m][0:kb] * B (see the top): zero overwrites C. work: NE_GEMM_WORK
 * elements (the AVX2 / baseline path packs A there, ne_gemm_pb). */
static void NE_FN(ne_dcn_gemm_ra)(int64_t m, int64_t n, int64_t kb, const NE_T* a, int64_t lda, const NE_T* bp, NE_T* c,
                                  int64_t ldc, int zero, NE_T* work, int32_t isa, NE_T* to, int64_t ldo,
                                  const NE_T* binit) {
    if (NE_FN(ne_dcn_ra)(isa) && m > 0 && n > 0 && kb > 0) {
        NE_FN(ne_dcn_sweep_ra)(m, n, kb, a, lda, 1, bp, c, ldc, zero, to, ldo, binit);
        return;
    }
    (void) binit;
    (void) to;
    (void) ldo;
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
