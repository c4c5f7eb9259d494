/* Typed CPU kernels of deformable convolution, included once per dtype by ne_deform_conv_cpu.c
 * with NE_T (float/double) and NE_S (suffix) defined. Not a public header.
 *
 * Layout, and why. The input of one image is first transposed to pixel-major ("HWC") order, and
 * the columns are built position-major ("im2row"): row p of the column buffer holds, for each
 * conv group, the taps in order and, inside a tap, the group's channels in order (column
 * (t * C_in/groups + c) of the group's segment). Then:
 *  - every column entry of one (position, tap) is a contiguous run of channels reading four
 *    contiguous runs of the HWC image with one scalar weight each: no gathers, the loop
 *    vectorises, and the same code serves grad input (scatter of contiguous runs) and grad
 *    offset / mask (dot products over the channel run);
 *  - the forward GEMM is C[P, C_out/g] = rows_g[P, K_g] * W'_g[C_out/g, K_g]^T (ne_gemm.h), with
 *    W' the weight with its (channel, tap) axes swapped to match the column order (folded into
 *    the weight's packing, no arithmetic), and C transposed into the NCHW output.
 * The bilinear corners and weights of one (position, tap, deformable group) are the same for
 * every channel of the group: they are computed once per position chunk (the "table", docs/ops.md
 * §5.3 / ROIAlign's pre_calc idea). Invalid corners get offset 0 and weight 0 (ZP sampler).
 *
 * Determinism: contraction is off (build.properties) and every vector loop is element-wise (no
 * reassociation), so the baseline, AVX2 and AVX-512 variants give the same bits; reductions over
 * channels use 16 fixed partial sums (lane: the channel mod 16) combined in a fixed order. */

#define NE_FN(name) NE_CAT(name, NE_S) /* NE_CAT: ne_parallel.h */

/* One (deformable group, position, tap) of a chunk: corner element offsets in the HWC image
 * (pixel * C_in) and corner weight times mask. */
typedef struct {
    int64_t i[4];
    NE_T wm[4];
} NE_FN(ne_dcn_tap);

/* The backward's extra coefficients of the same entry: corner weight without mask (grad mask),
 * d(sample)/dy and d(sample)/dx per corner (grad offset), and the mask. */
typedef struct {
    NE_T w[4], cy[4], cx[4], m;
} NE_FN(ne_dcn_tapb);

/* Table entry of (image b, deformable group d, output position p, tap t). */
static void NE_FN(ne_dcn_entry)(const ne_dcn_geom* g, const NE_T* offset, const NE_T* mask, int64_t b, int64_t d,
                                int64_t p, int64_t t, NE_FN(ne_dcn_tap)* e, NE_FN(ne_dcn_tapb)* eb) {
    const int64_t hw = g->ho * g->wo, kk = g->kh * g->kw;
    const int64_t i = t / g->kw, j = t % g->kw, ho = p / g->wo, wo = p % g->wo;
    const NE_T* off = offset + ((b * g->dg + d) * 2 * kk) * hw;
    const NE_T y = (NE_T) (ho * g->sh - g->ph + i * g->dh) + off[(2 * t) * hw + p];
    const NE_T x = (NE_T) (wo * g->sw - g->pw + j * g->dw) + off[(2 * t + 1) * hw + p];
    const NE_T m = mask ? mask[((b * g->dg + d) * kk + t) * hw + p] : (NE_T) 1;
    int64_t id[4] = {0, 0, 0, 0};
    NE_T w[4] = {0, 0, 0, 0}, cy[4] = {0, 0, 0, 0}, cx[4] = {0, 0, 0, 0};
    /* Written as (inside) so that NaN coordinates count as outside. For the backward's offset
     * gradient torchvision's convention also counts y == -1 and x == -1 as inside: the weights
     * stay 0 there, but the coordinate coefficients of the row/column 0 corners do not. */
    const int edge = eb != NULL && g->offset_grad == NE_DCN_OFFSET_GRAD_TORCHVISION;
    if ((y > -1 || (edge && y == -1)) && y < (NE_T) g->h && (x > -1 || (edge && x == -1)) && x < (NE_T) g->w) {
        const NE_T yf = floor(y), xf = floor(x);
        const int64_t hl = (int64_t) yf, wl = (int64_t) xf, hh = hl + 1, wh = wl + 1;
        const NE_T ly = y - yf, lx = x - xf, hy = 1 - ly, hx = 1 - lx;
        const int vyl = hl >= 0, vyh = hh <= g->h - 1, vxl = wl >= 0, vxh = wh <= g->w - 1;
        if (vyl && vxl) { id[0] = hl * g->w + wl; w[0] = hy * hx; cy[0] = -hx; cx[0] = -hy; }
        if (vyl && vxh) { id[1] = hl * g->w + wh; w[1] = hy * lx; cy[1] = -lx; cx[1] = hy; }
        if (vyh && vxl) { id[2] = hh * g->w + wl; w[2] = ly * hx; cy[2] = hx; cx[2] = -ly; }
        if (vyh && vxh) { id[3] = hh * g->w + wh; w[3] = ly * lx; cy[3] = lx; cx[3] = ly; }
    }
    for (int k = 0; k < 4; k++) {
        e->i[k] = id[k] * g->cin;
        e->wm[k] = w[k] * m;
        if (eb) {
            eb->w[k] = w[k];
            eb->cy[k] = cy[k];
            eb->cx[k] = cx[k];
        }
    }
    if (eb) eb->m = m;
}

/* ---- The three channel-run loops per SIMD variant (same bits in each, see above):
 * ne_deform_conv_runs.h. ---- */

#define NE_KERNEL "ne_deform_conv_runs.h"
#include "ne_each_isa.h"
#undef NE_KERNEL

typedef struct {
    void (*row)(NE_T* restrict, const NE_T* restrict, const NE_T* restrict, const NE_T* restrict,
                const NE_T* restrict, NE_T, NE_T, NE_T, NE_T, int64_t);
    void (*coord)(const NE_T* restrict, const NE_T* restrict, const NE_T* restrict, const NE_T* restrict,
                  const NE_T* restrict, NE_T* restrict, int64_t);
    void (*scatter)(NE_T* restrict, const NE_T* restrict, NE_T, int64_t);
    void (*coordscatter)(const NE_T* restrict, const NE_T* restrict, const NE_T* restrict, const NE_T* restrict,
                         const NE_T* restrict, NE_T* restrict, NE_T* restrict, NE_T* restrict, NE_T* restrict,
                         NE_T* restrict, NE_T, NE_T, NE_T, NE_T, int64_t);
} NE_FN(ne_dcn_simd);

/* The variant isa (already resolved) names, e.g. ne_dcn_row_f32_avx2 for row. */
#define NE_DCN_VARIANT(name, v) NE_CAT(name, NE_CAT(NE_S, v))
static NE_FN(ne_dcn_simd) NE_FN(ne_dcn_simd_pick)(int32_t isa) {
    NE_FN(ne_dcn_simd) s;
    if (isa == NE_ISA_AVX512) {
        s.row = NE_DCN_VARIANT(ne_dcn_row, avx512);
        s.coord = NE_DCN_VARIANT(ne_dcn_coordrun, avx512);
        s.scatter = NE_DCN_VARIANT(ne_dcn_scatter, avx512);
        s.coordscatter = NE_DCN_VARIANT(ne_dcn_coordscatter, avx512);
    } else if (isa == NE_ISA_AVX2) {
        s.row = NE_DCN_VARIANT(ne_dcn_row, avx2);
        s.coord = NE_DCN_VARIANT(ne_dcn_coordrun, avx2);
        s.scatter = NE_DCN_VARIANT(ne_dcn_scatter, avx2);
        s.coordscatter = NE_DCN_VARIANT(ne_dcn_coordscatter, avx2);
    } else {
        s.row = NE_DCN_VARIANT(ne_dcn_row, base);
        s.coord = NE_DCN_VARIANT(ne_dcn_coordrun, base);
        s.scatter = NE_DCN_VARIANT(ne_dcn_scatter, base);
        s.coordscatter = NE_DCN_VARIANT(ne_dcn_coordscatter, base);
    }
    return s;
}
#undef NE_DCN_VARIANT

/* ---- Work shared by the forward and the backward on one chunk of output positions. ---- */

typedef struct {
    const ne_dcn_geom* g;
    const NE_T *xh, *offset, *mask;   /* the image in HWC order; offset / mask of the batch */
    int64_t b, p0, np;                /* image, first position and positions of the chunk */
    NE_T* col;                        /* forward: one KC slice of the rows, [np][NE_DCN_LDA] */
    NE_T* dcol;                       /* backward: column gradient of positions [dq0, dq1), rows of C_in*kh*kw */
    NE_FN(ne_dcn_tap)* tab;           /* [dg][np][kk] */
    NE_FN(ne_dcn_tapb)* tabb;         /* backward extras, or NULL */
    NE_T *goff, *gmask;               /* backward: this image's grad offset / mask (gmask may be NULL) */
    NE_T* gxh;                        /* backward: grad of the HWC image */
    NE_FN(ne_dcn_simd) simd;
    int64_t pnr;                      /* backward: the GEMM's panel width (ne_dcn_rows_block) */
    int64_t dq0, dq1;                 /* backward: the positions (of the chunk) dcol holds */
    int fuse;                         /* backward, one thread: grad offset / mask also scatter grad input */
} NE_FN(ne_dcn_chunk);

/* Calls fn(ctx, c_begin, c_end, d, gi) for the runs of channels that share a deformable group d
 * and a conv group gi, intersected with [lo, hi), in channel order. */
#ifndef NE_DCN_FOR_RUNS
#define NE_DCN_FOR_RUNS(g, lo, hi, ...)                                                          \
    {                                                                                             \
        const int64_t cpd_ = (g)->cin / (g)->dg, cig_ = (g)->cin / (g)->groups;                   \
        for (int64_t cs = (lo); cs < (hi);) {                                                     \
            const int64_t d = cs / cpd_, gi = cs / cig_;                                          \
            int64_t ce = (d + 1) * cpd_ < (gi + 1) * cig_ ? (d + 1) * cpd_ : (gi + 1) * cig_;     \
            if (ce > (hi)) ce = (hi);                                                             \
            (void) d;                                                                             \
            __VA_ARGS__                                                                           \
            cs = ce;                                                                              \
        }                                                                                         \
    }
#endif

/* The table entries of position q of the chunk (every deformable group and tap). */
static void NE_FN(ne_dcn_tab_row)(const NE_FN(ne_dcn_chunk)* c, int64_t q) {
    const ne_dcn_geom* g = c->g;
    const int64_t kk = g->kh * g->kw;
    for (int64_t d = 0; d < g->dg; d++)
        for (int64_t t = 0; t < kk; t++) {
            const int64_t e = (d * c->np + q) * kk + t;
            NE_FN(ne_dcn_entry)(g, c->offset, c->mask, c->b, d, c->p0 + q, t, c->tab + e, c->tabb ? c->tabb + e : NULL);
        }
}

/* Columns [k0, k0 + kb) of conv group gi's part of the rows (k = t * cig + ci) for the positions
 * [0, np) of the chunk, into slice[q][0 .. kb) (row stride ld): the forward's rows one GEMM KC
 * slice at a time (the table made), so that they are built and consumed in L2. */
static void NE_FN(ne_dcn_row_slice)(const NE_FN(ne_dcn_chunk)* c, int64_t gi, int64_t k0, int64_t kb, NE_T* slice,
                                    int64_t ld) {
    const ne_dcn_geom* g = c->g;
    const int64_t kk = g->kh * g->kw, cig = g->cin / g->groups, cpd = g->cin / g->dg;
    for (int64_t q = 0; q < c->np; q++)
        for (int64_t j = k0; j < k0 + kb;) {
            const int64_t t = j / cig, cs = gi * cig + j % cig, d = cs / cpd;
            int64_t len = (t + 1) * cig - j;
            if (len > k0 + kb - j) len = k0 + kb - j;
            if (len > (d + 1) * cpd - cs) len = (d + 1) * cpd - cs;
            const NE_FN(ne_dcn_tap)* e = c->tab + (d * c->np + q) * kk + t;
            const NE_T* x = c->xh + cs;
            c->simd.row(slice + q * ld + (j - k0), x + e->i[0], x + e->i[1], x + e->i[2], x + e->i[3], e->wm[0], e->wm[1],
                        e->wm[2], e->wm[3], len);
            j += len;
        }
}

#ifndef NE_DCN_QB
#define NE_DCN_QB 16
#endif

/* One thread's backward: the columns [j0, j0 + nb) (nb <= NC) of conv group gi's rows for every
 * position of the chunk, straight into blk packed as B (k = positions, n = nb columns) for
 * ne_gemm_sweep (ne_gemm_pb_index with n = nb), zero past kg: one NC block of the grad-weight
 * GEMM's B at a time, built and consumed in L2 instead of the whole chunk's (2.4 MB) through L3.
 * Per NE_DCN_QB positions, each piece of a channel run that stays inside one panel is sampled
 * for every position of the block in turn, so that the stores run through the panel
 * sequentially (one row at a time wrote 128-byte pieces 32 KB apart in the whole chunk's B:
 * 5.2 ms against 3.0 for this order). The table must be made. */
static void NE_FN(ne_dcn_rows_block)(const NE_FN(ne_dcn_chunk)* c, int64_t gi, int64_t j0, int64_t nb, NE_T* blk) {
    const ne_dcn_geom* g = c->g;
    const int64_t kk = g->kh * g->kw, cig = g->cin / g->groups, kg = cig * kk, cpd = g->cin / g->dg;
    const int64_t nr = c->pnr, np = c->np;
    for (int64_t qb = 0; qb < np; qb += NE_DCN_QB) {
        const int64_t qn = np - qb < NE_DCN_QB ? np - qb : NE_DCN_QB;
        for (int64_t j = j0; j < j0 + nb;) {
            const int64_t t = j / cig, cs = gi * cig + j % cig, d = cs / cpd;
            int64_t len = (t + 1) * cig - j;
            if (len > j0 + nb - j) len = j0 + nb - j;
            if (len > (d + 1) * cpd - cs) len = (d + 1) * cpd - cs;
            if (len > nr - (j - j0) % nr) len = nr - (j - j0) % nr;
            NE_T* dst = blk + ne_gemm_pb_index(nb, np, nr, qb, j - j0);
            for (int64_t q = qb; q < qb + qn; q++, dst += nr) {
                if (q != qb && q % NE_GEMM_KC == 0) dst = blk + ne_gemm_pb_index(nb, np, nr, q, j - j0);
                const NE_FN(ne_dcn_tap)* e = c->tab + (d * np + q) * kk + t;
                const NE_T* x = c->xh + cs;
                c->simd.row(dst, x + e->i[0], x + e->i[1], x + e->i[2], x + e->i[3], e->wm[0], e->wm[1], e->wm[2],
                            e->wm[3], len);
            }
            j += len;
        }
        if (j0 + nb == kg)
            for (int64_t q = qb; q < qb + qn; q++)
                for (int64_t j = nb; j % nr != 0; j++) blk[ne_gemm_pb_index(nb, np, nr, q, j)] = 0;
    }
}

/* Grad offset / mask of positions [q0, q1): each (deformable group, tap, position) is owned by
 * one task. The channel sum factors per corner k (the coefficients are the same for every channel
 * of the deformable group): D_k = sum_c dcol[c] * x_k[c] through 16 fixed partial sums, then
 *     grad dy = m * sum_k cy_k D_k,  grad dx = m * sum_k cx_k D_k,  grad mask = sum_k w_k D_k
 * (4 products per channel instead of 12 and their sums). With c->fuse (one thread only) the same
 * pass also scatters grad input (ne_dcn_col2im), reading each dcol run once: every grad input
 * element still receives its terms in the order (position, tap, corner), so the bits are those of
 * the separate pass that several threads run. */
static void NE_FN(ne_dcn_coord_rows)(const NE_FN(ne_dcn_chunk)* c, int64_t q0, int64_t q1) {
    const ne_dcn_geom* g = c->g;
    const int64_t hw = g->ho * g->wo, kk = g->kh * g->kw, kc = g->cin * kk, cig = g->cin / g->groups, kg = cig * kk;
    const int64_t cpd = g->cin / g->dg;
    NE_T acc[64];
    for (int64_t q = q0; q < q1; q++)
        for (int64_t dd = 0; dd < g->dg; dd++)
            for (int64_t t = 0; t < kk; t++) {
                for (int j = 0; j < 64; j++) acc[j] = 0;
                const int64_t ei = (dd * c->np + q) * kk + t;
                const NE_FN(ne_dcn_tap)* e = c->tab + ei;
                const NE_FN(ne_dcn_tapb)* eb = c->tabb + ei;
                NE_DCN_FOR_RUNS(g, dd * cpd, (dd + 1) * cpd, {
                    const NE_T* x = c->xh + cs;
                    const NE_T* dc = c->dcol + (q - c->dq0) * kc + gi * kg + t * cig + (cs - gi * cig);
                    NE_T* gx = c->gxh + cs;
                    if (c->fuse && e->wm[0] != 0 && e->wm[1] != 0 && e->wm[2] != 0 && e->wm[3] != 0) {
                        c->simd.coordscatter(x + e->i[0], x + e->i[1], x + e->i[2], x + e->i[3], dc, acc, gx + e->i[0],
                                             gx + e->i[1], gx + e->i[2], gx + e->i[3], e->wm[0], e->wm[1], e->wm[2],
                                             e->wm[3], ce - cs);
                    } else {
                        c->simd.coord(x + e->i[0], x + e->i[1], x + e->i[2], x + e->i[3], dc, acc, ce - cs);
                        if (c->fuse)
                            for (int k = 0; k < 4; k++)
                                if (e->wm[k] != 0) c->simd.scatter(gx + e->i[k], dc, e->wm[k], ce - cs);
                    }
                })
                /* Each corner's 16 lanes summed as a fixed tree (lane j + lane j + 8, then + 4,
                 * + 2, + 1): four levels instead of a chain of 16 dependent adds, and the 4 x 8
                 * adds of a level are independent (vectorisable); the same bits everywhere. */
                NE_T h8[32], h4[16], h2[8], dk[4];
                for (int k = 0; k < 4; k++)
                    for (int j = 0; j < 8; j++) h8[8 * k + j] = acc[16 * k + j] + acc[16 * k + 8 + j];
                for (int k = 0; k < 4; k++)
                    for (int j = 0; j < 4; j++) h4[4 * k + j] = h8[8 * k + j] + h8[8 * k + 4 + j];
                for (int k = 0; k < 4; k++)
                    for (int j = 0; j < 2; j++) h2[2 * k + j] = h4[4 * k + j] + h4[4 * k + 2 + j];
                for (int k = 0; k < 4; k++) dk[k] = h2[2 * k] + h2[2 * k + 1];
                const NE_T sy = eb->cy[0] * dk[0] + eb->cy[1] * dk[1] + eb->cy[2] * dk[2] + eb->cy[3] * dk[3];
                const NE_T sx = eb->cx[0] * dk[0] + eb->cx[1] * dk[1] + eb->cx[2] * dk[2] + eb->cx[3] * dk[3];
                const NE_T sm = eb->w[0] * dk[0] + eb->w[1] * dk[1] + eb->w[2] * dk[2] + eb->w[3] * dk[3];
                const int64_t p = c->p0 + q;
                c->goff[((dd * 2 * kk) + 2 * t) * hw + p] = sy * eb->m;
                c->goff[((dd * 2 * kk) + 2 * t + 1) * hw + p] = sx * eb->m;
                if (c->gmask) c->gmask[(dd * kk + t) * hw + p] = sm;
            }
}

/* Grad of the HWC image for the channel blocks [k0, k1) (16 channels each), from the positions
 * [dq0, dq1) of dcol: a task owns its channels at every pixel and walks positions (sub-block after
 * sub-block, so in ascending order), taps and corners in one order, so there are no
 * races and each element's sum is the same for any thread count. */
static int32_t NE_FN(ne_dcn_col2im)(void* vctx, int64_t k0, int64_t k1) {
    NE_FN(ne_dcn_chunk)* c = vctx;
    const ne_dcn_geom* g = c->g;
    const int64_t kk = g->kh * g->kw, kc = g->cin * kk, cig = g->cin / g->groups, kg = cig * kk;
    const int64_t lo = k0 * 16, hi = k1 * 16 < g->cin ? k1 * 16 : g->cin;
    for (int64_t q = c->dq0; q < c->dq1; q++)
        for (int64_t t = 0; t < kk; t++)
            NE_DCN_FOR_RUNS(g, lo, hi, {
                const NE_FN(ne_dcn_tap)* e = c->tab + (d * c->np + q) * kk + t;
                const NE_T* dc = c->dcol + (q - c->dq0) * kc + gi * kg + t * cig + (cs - gi * cig);
                for (int k = 0; k < 4; k++)
                    if (e->wm[k] != 0) c->simd.scatter(c->gxh + e->i[k] + cs, dc, e->wm[k], ce - cs);
            })
    return 0;
}

/* ---- Layout changes (pure copies). ---- */

typedef struct {
    const NE_T* src;
    NE_T* dst;
    int64_t rows, cols;   /* src is [rows][cols], dst [cols][rows] */
    int64_t ldd;          /* dst's row stride when not 0 (else rows) */
} NE_FN(ne_dcn_tr_ctx);

/* dst[j][i] = src[i][j] for source rows [r0, r1), in 32-column tiles to stay in cache, by 4 x 4
 * (float) or 2 x 2 (double) SSE2 blocks where x86-64 (a copy: same bits), else element by element. */
static int32_t NE_FN(ne_dcn_transpose)(void* vctx, int64_t r0, int64_t r1) {
    NE_FN(ne_dcn_tr_ctx)* c = vctx;
    const int64_t R = c->ldd ? c->ldd : c->rows, C = c->cols;
    const NE_T* src = c->src;
    NE_T* dst = c->dst;
    for (int64_t j0 = 0; j0 < C; j0 += 32) {
        const int64_t j1 = j0 + 32 < C ? j0 + 32 : C;
        int64_t i = r0;
#if NE_GEMM_X86
#if defined(NE_GEMM_DOUBLE)
        for (; i + 2 <= r1; i += 2) {
            int64_t j = j0;
            for (; j + 2 <= j1; j += 2) {
                const __m128d a = _mm_loadu_pd(src + i * C + j), b = _mm_loadu_pd(src + (i + 1) * C + j);
                _mm_storeu_pd(dst + j * R + i, _mm_unpacklo_pd(a, b));
                _mm_storeu_pd(dst + (j + 1) * R + i, _mm_unpackhi_pd(a, b));
            }
            for (; j < j1; j++) {
                dst[j * R + i] = src[i * C + j];
                dst[j * R + i + 1] = src[(i + 1) * C + j];
            }
        }
#else
        for (; i + 4 <= r1; i += 4) {
            int64_t j = j0;
            for (; j + 4 <= j1; j += 4) {
                __m128 a = _mm_loadu_ps(src + i * C + j), b = _mm_loadu_ps(src + (i + 1) * C + j);
                __m128 e = _mm_loadu_ps(src + (i + 2) * C + j), f = _mm_loadu_ps(src + (i + 3) * C + j);
                _MM_TRANSPOSE4_PS(a, b, e, f);
                _mm_storeu_ps(dst + j * R + i, a);
                _mm_storeu_ps(dst + (j + 1) * R + i, b);
                _mm_storeu_ps(dst + (j + 2) * R + i, e);
                _mm_storeu_ps(dst + (j + 3) * R + i, f);
            }
            for (; j < j1; j++)
                for (int64_t ii = i; ii < i + 4; ii++) dst[j * R + ii] = src[ii * C + j];
        }
#endif
#endif
        for (; i < r1; i++)
            for (int64_t j = j0; j < j1; j++) dst[j * R + i] = src[i * C + j];
    }
    return 0;
}

typedef struct {
    const NE_T* src;
    NE_T* dst;
    int64_t cig, kk;        /* per row: dst [cig][kk] from src [kk][cig] */
} NE_FN(ne_dcn_wperm_ctx);

/* dW' back to the weight's layout: rows [r0, r1) of [kk][cig] transposed to [cig][kk]. */
static int32_t NE_FN(ne_dcn_wperm_back)(void* vctx, int64_t r0, int64_t r1) {
    NE_FN(ne_dcn_wperm_ctx)* c = vctx;
    const int64_t kg = c->cig * c->kk;
    for (int64_t r = r0; r < r1; r++) {
        NE_FN(ne_dcn_tr_ctx) tc = {c->src + r * kg, c->dst + r * kg, c->kk, c->cig, 0};
        NE_FN(ne_dcn_transpose)(&tc, 0, c->kk);
    }
    return 0;
}

#undef NE_DCN_ROW_BODY
#undef NE_DCN_ROW_SIG
#undef NE_DCN_COORD_BODY
#undef NE_DCN_COORD_SIG
#undef NE_DCN_SCATTER_BODY
#undef NE_DCN_SCATTER_SIG
