/* The type-generic drivers of ne_conv2d_cpu.c, included once per dtype (NE_T; NE_S its name
 * suffix, f32 or f64) after that dtype's variants of ne_conv2d_kernel.h, whose functions each
 * path picks by isa with a plain if/else (ne_parallel.h's convention): the GEMM path
 * (the caller's CBLAS on columns, or straight on the input for 1x1 stride-1 unpadded
 * convolutions) and, for float32, Winograd F(4x4,3x3). Work is split into items whose
 * boundaries depend on the shapes only, never on the thread count, so results are
 * bit-identical for any thread count. */

#define NE_C2_G(name) NE_CAT(name, NE_S)

typedef void (*NE_C2_G(ne_c2_gemm_fn))(int order, int transa, int transb, int m, int n, int k, NE_T alpha,
                                       const NE_T* a, int lda, const NE_T* b, int ldb, NE_T beta, NE_T* c, int ldc);

typedef void (*NE_C2_G(ne_c2_init_fn))(NE_T* y, const NE_T* r, int64_t n, NE_T t);
typedef void (*NE_C2_G(ne_c2_relu_fn))(NE_T* y, int64_t n);
typedef void (*NE_C2_G(ne_c2_epi_fn))(NE_T* y, const NE_T* x, const NE_T* r, int64_t n, NE_T s, NE_T t, int32_t relu);
typedef void (*NE_C2_G(ne_c2_im2col_fn))(const ne_c2_geom* g, const NE_T* in, int64_t p0, int64_t nc, NE_T* col);

typedef struct {
    const ne_c2_geom* g;
    const NE_T *in, *w, *bias, *scale, *shift, *res;
    NE_T* out;
    int32_t relu;
    NE_C2_G(ne_c2_gemm_fn) gemm;
    NE_C2_G(ne_c2_init_fn) init;
    NE_C2_G(ne_c2_relu_fn) relu_fn;
    NE_C2_G(ne_c2_im2col_fn) im2col;
    int64_t nchunks, nc, K;
    int64_t mblocks, mrows;   /* output channels of a group split into mblocks items of mrows (small planes) */
    const NE_T* ws;   /* the weights, each output channel's row times its scale (or as given: post_scale) */
    int direct;
    int post_scale;   /* the scale is applied after the GEMM, by the epilogue, not folded into the weights */
    NE_C2_G(ne_c2_epi_fn) epi;
} NE_C2_G(ne_c2_ctx);

/* s and t of output channel co: y*s + t == (y + bias)*scale + shift. */
static void NE_C2_G(ne_c2_affine)(const NE_T* bias, const NE_T* scale, const NE_T* shift, int64_t co, NE_T* s, NE_T* t) {
    NE_T sc = scale ? scale[co] : (NE_T) 1;
    *s = sc;
    *t = (bias ? bias[co] * sc : (NE_T) 0) + (shift ? shift[co] : (NE_T) 0);
}

static int32_t NE_C2_G(ne_c2_gemm_range)(void* p, int64_t begin, int64_t end) {
    const NE_C2_G(ne_c2_ctx)* c = (const NE_C2_G(ne_c2_ctx)*) p;
    const ne_c2_geom* g = c->g;
    const int64_t hw = g->h * g->w, hwo = g->ho * g->wo;
    NE_T* col = NULL;
    if (!c->direct) {
        col = (NE_T*) ne_c2_alloc((size_t) (c->K * c->nc) * sizeof(NE_T));
        if (!col) return NE_ERR_OUT_OF_MEMORY;
    }
    for (int64_t item = begin; item < end; item++) {
        const int64_t mblk = item % c->mblocks, rest = item / c->mblocks;
        const int64_t chunk = rest % c->nchunks, gr = (rest / c->nchunks) % g->groups, b = rest / (c->nchunks * g->groups);
        const int64_t o0 = mblk * c->mrows, o1 = o0 + c->mrows < g->cout_g ? o0 + c->mrows : g->cout_g;
        if (o0 >= o1) continue;
        const int64_t p0 = chunk * c->nc;
        const int64_t n = hwo - p0 < c->nc ? hwo - p0 : c->nc;
        if (n <= 0) continue;
        const NE_T* in = c->in + (b * g->cin + gr * g->cin_g) * hw;
        const NE_T* B;
        int64_t ldb;
        if (c->direct) {
            B = in + p0;
            ldb = hwo;
        } else {
            c->im2col(g, in, p0, n, col);
            B = col;
            ldb = n;
        }
        NE_T* C = c->out + (b * g->cout + gr * g->cout_g + o0) * hwo + p0;
        const NE_T* A = c->ws + (gr * g->cout_g + o0) * c->K;
        if (c->post_scale) {
            /* C = W B, then C = C*s + t (+ residual), ReLU, while the chunk is in cache */
            c->gemm(101, 111, 111, (int) (o1 - o0), (int) n, (int) c->K, (NE_T) 1, A, (int) c->K,
                    B, (int) ldb, (NE_T) 0, C, (int) hwo);
            for (int64_t o = 0; o < o1 - o0; o++) {
                const int64_t co = gr * g->cout_g + o0 + o;
                NE_T s, t;
                NE_C2_G(ne_c2_affine)(c->bias, c->scale, c->shift, co, &s, &t);
                c->epi(C + o * hwo, C + o * hwo, c->res ? c->res + (b * g->cout + co) * hwo + p0 : NULL, n, s, t, c->relu);
            }
            continue;
        }
        /* C = t (+ residual), then C += (scale * W) B: no separate zeroing pass (beta 0 would
         * make the BLAS clear C first) and a residual that is the output itself is read first. */
        for (int64_t o = 0; o < o1 - o0; o++) {
            const int64_t co = gr * g->cout_g + o0 + o;
            NE_T s, t;
            NE_C2_G(ne_c2_affine)(c->bias, c->scale, c->shift, co, &s, &t);
            c->init(C + o * hwo, c->res ? c->res + (b * g->cout + co) * hwo + p0 : NULL, n, t);
        }
        c->gemm(101, 111, 111, (int) (o1 - o0), (int) n, (int) c->K, (NE_T) 1, A, (int) c->K,
                B, (int) ldb, (NE_T) 1, C, (int) hwo);
        if (c->relu)
            for (int64_t o = 0; o < o1 - o0; o++) c->relu_fn(C + o * hwo, n);
    }
    free(col);
    return NE_OK;
}

static int32_t NE_C2_G(ne_c2_forward_gemm)(const ne_c2_geom* g, const NE_T* in, const NE_T* w, const NE_T* bias,
                                           const NE_T* scale, const NE_T* shift, const NE_T* res, int32_t relu, NE_T* out,
                                           NE_C2_G(ne_c2_gemm_fn) gemm, int32_t threads, int32_t isa) {
    NE_C2_G(ne_c2_ctx) c;
    memset(&c, 0, sizeof c);
    c.g = g, c.in = in, c.w = w, c.bias = bias, c.scale = scale, c.shift = shift, c.res = res, c.out = out, c.relu = relu;
    c.gemm = gemm;
    c.K = g->cin_g * g->kh * g->kw;
    c.direct = g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->ph == 0 && g->pw == 0;
    if (isa == NE_ISA_AVX512) {
        c.init = NE_CAT(NE_C2_G(ne_c2_init), avx512), c.relu_fn = NE_CAT(NE_C2_G(ne_c2_relu), avx512);
        c.epi = NE_CAT(NE_C2_G(ne_c2_epilogue), avx512);
        c.im2col = NE_CAT(NE_C2_G(ne_c2_im2col), avx512);
    } else if (isa == NE_ISA_AVX2) {
        c.init = NE_CAT(NE_C2_G(ne_c2_init), avx2), c.relu_fn = NE_CAT(NE_C2_G(ne_c2_relu), avx2);
        c.epi = NE_CAT(NE_C2_G(ne_c2_epilogue), avx2);
        c.im2col = NE_CAT(NE_C2_G(ne_c2_im2col), avx2);
    } else {
        c.init = NE_CAT(NE_C2_G(ne_c2_init), base), c.relu_fn = NE_CAT(NE_C2_G(ne_c2_relu), base);
        c.epi = NE_CAT(NE_C2_G(ne_c2_epilogue), base);
        c.im2col = NE_CAT(NE_C2_G(ne_c2_im2col), base);
    }
    NE_T* scaled = NULL;
    c.ws = w;
    /* Folding the scale into the weights costs a pass over them on every call; where they
     * outnumber the outputs (small planes: 3x3 512->512 at 7x7 has 2.4M weights for 25K
     * outputs) the epilogue applies it after the GEMM instead, unless the residual is the
     * output itself (the GEMM would overwrite it before it is read). */
    c.post_scale = scale && res != out && g->cout * c.K > g->n * g->ho * g->wo * g->cout;
    if (scale && !c.post_scale) {
        scaled = (NE_T*) ne_c2_alloc((size_t) (g->cout * c.K) * sizeof(NE_T));
        if (!scaled) return NE_ERR_OUT_OF_MEMORY;
        for (int64_t co = 0; co < g->cout; co++)
            for (int64_t k = 0; k < c.K; k++) scaled[co * c.K + k] = w[co * c.K + k] * scale[co];
        c.ws = scaled;
    }
    const int64_t hwo = g->ho * g->wo;
    ne_c2_chunks(hwo, c.direct ? NE_C2_DIRECT_COLS : NE_C2_COL_BYTES / (c.K * (int64_t) sizeof(NE_T)), &c.nchunks, &c.nc);
    /* A small plane is one chunk: split the output channels too (into blocks of 64+ rows, a
     * multiple of 16) so that a second core has work; by the shapes only, never the thread count. */
    c.mblocks = 1;
    while (g->n * g->groups * c.nchunks * c.mblocks < 2 && g->cout_g / (c.mblocks * 2) >= 64) c.mblocks *= 2;
    c.mrows = ((g->cout_g + c.mblocks - 1) / c.mblocks + 15) / 16 * 16;
    int32_t st = ne_parallel_for(g->n * g->groups * c.nchunks * c.mblocks, threads, NE_C2_G(ne_c2_gemm_range), &c);
    free(scaled);
    return st;
}

#if NE_C2_WINOGRAD
typedef void (*ne_c2_wino_weight_fn)(const NE_T* w, int64_t cin, int64_t cout, int64_t co, NE_T* w9, NE_T* U);
typedef void (*ne_c2_wino_input_fn)(const ne_c2_geom* g, const NE_T* plane, int64_t ci, int64_t ty0, int64_t ty1,
                                    int64_t tw, int64_t tb, NE_T* V, NE_T* scratch);
typedef void (*ne_c2_wino_output_fn)(const ne_c2_geom* g, const NE_T* M, int64_t co, int64_t ty0, int64_t ty1, int64_t tw,
                                     int64_t tb, NE_T* outPlane, const NE_T* resPlane, NE_T s, NE_T t, int32_t relu,
                                     NE_T* scratch);

typedef struct {
    const ne_c2_geom* g;
    const NE_T *in, *w, *bias, *scale, *shift, *res;
    NE_T *out, *U, *V, *M;
    int32_t relu;
    NE_C2_G(ne_c2_gemm_fn) gemm;
    ne_c2_wino_weight_fn weight;
    ne_c2_wino_input_fn input;
    ne_c2_wino_output_fn output;
    int64_t b, ty0, ty1, tw, tb;
} ne_c2_wino_ctx;

static int32_t ne_c2_wino_weight_range(void* p, int64_t begin, int64_t end) {
    const ne_c2_wino_ctx* c = (const ne_c2_wino_ctx*) p;
    NE_T* w9 = (NE_T*) ne_c2_alloc((size_t) (27 * c->g->cin) * sizeof(NE_T));
    if (!w9) return NE_ERR_OUT_OF_MEMORY;
    for (int64_t co = begin; co < end; co++) c->weight(c->w, c->g->cin, c->g->cout, co, w9, c->U);
    free(w9);
    return NE_OK;
}

static int32_t ne_c2_wino_input_range(void* p, int64_t begin, int64_t end) {
    const ne_c2_wino_ctx* c = (const ne_c2_wino_ctx*) p;
    const ne_c2_geom* g = c->g;
    NE_T* scratch = (NE_T*) ne_c2_alloc((size_t) (72 * c->tb + 4 * c->tw + 4) * sizeof(NE_T));
    if (!scratch) return NE_ERR_OUT_OF_MEMORY;
    for (int64_t ci = begin; ci < end; ci++)
        c->input(g, c->in + (c->b * g->cin + ci) * g->h * g->w, ci, c->ty0, c->ty1, c->tw, c->tb, c->V, scratch);
    free(scratch);
    return NE_OK;
}

static int32_t ne_c2_wino_gemm_range(void* p, int64_t begin, int64_t end) {
    const ne_c2_wino_ctx* c = (const ne_c2_wino_ctx*) p;
    const ne_c2_geom* g = c->g;
    for (int64_t xi = begin; xi < end; xi++)
        c->gemm(101, 111, 111, (int) g->cout, (int) c->tb, (int) g->cin, (NE_T) 1, c->U + xi * g->cout * g->cin, (int) g->cin,
                c->V + xi * g->cin * c->tb, (int) c->tb, (NE_T) 0, c->M + xi * g->cout * c->tb, (int) c->tb);
    return NE_OK;
}

static int32_t ne_c2_wino_output_range(void* p, int64_t begin, int64_t end) {
    const ne_c2_wino_ctx* c = (const ne_c2_wino_ctx*) p;
    const ne_c2_geom* g = c->g;
    NE_T* scratch = (NE_T*) ne_c2_alloc((size_t) (40 * c->tb + 4 * c->tw) * sizeof(NE_T));
    if (!scratch) return NE_ERR_OUT_OF_MEMORY;
    const int64_t hwo = g->ho * g->wo;
    for (int64_t co = begin; co < end; co++) {
        NE_T s, t;
        NE_C2_G(ne_c2_affine)(c->bias, c->scale, c->shift, co, &s, &t);
        const int64_t plane = (c->b * g->cout + co) * hwo;
        c->output(g, c->M, co, c->ty0, c->ty1, c->tw, c->tb, c->out + plane, c->res ? c->res + plane : NULL, s, t, c->relu,
                  scratch);
    }
    free(scratch);
    return NE_OK;
}

/* 3x3, stride 1, dilation 1, groups 1. Tiles of 4x4 outputs; tile rows are processed in blocks
 * whose transformed input and products stay under NE_C2_WINO_BYTES. */
static int32_t ne_c2_forward_winograd(const ne_c2_geom* g, const NE_T* in, const NE_T* w, const NE_T* bias,
                                      const NE_T* scale, const NE_T* shift, const NE_T* res, int32_t relu, NE_T* out,
                                      NE_C2_G(ne_c2_gemm_fn) gemm, int32_t threads, int32_t isa) {
    ne_c2_wino_ctx c;
    memset(&c, 0, sizeof c);
    c.g = g, c.in = in, c.w = w, c.bias = bias, c.scale = scale, c.shift = shift, c.res = res, c.out = out, c.relu = relu;
    c.gemm = gemm;
    if (isa == NE_ISA_AVX512) {
        c.weight = ne_c2_wino_weight_f32_avx512, c.input = ne_c2_wino_input_f32_avx512, c.output = ne_c2_wino_output_f32_avx512;
    } else if (isa == NE_ISA_AVX2) {
        c.weight = ne_c2_wino_weight_f32_avx2, c.input = ne_c2_wino_input_f32_avx2, c.output = ne_c2_wino_output_f32_avx2;
    } else {
        c.weight = ne_c2_wino_weight_f32_base, c.input = ne_c2_wino_input_f32_base, c.output = ne_c2_wino_output_f32_base;
    }
    const int64_t th = (g->ho + 3) / 4, tw = (g->wo + 3) / 4;
    int64_t rows = NE_C2_WINO_BYTES / (36 * (g->cin + g->cout) * tw * (int64_t) sizeof(NE_T));
    if (rows < 1) rows = 1;
    if (rows > th) rows = th;
    c.tw = tw;
    c.U = (NE_T*) ne_c2_alloc((size_t) (36 * g->cout * g->cin) * sizeof(NE_T));
    c.V = (NE_T*) ne_c2_alloc((size_t) (36 * g->cin * rows * tw) * sizeof(NE_T));
    c.M = (NE_T*) ne_c2_alloc((size_t) (36 * g->cout * rows * tw) * sizeof(NE_T));
    int32_t s = c.U && c.V && c.M ? NE_OK : NE_ERR_OUT_OF_MEMORY;
    if (s == NE_OK) s = ne_parallel_for(g->cout, threads, ne_c2_wino_weight_range, &c);
    for (int64_t b = 0; b < g->n && s == NE_OK; b++) {
        for (int64_t ty0 = 0; ty0 < th && s == NE_OK; ty0 += rows) {
            c.b = b, c.ty0 = ty0, c.ty1 = ty0 + rows < th ? ty0 + rows : th, c.tb = (c.ty1 - ty0) * tw;
            s = ne_parallel_for(g->cin, threads, ne_c2_wino_input_range, &c);
            if (s == NE_OK) s = ne_parallel_for(36, threads, ne_c2_wino_gemm_range, &c);
            if (s == NE_OK) s = ne_parallel_for(g->cout, threads, ne_c2_wino_output_range, &c);
        }
    }
    free(c.U);
    free(c.V);
    free(c.M);
    return s;
}
#endif

#undef NE_C2_G
