/* Typed forward/backward drivers of deformable convolution on the CPU: chunks of im2col_step
 * images, the sampling table per (image, deformable group), and CBLAS GEMMs through the function
 * pointer the caller passes. Included per dtype after ne_deform_conv_kernels.h. */

typedef void (*NE_FN(ne_gemm_fn))(int order, int transa, int transb, int m, int n, int k, NE_T alpha,
                                  const NE_T* a, int lda, const NE_T* b, int ldb, NE_T beta, NE_T* c, int ldc);

typedef struct {
    NE_FN(ne_dcn_table) tab;
    void* mem;
} NE_FN(ne_dcn_table_mem);

static int32_t NE_FN(ne_dcn_table_alloc)(NE_FN(ne_dcn_table_mem)* t, int64_t n, int backward) {
    const int64_t per = backward ? (4 * sizeof(int64_t) + 16 * sizeof(NE_T) + sizeof(NE_T)) : (4 * sizeof(int64_t) + 4 * sizeof(NE_T));
    char* p = malloc((size_t) (n * per));
    t->mem = p;
    if (!p) return NE_ERR_OUT_OF_MEMORY;
    t->tab.idx = (int64_t*) p;
    p += 4 * n * sizeof(int64_t);
    t->tab.wm = (NE_T*) p;
    p += 4 * n * sizeof(NE_T);
    if (backward) {
        t->tab.w = (NE_T*) p;
        t->tab.cy = t->tab.w + 4 * n;
        t->tab.cx = t->tab.cy + 4 * n;
        t->tab.m = t->tab.cx + 4 * n;
    } else {
        t->tab.w = t->tab.cy = t->tab.cx = t->tab.m = NULL;
    }
    return NE_OK;
}

/* Builds the table of image b (in the batch) and deformable group d, then im2cols the group's
 * channels into the column block of chunk-local image bl. */
static void NE_FN(ne_dcn_fill)(const ne_dcn_geom* g, const NE_T* input, const NE_T* offset, const NE_T* mask,
                               int64_t b, int64_t bl, int64_t d, NE_T* col, int64_t ld, NE_FN(ne_dcn_table)* tab,
                               int build, int32_t threads, int32_t isa) {
    const int64_t hw = g->ho * g->wo, kk = g->kh * g->kw, cpg = g->cin / g->dg;
    if (build) {
        NE_FN(ne_dcn_build_ctx) bc = {g, offset + ((b * g->dg + d) * 2 * kk) * hw,
                                     mask ? mask + ((b * g->dg + d) * kk) * hw : NULL, tab};
        ne_parallel_for(kk, threads, NE_FN(ne_dcn_build), &bc);
    }
    if (col) {
        NE_FN(ne_dcn_im2col_ctx) ic = {g, input + (b * g->cin + d * cpg) * g->h * g->w,
                                      col + (d * cpg * kk) * ld + bl * hw, ld, tab, isa};
        ne_parallel_for(cpg, threads, NE_FN(ne_dcn_im2col), &ic);
    }
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

static int32_t NE_FN(ne_dcn_forward)(const ne_dcn_geom* g, const NE_T* input, const NE_T* offset, const NE_T* mask,
                                     const NE_T* weight, const NE_T* bias, NE_T* output, int64_t step,
                                     NE_FN(ne_gemm_fn) gemm, int32_t threads, int32_t isa) {
    const int64_t hw = g->ho * g->wo, kk = g->kh * g->kw, cog = g->cout / g->groups, kg = g->cin / g->groups * kk;
    const int64_t ld = step * hw;
    NE_T* col = malloc((size_t) (g->cin * kk * ld) * sizeof(NE_T));
    NE_FN(ne_dcn_table_mem) tm;
    tm.mem = NULL;
    if (!col || NE_FN(ne_dcn_table_alloc)(&tm, kk * hw, 0) != NE_OK) {
        free(col);
        free(tm.mem);
        return NE_ERR_OUT_OF_MEMORY;
    }
    /* Bias first, so each GEMM accumulates onto it (beta = 1): no pass over the output after. */
    if (bias) {
        for (int64_t b = 0; b < g->n; b++) {
            NE_FN(ne_dcn_bias_ctx) bc = {bias, output + b * g->cout * hw, hw};
            ne_parallel_for(g->cout, threads, NE_FN(ne_dcn_bias_fill), &bc);
        }
    }
    for (int64_t b0 = 0; b0 < g->n; b0 += step) {
        const int64_t p = g->n - b0 < step ? g->n - b0 : step;
        for (int64_t bl = 0; bl < p; bl++)
            for (int64_t d = 0; d < g->dg; d++)
                NE_FN(ne_dcn_fill)(g, input, offset, mask, b0 + bl, bl, d, col, ld, &tm.tab, 1, threads, isa);
        /* One GEMM per (image, group) straight into the NCHW output: out_bg[cog, hw] +=
         * W_g[cog, kg] * col_g[kg, hw] with the image's block read at row stride ld. */
        for (int64_t bl = 0; bl < p; bl++)
            for (int64_t gi = 0; gi < g->groups; gi++)
                gemm(101, 111, 111, (int) cog, (int) hw, (int) kg, 1, weight + gi * cog * kg, (int) kg,
                     col + gi * kg * ld + bl * hw, (int) ld, 1, output + ((b0 + bl) * g->cout + gi * cog) * hw, (int) hw);
    }
    free(col);
    free(tm.mem);
    return NE_OK;
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

static int32_t NE_FN(ne_dcn_backward)(const ne_dcn_geom* g, const NE_T* gout, const NE_T* input, const NE_T* offset,
                                      const NE_T* mask, const NE_T* weight, NE_T* gin, NE_T* goff, NE_T* gmask,
                                      NE_T* gw, NE_T* gbias, int64_t step, NE_FN(ne_gemm_fn) gemm,
                                      int32_t threads, int32_t isa) {
    const int64_t hw = g->ho * g->wo, kk = g->kh * g->kw, cog = g->cout / g->groups, kg = g->cin / g->groups * kk;
    const int64_t ld = step * hw, cpg = g->cin / g->dg;
    NE_T* col = malloc((size_t) (g->cin * kk * ld) * sizeof(NE_T));
    NE_T* dcol = malloc((size_t) (g->cin * kk * ld) * sizeof(NE_T));
    NE_T* acc = malloc((size_t) (3 * kk * hw) * sizeof(NE_T));
    NE_FN(ne_dcn_table_mem) tm;
    tm.mem = NULL;
    if (!col || !dcol || !acc || NE_FN(ne_dcn_table_alloc)(&tm, kk * hw, 1) != NE_OK) {
        free(col);
        free(dcol);
        free(acc);
        free(tm.mem);
        return NE_ERR_OUT_OF_MEMORY;
    }
    for (int64_t b0 = 0; b0 < g->n; b0 += step) {
        const int64_t p = g->n - b0 < step ? g->n - b0 : step;
        /* dcol_g = W_g^T * dOut_g per image (ops.md §5.6 step 1). */
        for (int64_t bl = 0; bl < p; bl++)
            for (int64_t gi = 0; gi < g->groups; gi++)
                gemm(101, 112, 111, (int) kg, (int) hw, (int) cog, 1, weight + gi * cog * kg, (int) kg,
                     gout + ((b0 + bl) * g->cout + gi * cog) * hw, (int) hw, 0, dcol + gi * kg * ld + bl * hw, (int) ld);
        for (int64_t bl = 0; bl < p; bl++) {
            const int64_t b = b0 + bl;
            for (int64_t d = 0; d < g->dg; d++) {
                /* The table, then the columns again (for grad weight), from the same samples. */
                NE_FN(ne_dcn_fill)(g, input, offset, mask, b, bl, d, col, ld, &tm.tab, 1, threads, isa);
                NE_FN(ne_dcn_coord_ctx) cc = {g, input + (b * g->cin + d * cpg) * g->h * g->w,
                                             dcol + (d * cpg * kk) * ld + bl * hw, ld, cpg,
                                             goff + ((b * g->dg + d) * 2 * kk) * hw,
                                             gmask ? gmask + ((b * g->dg + d) * kk) * hw : NULL, acc, &tm.tab};
                ne_parallel_for(kk, threads, NE_FN(ne_dcn_coord), &cc);
                NE_FN(ne_dcn_col2im_ctx) xc = {g, dcol + (d * cpg * kk) * ld + bl * hw, ld,
                                              gin + (b * g->cin + d * cpg) * g->h * g->w, &tm.tab};
                ne_parallel_for(cpg, threads, NE_FN(ne_dcn_col2im), &xc);
            }
        }
        /* dW_g += dOut_g * col_g^T, images in order (ops.md §5.6 step 4). */
        for (int64_t bl = 0; bl < p; bl++)
            for (int64_t gi = 0; gi < g->groups; gi++)
                gemm(101, 111, 112, (int) cog, (int) kg, (int) hw, 1, gout + ((b0 + bl) * g->cout + gi * cog) * hw,
                     (int) hw, col + gi * kg * ld + bl * hw, (int) ld, 1, gw + gi * cog * kg, (int) kg);
    }
    if (gbias) {
        NE_FN(ne_dcn_gbias_ctx) bc = {gout, gbias, g->n, g->cout, hw};
        ne_parallel_for(g->cout, threads, NE_FN(ne_dcn_gbias), &bc);
    }
    free(col);
    free(dcol);
    free(acc);
    free(tm.mem);
    return NE_OK;
}
