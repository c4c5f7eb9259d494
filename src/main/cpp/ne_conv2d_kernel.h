/* The per-variant loops of conv2d's CPU paths, written once and compiled once per (dtype, SIMD
 * variant) by ne_conv2d_cpu.c (ne_parallel.h's convention), which defines before each inclusion:
 *   NE_T            float or double
 *   NE_C2_WINOGRAD  1 to compile the Winograd F(4x4,3x3) transforms too (float32 only)
 *   NE_SFX          the name suffix, e.g. f32_avx2
 *   NE_TARGET       the function attribute choosing the ISA (empty for the baseline)
 * im2col, the epilogue and the Winograd transforms. Every loop runs along a contiguous axis so
 * that the compiler vectorises it; -ffp-contract=off keeps every variant's rounding the same. */

#ifndef NE_C2_IM2COL_MAP
#define NE_C2_IM2COL_MAP 8192   /* int32 entries of im2col's tap maps on the stack (32 KiB) */
#endif

/* Rows [k0, k1) of the columns [K][nc] of the output positions [p0, p0 + nc) of one image and
 * group, at col[(k - k0) * nc]: row k = (ci, i, j) holds x[ci, oy*s_h - p_h + i*d_h,
 * ox*s_w - p_w + j*d_w], 0 outside the image. Walks output rows (no division per run), with
 * the in-image range of a whole output row computed once per k: on small planes (7x7) the runs
 * are short and their bookkeeping was a third of the GEMM's time. */
NE_TARGET static void NE_CAT(ne_c2_im2col, NE_SFX)(const ne_c2_geom* g, const NE_T* in, int64_t p0, int64_t nc, int64_t k0,
                                                   int64_t k1, NE_T* col) {
    /* Output rows of at most 8 (ResNet's 7x7 stage: 3x3 512 and 3x3/2 14->7, K = 4608 rows of 49):
     * one map per kernel tap (i, j) of the chunk's positions to their input offsets in a channel
     * plane (-1: padding), built once, then each row one loop over its nc positions instead of 7
     * runs of 7 with their bounds: the columns 0.62 -> 0.37 and 0.53 -> 0.39 Mcycles, the layers
     * 1.46 -> 1.37 and 1.43 -> 1.38 ms (one thread, L3-warm). Not for longer rows: 28 wide
     * (3x3/2 56->28) it was slower (0.82 -> 1.15), 14 wide no faster. The same bits. */
    if (NE_CAT(ne_c2_im2col_s2, NE_SFX)(g, in, p0, nc, k0, k1, col)) return;   /* AVX-512 float32: stride 2, stride 1 on rows <= 8 */
    const int64_t taps = g->kh * g->kw;
    if (g->wo <= 8 && taps > 1 && taps * nc <= NE_C2_IM2COL_MAP && g->h * g->w < ((int64_t) 1 << 31)) {
        int32_t map[NE_C2_IM2COL_MAP];
        for (int64_t t = 0; t < taps; t++) {
            const int64_t ii = t / g->kw, jj = t % g->kw;
            int32_t* m = map + t * nc;
            int64_t oy = p0 / g->wo, ox = p0 % g->wo;
            for (int64_t p = 0; p < nc; p++) {
                const int64_t y = oy * g->sh - g->ph + ii * g->dh, x = ox * g->sw - g->pw + jj * g->dw;
                m[p] = y >= 0 && y < g->h && x >= 0 && x < g->w ? (int32_t) (y * g->w + x) : -1;
                if (++ox == g->wo) ox = 0, oy++;
            }
        }
        for (int64_t k = k0; k < k1; k++) {
            const int64_t t = k % taps;
            const NE_T* plane = in + (k / taps) * g->h * g->w;
            const int32_t* restrict m = map + t * nc;
            NE_T* restrict d = col + (k - k0) * nc;
            for (int64_t p = 0; p < nc; p++) d[p] = m[p] >= 0 ? plane[m[p]] : (NE_T) 0;
        }
        return;
    }
    const int64_t end = p0 + nc, oy0 = p0 / g->wo, ox0 = p0 % g->wo;
    for (int64_t k = k0; k < k1; k++) {
        const int64_t jj = k % g->kw, ii = (k / g->kw) % g->kh, ci = k / (g->kw * g->kh);
        const NE_T* plane = in + ci * g->h * g->w;
        NE_T* dst = col + (k - k0) * nc;
        /* q in [flo, fhi) of a row starting at ox = 0 reads x = q*s_w + xj inside the image */
        const int64_t xj = jj * g->dw - g->pw;
        int64_t flo = xj >= 0 ? 0 : (-xj + g->sw - 1) / g->sw;
        int64_t fhi = xj >= g->w ? 0 : (g->w - xj + g->sw - 1) / g->sw;
        if (flo > g->wo) flo = g->wo;
        if (fhi > g->wo) fhi = g->wo;
        if (fhi < flo) fhi = flo;
        int64_t p = p0, oy = oy0, ox = ox0;
        while (p < end) {
            int64_t run = g->wo - ox;
            if (run > end - p) run = end - p;
            NE_T* d = dst + (p - p0);          /* d[q - qa]: output column q of this row */
            const int64_t y = oy * g->sh - g->ph + ii * g->dh;
            const int64_t qa = ox, qb = ox + run;
            if (y < 0 || y >= g->h) {
                for (int64_t q = qa; q < qb; q++) d[q - qa] = 0;
            } else {
                const NE_T* row = plane + y * g->w;   /* row[q * s_w + xj]: column q's input, in the image for q in [lo, hi) */
                const int64_t lo = flo > qa ? (flo < qb ? flo : qb) : qa;
                const int64_t hi = fhi < qb ? (fhi > lo ? fhi : lo) : qb;
                for (int64_t q = qa; q < lo; q++) d[q - qa] = 0;
                if (g->sw == 1) {
                    const NE_T* r = row + (lo + xj);
                    NE_T* e = d + (lo - qa);
                    for (int64_t q = 0; q < hi - lo; q++) e[q] = r[q];
                } else if (g->sw == 2) {           /* the stem and the downsampling convolutions */
                    const NE_T* r = row + (2 * lo + xj);
                    NE_T* e = d + (lo - qa);
                    for (int64_t q = 0; q < hi - lo; q++) e[q] = r[2 * q];
                } else {
                    for (int64_t q = lo; q < hi; q++) d[q - qa] = row[q * g->sw + xj];
                }
                for (int64_t q = hi; q < qb; q++) d[q - qa] = 0;
            }
            p += run;
            oy++;
            ox = 0;
        }
    }
}

/* y = x*s + t (+ r) (relu) over n elements; y may be x or r (same index read before written). */
NE_TARGET static void NE_CAT(ne_c2_epilogue, NE_SFX)(NE_T* y, const NE_T* x, const NE_T* r, int64_t n, NE_T s, NE_T t, int32_t relu) {
    if (r) {
        if (relu) {
            for (int64_t i = 0; i < n; i++) {
                NE_T v = x[i] * s + t + r[i];
                y[i] = v < 0 ? 0 : v;
            }
        } else {
            for (int64_t i = 0; i < n; i++) y[i] = x[i] * s + t + r[i];
        }
    } else if (relu) {
        for (int64_t i = 0; i < n; i++) {
            NE_T v = x[i] * s + t;
            y[i] = v < 0 ? 0 : v;
        }
    } else if (s != 1 || t != 0 || x != y) {
        for (int64_t i = 0; i < n; i++) y[i] = x[i] * s + t;
    }
}

/* The GEMM path's epilogue is split around a GEMM that accumulates (beta 1) with the scale
 * folded into the weights: y = t (+ r) before it, max(y, 0) after. y may be r. */
NE_TARGET static void NE_CAT(ne_c2_init, NE_SFX)(NE_T* y, const NE_T* r, int64_t n, NE_T t) {
    if (r) {
        for (int64_t i = 0; i < n; i++) y[i] = t + r[i];
    } else {
        for (int64_t i = 0; i < n; i++) y[i] = t;
    }
}

NE_TARGET static void NE_CAT(ne_c2_relu, NE_SFX)(NE_T* y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = y[i] < 0 ? 0 : y[i];
}

#if NE_C2_WINOGRAD
/* G g over 3 rows of n elements: o_r = sum_i G[r][i] g_i. */
NE_TARGET static void NE_CAT(ne_c2_g_k, NE_SFX)(NE_T* restrict o0p, NE_T* restrict o1p, NE_T* restrict o2p, NE_T* restrict o3p,
                                NE_T* restrict o4p, NE_T* restrict o5p, const NE_T* restrict g0p, const NE_T* restrict g1p,
                                const NE_T* restrict g2p, int64_t n) {
    for (int64_t q = 0; q < n; q++) {
        const NE_T g0 = g0p[q], g1 = g1p[q], g2 = g2p[q];
        o0p[q] = g0 * (NE_T) 0.25;
        o1p[q] = (g0 + g1 + g2) * (NE_T) (-1.0 / 6);
        o2p[q] = (g0 - g1 + g2) * (NE_T) (-1.0 / 6);
        o3p[q] = g0 * (NE_T) (1.0 / 24) + g1 * (NE_T) (1.0 / 12) + g2 * (NE_T) (1.0 / 6);
        o4p[q] = g0 * (NE_T) (1.0 / 24) - g1 * (NE_T) (1.0 / 12) + g2 * (NE_T) (1.0 / 6);
        o5p[q] = g2;
    }
}

NE_TARGET static void NE_CAT(ne_c2_g, NE_SFX)(NE_T* const* o, const NE_T* const* gi, int64_t n) {
    NE_CAT(ne_c2_g_k, NE_SFX)(o[0], o[1], o[2], o[3], o[4], o[5], gi[0], gi[1], gi[2], n);
}

/* U[xi][co][ci] = (G w G^T)[xi] for one output channel; w9 is scratch [27][C_in]. */
NE_TARGET static void NE_CAT(ne_c2_wino_weight, NE_SFX)(const NE_T* w, int64_t cin, int64_t cout, int64_t co, NE_T* w9, NE_T* U) {
    const NE_T* src = w + co * cin * 9;
    for (int64_t ci = 0; ci < cin; ci++)
        for (int k = 0; k < 9; k++) w9[k * cin + ci] = src[ci * 9 + k];
    NE_T* a = w9 + 9 * cin;                 /* a[r][j] = (G g)[r][j]: row (r * 3 + j) */
    for (int j = 0; j < 3; j++) {
        const NE_T* gi[3] = {w9 + (0 * 3 + j) * cin, w9 + (1 * 3 + j) * cin, w9 + (2 * 3 + j) * cin};
        NE_T* o[6];
        for (int r = 0; r < 6; r++) o[r] = a + (r * 3 + j) * cin;
        NE_CAT(ne_c2_g, NE_SFX)(o, gi, cin);
    }
    for (int r = 0; r < 6; r++) {
        const NE_T* gi[3] = {a + (r * 3 + 0) * cin, a + (r * 3 + 1) * cin, a + (r * 3 + 2) * cin};
        NE_T* o[6];
        for (int c = 0; c < 6; c++) o[c] = U + ((int64_t) (r * 6 + c) * cout + co) * cin;
        NE_CAT(ne_c2_g, NE_SFX)(o, gi, cin);
    }
}

NE_TARGET static void NE_CAT(ne_c2_bt_k, NE_SFX)(NE_T* restrict o0p, NE_T* restrict o1p, NE_T* restrict o2p, NE_T* restrict o3p,
                                 NE_T* restrict o4p, NE_T* restrict o5p, const NE_T* restrict d0p, const NE_T* restrict d1p,
                                 const NE_T* restrict d2p, const NE_T* restrict d3p, const NE_T* restrict d4p,
                                 const NE_T* restrict d5p, int64_t n) {
    for (int64_t q = 0; q < n; q++) {
        const NE_T d0 = d0p[q], d1 = d1p[q], d2 = d2p[q], d3 = d3p[q], d4 = d4p[q], d5 = d5p[q];
        o0p[q] = d0 * 4 - d2 * 5 + d4;
        o1p[q] = d3 + d4 - (d1 + d2) * 4;
        o2p[q] = (d1 - d2) * 4 + d4 - d3;
        o3p[q] = (d3 - d1) * 2 + d4 - d2;
        o4p[q] = (d1 - d3) * 2 + d4 - d2;
        o5p[q] = d1 * 4 - d3 * 5 + d5;
    }
}

/* B^T d over 6 rows of n elements each: o_k = sum_j BT[k][j] d_j (restrict parameters, so that it vectorises). */
NE_TARGET static void NE_CAT(ne_c2_bt, NE_SFX)(NE_T* const* o, NE_T* const* d, int64_t n) {
    NE_CAT(ne_c2_bt_k, NE_SFX)(o[0], o[1], o[2], o[3], o[4], o[5], d[0], d[1], d[2], d[3], d[4], d[5], n);
}

/* V[xi][ci][lt] for input channel ci and the tb = (ty1 - ty0) * tw tiles of tile rows
 * [ty0, ty1) (lt counts tiles from ty0), all at once so that the loops are tb long. The scratch
 * rows are tbp = tb rounded up to nr long, their tail zero, so that every loop runs whole
 * vectors (the scalar remainders were a third of this transform on 13x13 tiles) and the last
 * panel of V is written nr wide (columns past tb: zero, never stored by the products).
 * The row's split into 6 phases runs twv = tw rounded up to 16 columns, whole vectors too, by
 * permutes on AVX-512 (ne_c2_phases: at 13 tiles a row it was all scalar; 3x3 256->256 on
 * 50x50, one thread, alternated runs of tools/profile/conv_profile.c: 5.65-5.75 -> 5.50-5.64 ms
 * min, 6.03-6.24 -> 5.69-5.88 median): a tile row writes up to 15 columns past its tw, into the
 * next tile row's (written after it) or the 16 spare columns of each scratch row (zeroed after
 * the rows). scratch holds 72 * (tbp + 16) + 4 * twv + 72 elements. */
NE_TARGET static void NE_CAT(ne_c2_wino_input, NE_SFX)(const ne_c2_geom* g, const NE_T* plane, int64_t ci, int64_t ty0, int64_t ty1,
                                       int64_t tw, int64_t tb, NE_T* V, int64_t vsz, int64_t nr, int narrow, NE_T* scratch) {
    const int64_t tbp = (tb + nr - 1) / nr * nr, tbs = tbp + 16, twv = (tw + 15) / 16 * 16;
    NE_T* d[6][6];
    NE_T* t[6][6];
    for (int r = 0; r < 6; r++)
        for (int j = 0; j < 6; j++) d[r][j] = scratch + (r * 6 + j) * tbs, t[r][j] = scratch + (36 + r * 6 + j) * tbs;
    /* A zero-padded copy of each input row (pad[p_w + x] = row[x]), then its six phases
     * pad[4q + j], j < 6, deinterleaved (phases 4 and 5 are phases 0 and 1 one tile on). */
    NE_T* pad = scratch + 72 * tbs;
    const int64_t plen = 4 * twv + 72;   /* ne_c2_phases reads 4 * twv + 68 */
    for (int64_t q = 0; q < plen; q++) pad[q] = 0;
    const int64_t xn = g->w < 4 * tw + 4 - g->pw ? g->w : 4 * tw + 4 - g->pw;
    for (int64_t ty = ty0; ty < ty1; ty++) {
        const int64_t lt = (ty - ty0) * tw;
        for (int r = 0; r < 6; r++) {
            const int64_t y = 4 * ty - g->ph + r;
            NE_T *restrict d0 = d[r][0] + lt, *restrict d1 = d[r][1] + lt, *restrict d2 = d[r][2] + lt;
            NE_T *restrict d3 = d[r][3] + lt, *restrict d4 = d[r][4] + lt, *restrict d5 = d[r][5] + lt;
            if (y < 0 || y >= g->h) {
                for (int64_t q = 0; q < twv; q++) d0[q] = d1[q] = d2[q] = d3[q] = d4[q] = d5[q] = 0;
                continue;
            }
            const NE_T* row = plane + y * g->w;
            for (int64_t x = 0; x < xn; x++) pad[g->pw + x] = row[x];
            NE_T* o[6] = {d0, d1, d2, d3, d4, d5};
            NE_CAT(ne_c2_phases, NE_SFX)(o, pad, twv);
        }
    }
    for (int r = 0; r < 6; r++)
        for (int j = 0; j < 6; j++)
            for (int64_t q = tb; q < tbs; q++) d[r][j][q] = 0;
    for (int r = 0; r < 6; r++) NE_CAT(ne_c2_bt, NE_SFX)(t[r], d[r], tbp);          /* along x: t[r][k] */
    for (int64_t lt0 = 0; lt0 < tb;) {                                      /* along y */
        /* straight into ne_gemm's packed B of V[xi] ([C_in][tb], vsz elements apart: panels nr
         * wide, or where narrow 3-vector panels and the last columns, ne_gemm_pbn_index), so
         * the products need no packing pass; a run of w columns at a time */
        const int64_t w = !narrow ? nr : tb - lt0 < NE_GEMM_PBN_W ? tb - lt0 : NE_GEMM_PBN_W;
        const int64_t at = narrow ? NE_CAT(ne_gemm_pbn_index, NE_S)(tb, g->cin, ci, lt0) : ne_gemm_pb_index(tb, g->cin, nr, ci, lt0);
        for (int k = 0; k < 6; k++) {
            NE_T* col[6] = {t[0][k] + lt0, t[1][k] + lt0, t[2][k] + lt0, t[3][k] + lt0, t[4][k] + lt0, t[5][k] + lt0};
            NE_T* o[6];
            for (int i = 0; i < 6; i++) o[i] = V + (int64_t) (i * 6 + k) * vsz + at;
            NE_CAT(ne_c2_bt, NE_SFX)(o, col, w);
        }
        lt0 += w;
    }
}

NE_TARGET static void NE_CAT(ne_c2_at_k, NE_SFX)(NE_T* restrict o0p, NE_T* restrict o1p, NE_T* restrict o2p, NE_T* restrict o3p,
                                 const NE_T* restrict m0p, const NE_T* restrict m1p, const NE_T* restrict m2p,
                                 const NE_T* restrict m3p, const NE_T* restrict m4p, const NE_T* restrict m5p, int64_t n) {
    for (int64_t q = 0; q < n; q++) {
        const NE_T m0 = m0p[q], m1 = m1p[q], m2 = m2p[q], m3 = m3p[q], m4 = m4p[q], m5 = m5p[q];
        const NE_T a = m1 + m2, b = m1 - m2, c = m3 + m4, e = m3 - m4;
        o0p[q] = m0 + a + c;
        o1p[q] = b + e * 2;
        o2p[q] = a + c * 4;
        o3p[q] = b + e * 8 + m5;
    }
}

/* A^T m over 6 rows: r_c = sum_i AT[c][i] m_i. */
NE_TARGET static void NE_CAT(ne_c2_at, NE_SFX)(NE_T* const* o, const NE_T* const* m, int64_t n) {
    NE_CAT(ne_c2_at_k, NE_SFX)(o[0], o[1], o[2], o[3], m[0], m[1], m[2], m[3], m[4], m[5], n);
}

/* Output channel co, tile rows [ty0, ty1): out = A^T M A over all tb tiles at once, then the
 * epilogue row by row. The transforms run over tbp = tb rounded up to 16, whole vectors: past
 * tb they read the next rows of M (M has 16 elements more, zero, after its last row) and their
 * results there are never used; scratch holds 40 * tbp + 4 * tw + 64 elements (the AVX-512
 * interleave reads up to 15 past a tile row's tw). */
NE_TARGET static void NE_CAT(ne_c2_wino_output, NE_SFX)(const ne_c2_geom* g, const NE_T* M, int64_t co, int64_t ty0, int64_t ty1,
                                        int64_t tw, int64_t tb, NE_T* outPlane, const NE_T* resPlane, NE_T s, NE_T t,
                                        int32_t relu, NE_T* scratch) {
    const int64_t tbp = (tb + 15) / 16 * 16;
    NE_T* u[4][6];
    NE_T* v[4][4];
    for (int r = 0; r < 4; r++) for (int k = 0; k < 6; k++) u[r][k] = scratch + (r * 6 + k) * tbp;
    for (int r = 0; r < 4; r++) for (int c = 0; c < 4; c++) v[r][c] = scratch + (24 + r * 4 + c) * tbp;
    NE_T* rowbuf = scratch + 40 * tbp;
    for (int k = 0; k < 6; k++) {                                           /* along y */
        const NE_T* m[6];
        for (int i = 0; i < 6; i++) m[i] = M + ((int64_t) (i * 6 + k) * g->cout + co) * tb;
        NE_T* o[4] = {u[0][k], u[1][k], u[2][k], u[3][k]};
        NE_CAT(ne_c2_at, NE_SFX)(o, m, tbp);
    }
    for (int r = 0; r < 4; r++) NE_CAT(ne_c2_at, NE_SFX)(v[r], (const NE_T* const*) u[r], tbp);   /* along x */
    /* No residual: the epilogue on the 16 tile rows (whole vectors, the same operation per
     * element), then each output row interleaved straight into place (ne_c2_interleave4) */
    if (!resPlane)
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 4; c++) NE_CAT(ne_c2_epilogue, NE_SFX)(v[r][c], v[r][c], NULL, tbp, s, t, relu);
    for (int64_t ty = ty0; ty < ty1; ty++) {
        const int64_t lt = (ty - ty0) * tw;
        for (int r = 0; r < 4; r++) {
            const int64_t y = 4 * ty + r;
            if (y >= g->ho) break;
            if (!resPlane) {
                const NE_T* vr[4] = {v[r][0] + lt, v[r][1] + lt, v[r][2] + lt, v[r][3] + lt};
                NE_CAT(ne_c2_interleave4, NE_SFX)(outPlane + y * g->wo, vr, g->wo);
                continue;
            }
            const NE_T *v0 = v[r][0] + lt, *v1 = v[r][1] + lt, *v2 = v[r][2] + lt, *v3 = v[r][3] + lt;
            for (int64_t q = 0; q < tw; q++) {
                rowbuf[4 * q] = v0[q];
                rowbuf[4 * q + 1] = v1[q];
                rowbuf[4 * q + 2] = v2[q];
                rowbuf[4 * q + 3] = v3[q];
            }
            NE_CAT(ne_c2_epilogue, NE_SFX)(outPlane + y * g->wo, rowbuf, resPlane ? resPlane + y * g->wo : NULL, g->wo, s, t, relu);
        }
    }
}
#endif

