/* Typed CPU kernels of deformable convolution, included once per dtype by ne_deform_conv_cpu.c
 * with NE_T (float/double) and NE_S (suffix) defined. Not a public header.
 *
 * Why a sampling table: for one image and one deformable group, the bilinear corners and weights
 * of every (tap, output position) are the same for all C_in/offset_groups channels (256 in the
 * DCN configs), so they are computed once (like ROIAlign's pre_calc, ops.md §2.4) and the
 * per-channel work is 4 gathers and 4 multiply-adds per column entry. Table layout: corner k,
 * tap t, position p at [k*n + t*HWo + p] (n = kh*kw*HWo), structure of arrays so the gather
 * loop vectorises. Invalid corners get plane offset 0 and weight 0 (ZP sampler, ops.md §1). */

#define NE_CAT2(a, b) a##_##b
#define NE_CAT(a, b) NE_CAT2(a, b)
#define NE_FN(name) NE_CAT(name, NE_S)

typedef struct {
    int64_t* idx;  /* [4][n] corner offsets inside the plane */
    NE_T* wm;      /* [4][n] corner weight times mask: the im2col / col2im coefficient */
    NE_T* w;       /* [4][n] corner weight (backward: grad mask), or NULL */
    NE_T* cy;      /* [4][n] d(sample)/dy coefficient per corner (backward), or NULL */
    NE_T* cx;      /* [4][n] d(sample)/dx coefficient per corner (backward), or NULL */
    NE_T* m;       /* [n] the mask value (backward), or NULL */
} NE_FN(ne_dcn_table);

typedef struct {
    const ne_dcn_geom* g;
    const NE_T* off;   /* offset of this (image, deformable group): [2*kh*kw][HWo] */
    const NE_T* msk;   /* mask of this (image, deformable group): [kh*kw][HWo], or NULL */
    NE_FN(ne_dcn_table)* tab;
} NE_FN(ne_dcn_build_ctx);

/* Fills the table rows of taps [t0, t1). */
static int32_t NE_FN(ne_dcn_build)(void* vctx, int64_t t0, int64_t t1) {
    NE_FN(ne_dcn_build_ctx)* c = vctx;
    const ne_dcn_geom* g = c->g;
    const int64_t hw = g->ho * g->wo, n = g->kh * g->kw * hw;
    NE_FN(ne_dcn_table)* tb = c->tab;
    for (int64_t t = t0; t < t1; t++) {
        const int64_t i = t / g->kw, j = t % g->kw;
        const NE_T* oy = c->off + (2 * t) * hw;
        const NE_T* ox = c->off + (2 * t + 1) * hw;
        for (int64_t ho = 0; ho < g->ho; ho++) {
            for (int64_t wo = 0; wo < g->wo; wo++) {
                const int64_t p = ho * g->wo + wo, e = t * hw + p;
                const NE_T y = (NE_T) (ho * g->sh - g->ph + i * g->dh) + oy[p];
                const NE_T x = (NE_T) (wo * g->sw - g->pw + j * g->dw) + ox[p];
                const NE_T m = c->msk ? c->msk[t * hw + p] : (NE_T) 1;
                int64_t id[4] = {0, 0, 0, 0};
                NE_T w[4] = {0, 0, 0, 0}, cy[4] = {0, 0, 0, 0}, cx[4] = {0, 0, 0, 0};
                /* Written as !(inside) so that NaN coordinates count as outside. */
                if (y > -1 && y < (NE_T) g->h && x > -1 && x < (NE_T) g->w) {
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
                    tb->idx[k * n + e] = id[k];
                    tb->wm[k * n + e] = w[k] * m;
                    if (tb->w) {
                        tb->w[k * n + e] = w[k];
                        tb->cy[k * n + e] = cy[k];
                        tb->cx[k * n + e] = cx[k];
                    }
                }
                if (tb->m) tb->m[e] = m;
            }
        }
    }
    return 0;
}

/* The gather row: out[p] = sum_k wm_k[p] * x[idx_k[p]]. Compiled per ISA; the sum order is fixed
 * and contraction is off (build.properties), so every variant gives the same bits. */
#define NE_DCN_GATHER_BODY                                                                        \
    for (int64_t p = 0; p < len; p++)                                                            \
        out[p] = w0[p] * x[i0[p]] + w1[p] * x[i1[p]] + w2[p] * x[i2[p]] + w3[p] * x[i3[p]];
#define NE_DCN_GATHER_SIG(sfx)                                                                    \
    static void NE_FN(ne_dcn_gather_##sfx)(const NE_T* restrict x, const int64_t* restrict i0,    \
        const int64_t* restrict i1, const int64_t* restrict i2, const int64_t* restrict i3,       \
        const NE_T* restrict w0, const NE_T* restrict w1, const NE_T* restrict w2,                \
        const NE_T* restrict w3, NE_T* restrict out, int64_t len)
NE_DCN_GATHER_SIG(base) { NE_DCN_GATHER_BODY }
__attribute__((target("avx2,fma"))) NE_DCN_GATHER_SIG(avx2) { NE_DCN_GATHER_BODY }
__attribute__((target("avx512f"))) NE_DCN_GATHER_SIG(avx512) { NE_DCN_GATHER_BODY }

typedef struct {
    const ne_dcn_geom* g;
    const NE_T* x;        /* the image's first channel of this deformable group */
    NE_T* col;            /* column rows of those channels, this image's column block */
    int64_t ld;           /* row stride of the column buffer */
    const NE_FN(ne_dcn_table)* tab;
    int32_t isa;
} NE_FN(ne_dcn_im2col_ctx);

/* Column rows of channels [c0, c1) of the deformable group (row (c*kh + i)*kw + j). */
static int32_t NE_FN(ne_dcn_im2col)(void* vctx, int64_t c0, int64_t c1) {
    NE_FN(ne_dcn_im2col_ctx)* c = vctx;
    const ne_dcn_geom* g = c->g;
    const int64_t hw = g->ho * g->wo, kk = g->kh * g->kw, n = kk * hw, plane = g->h * g->w;
    const NE_FN(ne_dcn_table)* tb = c->tab;
    for (int64_t ch = c0; ch < c1; ch++) {
        const NE_T* x = c->x + ch * plane;
        for (int64_t t = 0; t < kk; t++) {
            const int64_t e = t * hw;
            NE_T* out = c->col + (ch * kk + t) * c->ld;
#define NE_DCN_GATHER_ARGS x, tb->idx + e, tb->idx + n + e, tb->idx + 2 * n + e, tb->idx + 3 * n + e, \
                tb->wm + e, tb->wm + n + e, tb->wm + 2 * n + e, tb->wm + 3 * n + e, out, hw
            if (c->isa == NE_ISA_AVX512) NE_FN(ne_dcn_gather_avx512)(NE_DCN_GATHER_ARGS);
            else if (c->isa == NE_ISA_AVX2) NE_FN(ne_dcn_gather_avx2)(NE_DCN_GATHER_ARGS);
            else NE_FN(ne_dcn_gather_base)(NE_DCN_GATHER_ARGS);
#undef NE_DCN_GATHER_ARGS
        }
    }
    return 0;
}

typedef struct {
    const ne_dcn_geom* g;
    const NE_T* dcol;     /* column gradient, this deformable group's rows, this image's block */
    int64_t ld;
    NE_T* gx;             /* grad input of the group's first channel, this image */
    const NE_FN(ne_dcn_table)* tab;
} NE_FN(ne_dcn_col2im_ctx);

/* grad input of channels [c0, c1): each task owns whole planes and walks taps and positions in
 * one fixed order, so there is no race and the sum is the same for any thread count. */
static int32_t NE_FN(ne_dcn_col2im)(void* vctx, int64_t c0, int64_t c1) {
    NE_FN(ne_dcn_col2im_ctx)* c = vctx;
    const ne_dcn_geom* g = c->g;
    const int64_t hw = g->ho * g->wo, kk = g->kh * g->kw, n = kk * hw, plane = g->h * g->w;
    const NE_FN(ne_dcn_table)* tb = c->tab;
    for (int64_t ch = c0; ch < c1; ch++) {
        NE_T* gx = c->gx + ch * plane;
        for (int64_t t = 0; t < kk; t++) {
            const NE_T* d = c->dcol + (ch * kk + t) * c->ld;
            for (int64_t p = 0; p < hw; p++) {
                const int64_t e = t * hw + p;
                const NE_T v = d[p];
                for (int k = 0; k < 4; k++) {
                    const NE_T wk = tb->wm[k * n + e];
                    if (wk != 0) gx[tb->idx[k * n + e]] += wk * v;
                }
            }
        }
    }
    return 0;
}

typedef struct {
    const ne_dcn_geom* g;
    const NE_T* x;        /* the image's first channel of this deformable group */
    const NE_T* dcol;
    int64_t ld;
    int64_t cpg;          /* channels per deformable group */
    NE_T* goff;           /* grad offset of this (image, group): [2*kh*kw][HWo] */
    NE_T* gmsk;           /* grad mask of this (image, group): [kh*kw][HWo], or NULL */
    NE_T* acc;            /* scratch [threads-independent]: 3*kh*kw*HWo */
    const NE_FN(ne_dcn_table)* tab;
} NE_FN(ne_dcn_coord_ctx);

/* grad offset / mask of taps [t0, t1): each task owns its taps' rows and sums over the group's
 * channels in channel order (no atomics, ops.md §5.6 step 2). */
static int32_t NE_FN(ne_dcn_coord)(void* vctx, int64_t t0, int64_t t1) {
    NE_FN(ne_dcn_coord_ctx)* c = vctx;
    const ne_dcn_geom* g = c->g;
    const int64_t hw = g->ho * g->wo, kk = g->kh * g->kw, n = kk * hw, plane = g->h * g->w;
    const NE_FN(ne_dcn_table)* tb = c->tab;
    for (int64_t t = t0; t < t1; t++) {
        NE_T* ay = c->acc + (3 * t) * hw;
        NE_T* ax = ay + hw;
        NE_T* am = ax + hw;
        for (int64_t p = 0; p < hw; p++) ay[p] = ax[p] = am[p] = 0;
        const int64_t e0 = t * hw;
        for (int64_t ch = 0; ch < c->cpg; ch++) {
            const NE_T* x = c->x + ch * plane;
            const NE_T* d = c->dcol + (ch * kk + t) * c->ld;
            for (int64_t p = 0; p < hw; p++) {
                const int64_t e = e0 + p;
                const NE_T v0 = x[tb->idx[e]], v1 = x[tb->idx[n + e]], v2 = x[tb->idx[2 * n + e]], v3 = x[tb->idx[3 * n + e]];
                const NE_T sy = tb->cy[e] * v0 + tb->cy[n + e] * v1 + tb->cy[2 * n + e] * v2 + tb->cy[3 * n + e] * v3;
                const NE_T sx = tb->cx[e] * v0 + tb->cx[n + e] * v1 + tb->cx[2 * n + e] * v2 + tb->cx[3 * n + e] * v3;
                const NE_T sv = tb->w[e] * v0 + tb->w[n + e] * v1 + tb->w[2 * n + e] * v2 + tb->w[3 * n + e] * v3;
                ay[p] += d[p] * sy;
                ax[p] += d[p] * sx;
                am[p] += d[p] * sv;
            }
        }
        NE_T* gy = c->goff + (2 * t) * hw;
        NE_T* gxo = c->goff + (2 * t + 1) * hw;
        for (int64_t p = 0; p < hw; p++) {
            gy[p] = ay[p] * tb->m[e0 + p];
            gxo[p] = ax[p] * tb->m[e0 + p];
            if (c->gmsk) c->gmsk[t * hw + p] = am[p];
        }
    }
    return 0;
}

#undef NE_DCN_GATHER_BODY
#undef NE_DCN_GATHER_SIG
