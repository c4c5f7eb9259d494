/* Typed forward/backward drivers of deformable convolution on the CPU (see the layout notes in
 * ne_deform_conv_kernels.h): per image, the input in HWC order; per chunk of output positions,
 * the table and the column rows (a chunk of about NE_DCN_CHUNK_ELEMS elements, so the rows stay
 * in cache between im2row and the GEMM and the buffer does not grow with the image), then the
 * GEMMs through the CBLAS function pointer the caller passes. The chunking depends on the
 * shapes only, never on the thread count, so every GEMM call is the same for any thread count.
 * Included per dtype after ne_deform_conv_kernels.h. */

#ifndef NE_DCN_CHUNK_ELEMS
#define NE_DCN_CHUNK_ELEMS ((int64_t) 1 << 20)
#endif

typedef void (*NE_FN(ne_gemm_fn))(int order, int transa, int transb, int m, int n, int k, NE_T alpha,
                                  const NE_T* a, int lda, const NE_T* b, int ldb, NE_T beta, NE_T* c, int ldc);

/* Output positions per chunk: as many whole column rows as fit NE_DCN_CHUNK_ELEMS, at least 1. */
static int64_t NE_FN(ne_dcn_chunk_len)(const ne_dcn_geom* g) {
    const int64_t hw = g->ho * g->wo, kc = g->cin * g->kh * g->kw;
    int64_t np = NE_DCN_CHUNK_ELEMS / kc;
    if (np < 1) np = 1;
    return np < hw ? np : hw;
}

typedef struct {
    const NE_T* bias;
    NE_T* out;
    int64_t hw;
} NE_FN(ne_dcn_bias_ctx);

static int32_t NE_FN(ne_dcn_bias_fill)(void* vctx, int64_t r0, int64_t r1) {
    NE_FN(ne_dcn_bias_ctx)* c = vctx;
    for (int64_t r = r0; r < r1; r++) {
        const NE_T v = c->bias[r];
        NE_T* o = c->out + r * c->hw;
        for (int64_t p = 0; p < c->hw; p++) o[p] = v;
    }
    return 0;
}

/* The image b of x [cin][plane] into xh [plane][cin]. */
static void NE_FN(ne_dcn_to_hwc)(const ne_dcn_geom* g, const NE_T* x, NE_T* xh, int32_t threads) {
    NE_FN(ne_dcn_tr_ctx) tc = {x, xh, g->cin, g->h * g->w};
    ne_parallel_for(g->cin, threads, NE_FN(ne_dcn_transpose), &tc);
}

static int32_t NE_FN(ne_dcn_forward)(const ne_dcn_geom* g, const NE_T* input, const NE_T* offset, const NE_T* mask,
                                     const NE_T* weight, const NE_T* bias, NE_T* output, NE_FN(ne_gemm_fn) gemm,
                                     int32_t threads, int32_t isa) {
    const int64_t hw = g->ho * g->wo, kk = g->kh * g->kw, kc = g->cin * kk, cig = g->cin / g->groups, kg = cig * kk;
    const int64_t cog = g->cout / g->groups, plane = g->h * g->w, npmax = NE_FN(ne_dcn_chunk_len)(g);
    NE_T* xh = malloc((size_t) (plane * g->cin) * sizeof(NE_T));
    NE_T* col = malloc((size_t) (npmax * kc) * sizeof(NE_T));
    NE_T* wp = malloc((size_t) (g->cout * kg) * sizeof(NE_T));
    NE_FN(ne_dcn_tap)* tab = malloc((size_t) (g->dg * npmax * kk) * sizeof(NE_FN(ne_dcn_tap)));
    int32_t s = NE_OK;
    if (!xh || !col || !wp || !tab) {
        s = NE_ERR_OUT_OF_MEMORY;
        goto done;
    }
    NE_FN(ne_dcn_wperm_ctx) wc = {weight, wp, cig, kk, 0};
    ne_parallel_for(g->cout, threads, NE_FN(ne_dcn_wperm), &wc);
    /* Bias first, so each GEMM accumulates onto it (beta = 1): no pass over the output after. */
    if (bias) {
        for (int64_t b = 0; b < g->n; b++) {
            NE_FN(ne_dcn_bias_ctx) bc = {bias, output + b * g->cout * hw, hw};
            ne_parallel_for(g->cout, threads, NE_FN(ne_dcn_bias_fill), &bc);
        }
    }
    for (int64_t b = 0; b < g->n; b++) {
        NE_FN(ne_dcn_to_hwc)(g, input + b * g->cin * plane, xh, threads);
        for (int64_t p0 = 0; p0 < hw; p0 += npmax) {
            const int64_t np = hw - p0 < npmax ? hw - p0 : npmax;
            NE_FN(ne_dcn_chunk) ch = {g, xh, offset, mask, b, p0, np, col, NULL, tab, NULL, NULL, NULL, NULL,
                                      NE_FN(ne_dcn_simd_pick)(isa)};
            ne_parallel_for(np, threads, NE_FN(ne_dcn_im2row), &ch);
            /* out_g[:, p0:p0+np] += W'_g * rows_g^T straight into the NCHW output. */
            for (int64_t gi = 0; gi < g->groups; gi++)
                gemm(101, 111, 112, (int) cog, (int) np, (int) kg, 1, wp + gi * cog * kg, (int) kg, col + gi * kg, (int) kc,
                     1, output + (b * g->cout + gi * cog) * hw + p0, (int) hw);
        }
    }
done:
    free(xh);
    free(col);
    free(wp);
    free(tab);
    return s;
}

typedef struct {
    const NE_T* gout;
    NE_T* gbias;
    int64_t n, cout, hw;
} NE_FN(ne_dcn_gbias_ctx);

static int32_t NE_FN(ne_dcn_gbias)(void* vctx, int64_t c0, int64_t c1) {
    NE_FN(ne_dcn_gbias_ctx)* c = vctx;
    for (int64_t co = c0; co < c1; co++) {
        NE_T s = 0;
        for (int64_t b = 0; b < c->n; b++) {
            const NE_T* o = c->gout + (b * c->cout + co) * c->hw;
            for (int64_t p = 0; p < c->hw; p++) s += o[p];
        }
        c->gbias[co] = s;
    }
    return 0;
}

/* ops.md §5.6: per chunk, the rows again (grad weight needs them, the forward does not keep
 * them), the column gradient dcol = dOut^T * W' in one GEMM per group, grad weight
 * dW' += dOut * rows, then grad offset / mask and grad input from dcol with the same table. */
static int32_t NE_FN(ne_dcn_backward)(const ne_dcn_geom* g, const NE_T* gout, const NE_T* input, const NE_T* offset,
                                      const NE_T* mask, const NE_T* weight, NE_T* gin, NE_T* goff, NE_T* gmask,
                                      NE_T* gw, NE_T* gbias, NE_FN(ne_gemm_fn) gemm, int32_t threads, int32_t isa) {
    const int64_t hw = g->ho * g->wo, kk = g->kh * g->kw, kc = g->cin * kk, cig = g->cin / g->groups, kg = cig * kk;
    const int64_t cog = g->cout / g->groups, plane = g->h * g->w, npmax = NE_FN(ne_dcn_chunk_len)(g);
    NE_T* xh = malloc((size_t) (plane * g->cin) * sizeof(NE_T));
    NE_T* gxh = malloc((size_t) (plane * g->cin) * sizeof(NE_T));
    NE_T* col = malloc((size_t) (npmax * kc) * sizeof(NE_T));
    NE_T* dcol = malloc((size_t) (npmax * kc) * sizeof(NE_T));
    NE_T* wp = malloc((size_t) (g->cout * kg) * sizeof(NE_T));
    NE_T* dwp = calloc((size_t) (g->cout * kg), sizeof(NE_T));
    NE_FN(ne_dcn_tap)* tab = malloc((size_t) (g->dg * npmax * kk) * sizeof(NE_FN(ne_dcn_tap)));
    NE_FN(ne_dcn_tapb)* tabb = malloc((size_t) (g->dg * npmax * kk) * sizeof(NE_FN(ne_dcn_tapb)));
    int32_t s = NE_OK;
    if (!xh || !gxh || !col || !dcol || !wp || !dwp || !tab || !tabb) {
        s = NE_ERR_OUT_OF_MEMORY;
        goto done;
    }
    NE_FN(ne_dcn_wperm_ctx) wc = {weight, wp, cig, kk, 0};
    ne_parallel_for(g->cout, threads, NE_FN(ne_dcn_wperm), &wc);
    const NE_FN(ne_dcn_simd) simd = NE_FN(ne_dcn_simd_pick)(isa);
    for (int64_t b = 0; b < g->n; b++) {
        NE_FN(ne_dcn_to_hwc)(g, input + b * g->cin * plane, xh, threads);
        memset(gxh, 0, (size_t) (plane * g->cin) * sizeof(NE_T));
        const NE_T* go = gout + b * g->cout * hw;
        for (int64_t p0 = 0; p0 < hw; p0 += npmax) {
            const int64_t np = hw - p0 < npmax ? hw - p0 : npmax;
            NE_FN(ne_dcn_chunk) ch = {g, xh, offset, mask, b, p0, np, col, dcol, tab, tabb,
                                      goff + b * g->dg * 2 * kk * hw, gmask ? gmask + b * g->dg * kk * hw : NULL, gxh, simd};
            ne_parallel_for(np, threads, NE_FN(ne_dcn_im2row), &ch);
            for (int64_t gi = 0; gi < g->groups; gi++) {
                gemm(101, 112, 111, (int) np, (int) kg, (int) cog, 1, go + gi * cog * hw + p0, (int) hw, wp + gi * cog * kg,
                     (int) kg, 0, dcol + gi * kg, (int) kc);
                gemm(101, 111, 111, (int) cog, (int) kg, (int) np, 1, go + gi * cog * hw + p0, (int) hw, col + gi * kg,
                     (int) kc, 1, dwp + gi * cog * kg, (int) kg);
            }
            ne_parallel_for(np, threads, NE_FN(ne_dcn_coord), &ch);
            ne_parallel_for((g->cin + 15) / 16, threads, NE_FN(ne_dcn_col2im), &ch);
        }
        NE_FN(ne_dcn_tr_ctx) tc = {gxh, gin + b * g->cin * plane, plane, g->cin};
        ne_parallel_for(plane, threads, NE_FN(ne_dcn_transpose), &tc);
    }
    NE_FN(ne_dcn_wperm_ctx) bc = {dwp, gw, cig, kk, 1};
    ne_parallel_for(g->cout, threads, NE_FN(ne_dcn_wperm), &bc);
    if (gbias) {
        NE_FN(ne_dcn_gbias_ctx) gc = {gout, gbias, g->n, g->cout, hw};
        ne_parallel_for(g->cout, threads, NE_FN(ne_dcn_gbias), &gc);
    }
done:
    free(xh);
    free(gxh);
    free(col);
    free(dcol);
    free(wp);
    free(dwp);
    free(tab);
    free(tabb);
    return s;
}
