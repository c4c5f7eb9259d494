/* The type-generic drivers of ne_conv2d_cpu.c, included once per dtype (NE_T; NE_S its name
 * suffix, f32 or f64) after that dtype's ne_gemm.h and variants of ne_conv2d_kernel.h, whose
 * functions each path picks by isa with a plain if/else (ne_parallel.h's convention): the GEMM
 * path (ne_gemm_pa on im2col columns, or straight on the input for 1x1 stride-1 unpadded
 * convolutions) and, for float32, Winograd F(4x4,3x3). Each path has a prepare step, which lays
 * the weights out as the path reads them (ne_conv2d_cpu.c's prepared layout), and a forward on
 * the prepared weights. Work is split into items whose boundaries depend on the shapes only,
 * never on the thread count, so results are bit-identical for any thread count. */

#define NE_C2_G(name) NE_CAT(name, NE_S)

typedef void (*NE_C2_G(ne_c2_init_fn))(NE_T* y, const NE_T* r, int64_t n, NE_T t);
typedef void (*NE_C2_G(ne_c2_relu_fn))(NE_T* y, int64_t n);
typedef void (*NE_C2_G(ne_c2_im2col_fn))(const ne_c2_geom* g, const NE_T* in, int64_t p0, int64_t nc, int64_t k0, int64_t k1,
                                         NE_T* col);

/* s and t of output channel co: y*s + t == (y + bias)*scale + shift. */
static void NE_C2_G(ne_c2_affine)(const NE_T* bias, const NE_T* scale, const NE_T* shift, int64_t co, NE_T* s, NE_T* t) {
    NE_T sc = scale ? scale[co] : (NE_T) 1;
    *s = sc;
    *t = (bias ? bias[co] * sc : (NE_T) 0) + (shift ? shift[co] : (NE_T) 0);
}

/* ---- The GEMM path. Prepared: t[C_out] and, per group, its weights [C_out/groups][K] times
 * their channel's scale, packed once as ne_gemm_pa's A. ---- */
typedef struct {
    const NE_T* rows;   /* [C_out][K], the scale folded in */
    NE_T* ap;
    int64_t m, k, npan, apg;
} NE_C2_G(ne_c2_pack_ctx);

static int32_t NE_C2_G(ne_c2_pack_range)(void* p, int64_t begin, int64_t end) {
    const NE_C2_G(ne_c2_pack_ctx)* c = (const NE_C2_G(ne_c2_pack_ctx)*) p;
    for (int64_t item = begin; item < end; item++) {
        const int64_t gr = item / c->npan, pan = item % c->npan;
        NE_C2_G(ne_gemm_pack_a_panels)(c->m, c->k, c->rows + gr * c->m * c->k, c->k, 1, c->ap + gr * c->apg, pan, pan + 1);
    }
    return NE_OK;
}

/* Packs `groups` matrices [m][k] (consecutive in rows) as ne_gemm_pa's A, apg elements apart. */
static int32_t NE_C2_G(ne_c2_pack)(const NE_T* rows, int64_t groups, int64_t m, int64_t k, NE_T* ap, int64_t apg, int32_t threads) {
    NE_C2_G(ne_c2_pack_ctx) c = {rows, ap, m, k, (m + NE_GEMM_MR - 1) / NE_GEMM_MR, apg};
    return ne_parallel_for(groups * c.npan, threads, NE_C2_G(ne_c2_pack_range), &c);
}

static int32_t NE_C2_G(ne_c2_prepare_gemm)(const ne_c2_geom* g, const NE_T* w, const NE_T* bias, const NE_T* scale,
                                           const NE_T* shift, char* prep, const ne_c2_layout* L, int32_t threads) {
    const int64_t K = g->cin_g * g->kh * g->kw;
    NE_T* t = (NE_T*) (prep + L->t);
    for (int64_t co = 0; co < g->cout; co++) {
        NE_T s;
        NE_C2_G(ne_c2_affine)(bias, scale, shift, co, &s, &t[co]);
    }
    NE_T* scaled = NULL;
    if (scale) {
        scaled = (NE_T*) ne_c2_alloc((size_t) (g->cout * K) * sizeof(NE_T));
        if (!scaled) return NE_ERR_OUT_OF_MEMORY;
        for (int64_t co = 0; co < g->cout; co++)
            for (int64_t k = 0; k < K; k++) scaled[co * K + k] = w[co * K + k] * scale[co];
    }
    int32_t st = NE_C2_G(ne_c2_pack)(scaled ? scaled : w, g->groups, g->cout_g, K, (NE_T*) (prep + L->a),
                                     NE_C2_G(ne_gemm_pa_size)(g->cout_g, K), threads);
    free(scaled);
    return st;
}

typedef struct {
    const ne_c2_geom* g;
    const NE_T *in, *res, *ap, *t;
    NE_T* out;
    int32_t relu, isa;
    NE_C2_G(ne_c2_init_fn) init;
    NE_C2_G(ne_c2_relu_fn) relu_fn;
    NE_C2_G(ne_c2_im2col_fn) im2col;
    int64_t nchunks, nc, K, apg;
    int64_t mblocks, mrows;   /* output channels of a group split into mblocks items of mrows (small planes) */
    int64_t panels;           /* > 0: im2col chunk i covers the 32-wide panels [i * panels / nchunks, (i + 1) * ...) */
    int direct;
    NE_T* col;                /* NULL, or the im2col columns [K][hwo] of the one image, built once for all items */
} NE_C2_G(ne_c2_ctx);

#define NE_C2_PANEL 32
/* Rows of the shared im2col columns per item of their build. */
#define NE_C2_COL_ROWS 128

static int32_t NE_C2_G(ne_c2_col_range)(void* p, int64_t begin, int64_t end) {
    const NE_C2_G(ne_c2_ctx)* c = (const NE_C2_G(ne_c2_ctx)*) p;
    const int64_t hwo = c->g->ho * c->g->wo;
    for (int64_t item = begin; item < end; item++) {
        const int64_t k0 = item * NE_C2_COL_ROWS, k1 = k0 + NE_C2_COL_ROWS < c->K ? k0 + NE_C2_COL_ROWS : c->K;
        c->im2col(c->g, c->in, 0, hwo, k0, k1, c->col + k0 * hwo);
    }
    return NE_OK;
}

static int32_t NE_C2_G(ne_c2_gemm_range)(void* p, int64_t begin, int64_t end) {
    const NE_C2_G(ne_c2_ctx)* c = (const NE_C2_G(ne_c2_ctx)*) p;
    const ne_c2_geom* g = c->g;
    const int64_t hw = g->h * g->w, hwo = g->ho * g->wo;
    /* B's packed block, then (im2col) one KC-row block of columns */
    NE_T* work = (NE_T*) ne_c2_scratch((size_t) (NE_GEMM_KC * NE_GEMM_NC + (c->direct || c->col ? 0 : NE_GEMM_KC * c->nc)) * sizeof(NE_T));
    if (!work) return NE_ERR_OUT_OF_MEMORY;
    NE_T* col = work + NE_GEMM_KC * NE_GEMM_NC;
    for (int64_t item = begin; item < end; item++) {
        const int64_t mblk = item % c->mblocks, rest = item / c->mblocks;
        const int64_t chunk = rest % c->nchunks, gr = (rest / c->nchunks) % g->groups, b = rest / (c->nchunks * g->groups);
        const int64_t o0 = mblk * c->mrows, o1 = o0 + c->mrows < g->cout_g ? o0 + c->mrows : g->cout_g;
        if (o0 >= o1) continue;
        int64_t p0 = chunk * c->nc, n = hwo - p0 < c->nc ? hwo - p0 : c->nc;
        if (c->panels) {
            const int64_t q1 = NE_C2_PANEL * ((chunk + 1) * c->panels / c->nchunks);
            p0 = NE_C2_PANEL * (chunk * c->panels / c->nchunks);
            n = (q1 < hwo ? q1 : hwo) - p0;
        }
        if (n <= 0) continue;
        const NE_T* in = c->in + (b * g->cin + gr * g->cin_g) * hw;
        NE_T* C = c->out + (b * g->cout + gr * g->cout_g + o0) * hwo + p0;
        const NE_T* A = c->ap + gr * c->apg;
        /* C = t (+ residual), then C += (scale * W) B, each element one fma chain over k from
         * there: no zeroing pass, and a residual that is the output itself is read first. */
        NE_C2_PROF_AT(e0)
        for (int64_t o = 0; o < o1 - o0; o++) {
            const int64_t co = gr * g->cout_g + o0 + o;
            c->init(C + o * hwo, c->res ? c->res + (b * g->cout + co) * hwo + p0 : NULL, n, c->t[co]);
        }
        NE_C2_PROF_AT(e0b)
        NE_C2_PROF_ADD(6, e0, e0b)
        if (c->direct || c->col) {
            const NE_T* B = c->col ? c->col : in + p0;   /* the shared columns: one image, one chunk (p0 = 0) */
            NE_C2_G(ne_gemm_pa)(g->cout_g, c->K, A, o0, o1, 0, c->K, n, B, hwo, C, hwo, 0, work, c->isa);
        } else {
            for (int64_t k0 = 0; k0 < c->K; k0 += NE_GEMM_KC) {
                const int64_t k1 = c->K - k0 < NE_GEMM_KC ? c->K : k0 + NE_GEMM_KC;
                NE_C2_PROF_AT(t0)
                c->im2col(g, in, p0, n, k0, k1, col);
                NE_C2_PROF_AT(t1)
                NE_C2_G(ne_gemm_pa)(g->cout_g, c->K, A, o0, o1, k0, k1, n, col, n, C, hwo, 0, work, c->isa);
                NE_C2_PROF_AT(t2)
                NE_C2_PROF_ADD(2, t0, t1)
                NE_C2_PROF_ADD(3, t1, t2)
            }
        }
        NE_C2_PROF_AT(e1)
        if (c->relu)
            for (int64_t o = 0; o < o1 - o0; o++) c->relu_fn(C + o * hwo, n);
        NE_C2_PROF_AT(e2)
        NE_C2_PROF_ADD(4, e0, e1)
        NE_C2_PROF_ADD(5, e1, e2)
    }
    ne_c2_scratch_free(work);
    return NE_OK;
}

static int32_t NE_C2_G(ne_c2_forward_gemm)(const ne_c2_geom* g, const NE_T* in, const char* prep, const ne_c2_layout* L,
                                           const NE_T* res, int32_t relu, NE_T* out, int32_t threads, int32_t isa) {
    NE_C2_G(ne_c2_ctx) c;
    memset(&c, 0, sizeof c);
    c.g = g, c.in = in, c.res = res, c.out = out, c.relu = relu, c.isa = isa;
    c.t = (const NE_T*) (prep + L->t), c.ap = (const NE_T*) (prep + L->a);
    c.K = g->cin_g * g->kh * g->kw;
    c.apg = NE_C2_G(ne_gemm_pa_size)(g->cout_g, c.K);
    c.direct = g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->ph == 0 && g->pw == 0;
    if (isa == NE_ISA_AVX512) {
        c.init = NE_CAT(NE_C2_G(ne_c2_init), avx512), c.relu_fn = NE_CAT(NE_C2_G(ne_c2_relu), avx512);
        c.im2col = NE_CAT(NE_C2_G(ne_c2_im2col), avx512);
    } else if (isa == NE_ISA_AVX2) {
        c.init = NE_CAT(NE_C2_G(ne_c2_init), avx2), c.relu_fn = NE_CAT(NE_C2_G(ne_c2_relu), avx2);
        c.im2col = NE_CAT(NE_C2_G(ne_c2_im2col), avx2);
    } else {
        c.init = NE_CAT(NE_C2_G(ne_c2_init), base), c.relu_fn = NE_CAT(NE_C2_G(ne_c2_relu), base);
        c.im2col = NE_CAT(NE_C2_G(ne_c2_im2col), base);
    }
    const int64_t hwo = g->ho * g->wo;
    ne_c2_chunks(hwo, c.direct ? NE_C2_DIRECT_COLS : NE_C2_GEMM_COLS, &c.nchunks, &c.nc);
    /* im2col chunks as whole 32-wide panels (the AVX-512 tile's width; two AVX2 panels), split
     * evenly in panels over the same number of chunks: 3x3/2 56->28 (784 positions) was 208,
     * 208, 208, 160 wide (26 panels computed, 14 + 12 per half for two threads), now 192, 192,
     * 192, 208 (25 panels, 12 + 13). Columns only: the same chains, the same bits. */
    if (!c.direct && c.nchunks > 1) {
        c.panels = (hwo + NE_C2_PANEL - 1) / NE_C2_PANEL;
        c.nc = NE_C2_PANEL * ((c.panels + c.nchunks - 1) / c.nchunks);   /* the widest chunk: col's size */
    }
    /* A small plane is one chunk: split the output channels too (into blocks of 64+ rows, a
     * multiple of the GEMM's 12-row panel) so that a second core has work; by the shapes only,
     * never the thread count. */
    c.mblocks = 1;
    while (g->n * g->groups * c.nchunks * c.mblocks < 2 && g->cout_g / (c.mblocks * 2) >= 64) c.mblocks *= 2;
    c.mrows = ((g->cout_g + c.mblocks - 1) / c.mblocks + NE_GEMM_MR - 1) / NE_GEMM_MR * NE_GEMM_MR;
    /* Split output channels (one image, one group, one chunk): the items would each build the
     * same im2col columns (7x7, 3x3 512: 0.17 ms, a sixth of an item's GEMM); built once
     * instead, in row blocks shared by the threads. Same columns, same bits. */
    int32_t s = NE_OK;
    if (!c.direct && c.mblocks > 1) {
        c.col = (NE_T*) ne_c2_scratch((size_t) (c.K * hwo) * sizeof(NE_T));
        if (!c.col) return NE_ERR_OUT_OF_MEMORY;
        NE_C2_PROF_AT(c0)
        s = ne_parallel_for((c.K + NE_C2_COL_ROWS - 1) / NE_C2_COL_ROWS, threads, NE_C2_G(ne_c2_col_range), &c);
        NE_C2_PROF_AT(c1)
        NE_C2_PROF_ADD(2, c0, c1)
    }
    if (s == NE_OK) s = ne_parallel_for(g->n * g->groups * c.nchunks * c.mblocks, threads, NE_C2_G(ne_c2_gemm_range), &c);
    ne_c2_scratch_free(c.col);
    return s;
}

#if NE_C2_WINOGRAD
#ifndef NE_C2_WINO_BY_BLOCKS
#define NE_C2_WINO_BY_BLOCKS 1
#endif
/* ---- Winograd F(4x4,3x3). Prepared: s[C_out], t[C_out] and U[36][C_out][C_in] = G w G^T, each
 * of the 36 matrices packed once as ne_gemm_pa's A. ---- */
typedef void (*ne_c2_wino_weight_fn)(const NE_T* w, int64_t cin, int64_t cout, int64_t co, NE_T* w9, NE_T* U);
typedef void (*ne_c2_wino_input_fn)(const ne_c2_geom* g, const NE_T* plane, int64_t ci, int64_t ty0, int64_t ty1,
                                    int64_t tw, int64_t tb, NE_T* V, int64_t vsz, int64_t nr, int narrow, NE_T* scratch);
typedef void (*ne_c2_wino_output_fn)(const ne_c2_geom* g, const NE_T* M, int64_t co, int64_t ty0, int64_t ty1, int64_t tw,
                                     int64_t tb, NE_T* outPlane, const NE_T* resPlane, NE_T s, NE_T t, int32_t relu,
                                     NE_T* scratch);

typedef struct {
    const ne_c2_geom* g;
    const NE_T *in, *w, *res, *U, *s, *t;
    NE_T *out, *Uraw, *V, *M;
    int32_t relu, isa;
    ne_c2_wino_weight_fn weight;
    ne_c2_wino_input_fn input;
    ne_c2_wino_output_fn output;
    int64_t b, ty0, ty1, tw, tb, upa, vsz, nr;
    int few;   /* AVX-512, at most 16 tiles a block: V one 16-wide panel, ne_c2_wino_few's products */
    int narrow;   /* this block's V packed for ne_gemm_pabn (ne_gemm_pbn_fits(tb)): 49 tiles as 48 + 1, not 64 */
} ne_c2_wino_ctx;

static void ne_c2_wino_pick(ne_c2_wino_ctx* c, int32_t isa) {
    if (isa == NE_ISA_AVX512) {
        c->weight = ne_c2_wino_weight_f32_avx512, c->input = ne_c2_wino_input_f32_avx512, c->output = ne_c2_wino_output_f32_avx512;
    } else if (isa == NE_ISA_AVX2) {
        c->weight = ne_c2_wino_weight_f32_avx2, c->input = ne_c2_wino_input_f32_avx2, c->output = ne_c2_wino_output_f32_avx2;
    } else {
        c->weight = ne_c2_wino_weight_f32_base, c->input = ne_c2_wino_input_f32_base, c->output = ne_c2_wino_output_f32_base;
    }
}

static int32_t ne_c2_wino_weight_range(void* p, int64_t begin, int64_t end) {
    const ne_c2_wino_ctx* c = (const ne_c2_wino_ctx*) p;
    NE_T* w9 = (NE_T*) ne_c2_alloc((size_t) (27 * c->g->cin) * sizeof(NE_T));
    if (!w9) return NE_ERR_OUT_OF_MEMORY;
    for (int64_t co = begin; co < end; co++) c->weight(c->w, c->g->cin, c->g->cout, co, w9, c->Uraw);
    free(w9);
    return NE_OK;
}

static int32_t ne_c2_prepare_winograd(const ne_c2_geom* g, const NE_T* w, const NE_T* bias, const NE_T* scale,
                                      const NE_T* shift, char* prep, const ne_c2_layout* L, int32_t threads, int32_t isa) {
    NE_T* s = (NE_T*) (prep + L->s);
    NE_T* t = (NE_T*) (prep + L->t);
    for (int64_t co = 0; co < g->cout; co++) NE_C2_G(ne_c2_affine)(bias, scale, shift, co, &s[co], &t[co]);
    ne_c2_wino_ctx c;
    memset(&c, 0, sizeof c);
    c.g = g, c.w = w;
    ne_c2_wino_pick(&c, isa);
    c.Uraw = (NE_T*) ne_c2_scratch((size_t) (36 * g->cout * g->cin) * sizeof(NE_T));
    if (!c.Uraw) return NE_ERR_OUT_OF_MEMORY;
    int32_t st = ne_parallel_for(g->cout, threads, ne_c2_wino_weight_range, &c);
    if (st == NE_OK)
        st = NE_C2_G(ne_c2_pack)(c.Uraw, 36, g->cout, g->cin, (NE_T*) (prep + L->a), NE_C2_G(ne_gemm_pa_size)(g->cout, g->cin),
                                 threads);
    ne_c2_scratch_free(c.Uraw);
    return st;
}

static int32_t ne_c2_wino_input_range(void* p, int64_t begin, int64_t end) {
    const ne_c2_wino_ctx* c = (const ne_c2_wino_ctx*) p;
    const ne_c2_geom* g = c->g;
    const int64_t tbp = (c->tb + c->nr - 1) / c->nr * c->nr;
    NE_T* scratch = (NE_T*) ne_c2_scratch((size_t) (72 * (tbp + 16) + 4 * ((c->tw + 15) / 16 * 16) + 72) * sizeof(NE_T));
    if (!scratch) return NE_ERR_OUT_OF_MEMORY;
    for (int64_t ci = begin; ci < end; ci++)
        c->input(g, c->in + (c->b * g->cin + ci) * g->h * g->w, ci, c->ty0, c->ty1, c->tw, c->tb, c->V, c->vsz, c->nr, c->narrow,
                 scratch);
    ne_c2_scratch_free(scratch);
    return NE_OK;
}

static int32_t ne_c2_wino_gemm_range(void* p, int64_t begin, int64_t end) {
    const ne_c2_wino_ctx* c = (const ne_c2_wino_ctx*) p;
    const ne_c2_geom* g = c->g;
    if (c->few) {   /* ne_conv2d_wino_products.h */
        for (int64_t xi = begin; xi < end; xi++)
            ne_c2_wino_few_f32_avx512(g->cout, g->cin, c->U + xi * c->upa, c->V + xi * c->vsz, c->nr, c->M + xi * g->cout * c->tb,
                                      c->tb);
        return NE_OK;
    }
    for (int64_t xi = begin; xi < end; xi++) {
        if (c->narrow)
            NE_C2_G(ne_gemm_pabn)(g->cout, g->cin, c->U + xi * c->upa, 0, g->cout, c->tb, c->V + xi * c->vsz,
                                  c->M + xi * g->cout * c->tb, c->tb, 1);
        else
            NE_C2_G(ne_gemm_pab)(g->cout, g->cin, c->U + xi * c->upa, 0, g->cout, c->tb, c->V + xi * c->vsz,
                                 c->M + xi * g->cout * c->tb, c->tb, 1, c->isa);
    }
    return NE_OK;
}

static int32_t ne_c2_wino_output_range(void* p, int64_t begin, int64_t end) {
    const ne_c2_wino_ctx* c = (const ne_c2_wino_ctx*) p;
    const ne_c2_geom* g = c->g;
    const int64_t tbp = (c->tb + 15) / 16 * 16;
    NE_T* scratch = (NE_T*) ne_c2_scratch((size_t) (40 * tbp + 4 * c->tw + 64) * sizeof(NE_T));
    if (!scratch) return NE_ERR_OUT_OF_MEMORY;
    const int64_t hwo = g->ho * g->wo;
    for (int64_t co = begin; co < end; co++) {
        const int64_t plane = (c->b * g->cout + co) * hwo;
        c->output(g, c->M, co, c->ty0, c->ty1, c->tw, c->tb, c->out + plane, c->res ? c->res + plane : NULL, c->s[co], c->t[co],
                  c->relu, scratch);
    }
    ne_c2_scratch_free(scratch);
    return NE_OK;
}

/* Whole blocks per item (image, block of tile rows [blk * th / nb, (blk + 1) * th / nb)): the
 * input transform, the 36 products and the output transform of a block on one thread, with its
 * own V and M (the same calls as the phase by phase loop: the same bits). */
typedef struct {
    const ne_c2_wino_ctx* c;
    int64_t th, nb, rows;   /* tile rows, blocks per image, the most tile rows a block has */
} ne_c2_wino_blocks;

/* c's V and M, for blocks of at most `rows` tile rows (M + 16: ne_c2_wino_output reads past it). */
static int32_t ne_c2_wino_buffers(ne_c2_wino_ctx* c, int64_t rows) {
    c->V = (NE_T*) ne_c2_scratch((size_t) (36 * c->vsz) * sizeof(NE_T));
    c->M = (NE_T*) ne_c2_scratch((size_t) (36 * c->g->cout * rows * c->tw + 16) * sizeof(NE_T));
    return c->V && c->M ? NE_OK : NE_ERR_OUT_OF_MEMORY;
}

/* Points c at tile rows [ty0, ty1) of image b. */
static void ne_c2_wino_at(ne_c2_wino_ctx* c, int64_t b, int64_t ty0, int64_t ty1) {
    c->b = b, c->ty0 = ty0, c->ty1 = ty1, c->tb = (ty1 - ty0) * c->tw;
    c->narrow = !c->few && NE_C2_G(ne_gemm_pbn_fits)(c->tb, c->isa);   /* its layout fits in vsz: tb * C_in elements */
    memset(c->M + 36 * c->g->cout * c->tb, 0, 16 * sizeof(NE_T));   /* read, never used, by ne_c2_wino_output */
}

static int32_t ne_c2_wino_block_range(void* p, int64_t begin, int64_t end) {
    const ne_c2_wino_blocks* w = (const ne_c2_wino_blocks*) p;
    ne_c2_wino_ctx c = *w->c;
    const ne_c2_geom* g = c.g;
    int32_t s = ne_c2_wino_buffers(&c, w->rows);
    for (int64_t item = begin; item < end && s == NE_OK; item++) {
        const int64_t blk = item % w->nb;
        ne_c2_wino_at(&c, item / w->nb, blk * w->th / w->nb, (blk + 1) * w->th / w->nb);
        s = ne_c2_wino_input_range(&c, 0, g->cin);
        if (s == NE_OK) s = ne_c2_wino_gemm_range(&c, 0, 36);
        if (s == NE_OK) s = ne_c2_wino_output_range(&c, 0, g->cout);
    }
    ne_c2_scratch_free(c.V);
    ne_c2_scratch_free(c.M);
    return s;
}

/* 3x3, stride 1, dilation 1, groups 1. Tiles of 4x4 outputs; tile rows are processed in blocks
 * whose transformed input and products stay under NE_C2_WINO_BYTES (NE_C2_WINO_SMALL_BYTES
 * where U is small: ne_conv2d_cpu.c).
 * Where the time goes, 3x3 256->256 on [1,256,50,50] (169 tiles, one block), one thread, CPU
 * time of each phase in a C harness on the shared 2-core AVX-512 Xeon, min of 200, alternated
 * runs (the merge base 796a9f7 -> now): input transform 1.41-1.47 -> 1.30-1.41 ms (about half of
 * it the stores into V, 7 MiB scattered over 36 matrices: with V's writes sent to one small
 * buffer it took 0.76), 36 products 4.41-4.51 -> 3.89-4.17 ms (190-205 GFLOP/s of useful
 * multiply-adds: the tiles run at the machine's FMA rate; what was cut is computed padding, the
 * last 9 tiles computed 32 wide and the last 4 rows 12 high), output transform + epilogue
 * 0.56-0.57 -> 0.48-0.50 ms; whole forward 6.5-6.7 -> 5.85-6.1 ms. F(6x6,3x3) was not tried:
 * on 50x50 its 9x9 tiles overhang more (54 vs 52) and padded to panels it computes 64 x 96
 * against 36 x 176 columns per channel pair, 3 % fewer. */
static int32_t ne_c2_forward_winograd(const ne_c2_geom* g, const NE_T* in, const char* prep, const ne_c2_layout* L,
                                      const NE_T* res, int32_t relu, NE_T* out, int32_t threads, int32_t isa) {
    ne_c2_wino_ctx c;
    memset(&c, 0, sizeof c);
    c.g = g, c.in = in, c.res = res, c.out = out, c.relu = relu, c.isa = isa;
    c.s = (const NE_T*) (prep + L->s), c.t = (const NE_T*) (prep + L->t), c.U = (const NE_T*) (prep + L->a);
    c.upa = NE_C2_G(ne_gemm_pa_size)(g->cout, g->cin);
    ne_c2_wino_pick(&c, isa);
    const int64_t th = (g->ho + 3) / 4, tw = (g->wo + 3) / 4;
    const int64_t budget = 36 * g->cin * g->cout * (int64_t) sizeof(NE_T) <= NE_C2_WINO_SMALL_U ? NE_C2_WINO_SMALL_BYTES : NE_C2_WINO_BYTES;
    int64_t rows = budget / (36 * (g->cin + g->cout) * tw * (int64_t) sizeof(NE_T));
    if (rows < 1) rows = 1;
    if (rows > th) rows = th;
    c.tw = tw;
    /* Several threads and a U that stays in each core's L2 (64 channels): whole blocks per
     * thread, as many blocks as fit the budget rounded up to a multiple of the thread count and
     * of even sizes, instead of each block's three phases split between the threads with a
     * wait after each (56x56: 4 blocks, 12 waits). 3x3 64->64 on two threads
     * (tools/profile/conv_profile.c, min / median of 1000): 56x56 0.40 / 0.41 -> 0.335 / 0.345 ms
     * (one thread 0.63); 112x112 1.61 -> 1.23; 200x336 9.45 -> 8.12. */
    const int64_t T = threads < 1 ? 1 : threads > NE_MAX_THREADS ? NE_MAX_THREADS : threads;
    int64_t nb = 0;
    if (NE_C2_WINO_BY_BLOCKS && T > 1 && budget == NE_C2_WINO_SMALL_BYTES && th >= T) {
        nb = T * ((th + T * rows - 1) / (T * rows));
        rows = (th + nb - 1) / nb;
    }
    c.nr = NE_C2_G(ne_gemm_nr)(isa);
    c.vsz = NE_C2_G(ne_gemm_pb_size)(rows * tw, g->cin, isa);   /* V[xi] packed as ne_gemm's B, for the largest block */
    if (isa == NE_ISA_AVX512 && rows * tw <= 16) c.few = 1, c.nr = 16, c.vsz = 16 * g->cin;   /* V[xi]: [C_in][16] */
    if (nb) {
        ne_c2_wino_blocks w = {&c, th, nb, rows};
        return ne_parallel_for(g->n * nb, threads, ne_c2_wino_block_range, &w);
    }
    int32_t s = ne_c2_wino_buffers(&c, rows);
    for (int64_t b = 0; b < g->n && s == NE_OK; b++) {
        for (int64_t ty0 = 0; ty0 < th && s == NE_OK; ty0 += rows) {
            ne_c2_wino_at(&c, b, ty0, ty0 + rows < th ? ty0 + rows : th);
            /* balanced: each item (a channel, an xi's products) computed alone */
            s = ne_parallel_for_balanced(g->cin, threads, 0, ne_c2_wino_input_range, &c);
            if (s == NE_OK) s = ne_parallel_for_balanced(36, threads, 1, ne_c2_wino_gemm_range, &c);
            if (s == NE_OK) s = ne_parallel_for_balanced(g->cout, threads, 0, ne_c2_wino_output_range, &c);
        }
    }
    ne_c2_scratch_free(c.V);
    ne_c2_scratch_free(c.M);
    return s;
}
#endif

#undef NE_C2_G
