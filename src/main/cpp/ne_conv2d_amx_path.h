/* The AMX route of conv2d's CPU code (float32), included once by ne_conv2d_cpu.c after the
 * direct and pointwise paths (it uses ne_c2_geom, ne_c2_layout, the scratch blocks, ne_c2_chunks,
 * the AVX-512 im2col and epilogue, the pointwise path's gather). Not a public header.
 *
 * The GEMM and pointwise paths' product C = (scale * W) B on ne_amx_gemm.h's float32 GEMM on
 * AMX tiles (bf16x6: float32 accuracy, other bits than the AVX-512 fma chain). The weights are
 * prepared once per group as its A (ne_amx_prepare_a, the BN scale folded in as the float32
 * paths fold it, at the prepared block's offset L->x); B is, per chunk of output positions:
 *   - a 1x1 stride-1 unpadded convolution: the NCHW input itself (ldb = H*W);
 *   - a 1x1 unpadded strided one: its positions' inputs gathered into scratch (ne_c2_pw_gather);
 *   - anything else: the chunk's im2col columns [K][n].
 * Where one image's channels are split into row blocks (small planes: 7x7, 14x14), the
 * gathered / im2col B of the whole image is built once, in row blocks shared by the threads,
 * and every item reads its chunk of it.
 * Each item (image, group, position chunk, output-channel block) computes its C block into
 * scratch with one ne_amx_gemm_f32 call, then the epilogue writes out = relu((C + t) + res)
 * per output row (ne_c2_epilogue with scale 1: the bits of sum + t + r), so that a residual that
 * is the output itself is read before it is written. Every element of C is one kernel call's
 * sum over all of K in a fixed order, whatever rows and columns the call covers: bit-identical
 * for any thread count (and so the items may follow the thread count).
 * The k-split route (ne_c2_amx_ksplit, by the shapes: weights that outweigh their input on small
 * planes, ResNet's 1024->256 and 1024->512 on 14x14 and its 3x3/2 28->14) sums each half of K
 * over all of C (one ne_amx_gemm_f32_part call per half and row block, the im2col rows of its half
 * built by the item), then adds the halves in the epilogue: C = part 0 + part 1 for any thread
 * count. Two threads, chain-ab.sh (500 pairs each way): resnet50's forward -0.58 ms (19 ms) with
 * the 1x1s, -0.08 more with the 3x3/2; one thread unchanged. */

#if NE_AMX_BUILT

/* Output positions per item of the AMX route: a 1x1 stride-1 convolution reads B in place
 * (long runs), the others build their chunk's B first (kept in L2). */
#define NE_C2_AMX_DIRECT_COLS 512
#define NE_C2_AMX_COLS 256
/* Rows of the shared B per item of its build. */
#define NE_C2_AMX_B_ROWS 64

static int64_t ne_c2_amx_apg(const ne_c2_geom* g) {
    return ne_c2_up64(ne_amx_a_bytes(g->cout_g, g->cin_g * g->kh * g->kw));
}

typedef struct {
    const ne_c2_geom* g;
    const float *in, *res, *t;
    const char* A;   /* the prepared A of group 0; group gr at A + gr * apg */
    float* out;
    int32_t relu;
    int mode;        /* 0: B is the input (1x1/1), read in place; 1: gathered (1x1 strided); 2: im2col */
    int64_t K, apg, nchunks, nc, mblocks, mrows;
    int64_t panels;  /* 32-column panels of the plane, split evenly over the nchunks chunks */
    float* shared;   /* NULL, or image b's, group gr's B [K][hwo], built once for all its items */
    int64_t sb, sgr; /* the image and group `shared` holds */
    int64_t item0;   /* the first item of this ne_parallel_for */
    int64_t kb_mid;  /* the k-split route (ne_c2_amx_ksplit): part 0 is k blocks [0, kb_mid), part 1 the rest */
    float* parts;    /* its two partial sums [2][C_out][hwo] */
} ne_c2_amx_ctx;

/* Rows [k0, k1) of B [K][n] for the output positions [p0, p0 + n) of image b, group gr, at
 * dst[(k - k0) * n]. */
static void ne_c2_amx_build_b(const ne_c2_amx_ctx* c, int64_t b, int64_t gr, int64_t p0, int64_t n, int64_t k0, int64_t k1,
                              float* dst) {
    const ne_c2_geom* g = c->g;
    const int64_t hw = g->h * g->w;
    const float* in = c->in + (b * g->cin + gr * g->cin_g) * hw;
    if (c->mode == 1) {
        for (int64_t k = k0; k < k1; k++) ne_c2_pw_gather(g, in + k * hw, p0, n, dst + (k - k0) * n, NE_ISA_AVX512);
    } else {
        ne_c2_im2col_f32_avx512(g, in, p0, n, k0, k1, dst);
    }
}

static int32_t ne_c2_amx_b_range(void* p, int64_t begin, int64_t end) {
    const ne_c2_amx_ctx* c = (const ne_c2_amx_ctx*) p;
    const int64_t hwo = c->g->ho * c->g->wo;
    for (int64_t item = begin; item < end; item++) {
        const int64_t k0 = item * NE_C2_AMX_B_ROWS, k1 = k0 + NE_C2_AMX_B_ROWS < c->K ? k0 + NE_C2_AMX_B_ROWS : c->K;
        ne_c2_amx_build_b(c, c->sb, c->sgr, 0, hwo, k0, k1, c->shared + k0 * hwo);
    }
    return NE_OK;
}

static int32_t ne_c2_amx_range(void* p, int64_t begin, int64_t end) {
    const ne_c2_amx_ctx* c = (const ne_c2_amx_ctx*) p;
    const ne_c2_geom* g = c->g;
    const int64_t hw = g->h * g->w, hwo = g->ho * g->wo;
    /* the GEMM's work buffer (64-byte aligned), C [mrows][nc], and B [K][nc] where built per item */
    const int64_t wb = ne_c2_up64(ne_amx_work_bytes(c->K, c->nc)), cb = ne_c2_up64(c->mrows * c->nc * 4);
    const int64_t bb = c->mode == 0 || c->shared ? 0 : c->K * c->nc * 4;
    char* scratch = (char*) ne_c2_scratch((size_t) (wb + cb + bb));
    if (!scratch) return NE_ERR_OUT_OF_MEMORY;
    float* cbuf = (float*) (scratch + wb);
    float* bbuf = (float*) (scratch + wb + cb);
    for (int64_t it = begin; it < end; it++) {
        const int64_t item = c->item0 + it;
        const int64_t mblk = item % c->mblocks, rest = item / c->mblocks;
        const int64_t chunk = rest % c->nchunks, gr = (rest / c->nchunks) % g->groups, b = rest / (c->nchunks * g->groups);
        const int64_t o0 = mblk * c->mrows, o1 = o0 + c->mrows < g->cout_g ? o0 + c->mrows : g->cout_g;
        /* chunk i: the 32-column panels [i * panels / nchunks, (i + 1) * panels / nchunks) */
        const int64_t p0 = 32 * (chunk * c->panels / c->nchunks), p1 = 32 * ((chunk + 1) * c->panels / c->nchunks);
        const int64_t n = (p1 < hwo ? p1 : hwo) - p0;
        if (o0 >= o1 || n <= 0) continue;
        const float* B;
        int64_t ldb;
        if (c->mode == 0) {
            B = c->in + (b * g->cin + gr * g->cin_g) * hw + p0, ldb = hw;
        } else if (c->shared) {
            B = c->shared + p0, ldb = hwo;
        } else {
            ne_c2_amx_build_b(c, b, gr, p0, n, 0, c->K, bbuf);
            B = bbuf, ldb = n;
        }
        /* C's row o0 at cbuf: the call writes rows [o0, o1) at (cbuf - o0 * n) + i * n */
        ne_amx_gemm_f32(c->A + gr * c->apg, g->cout_g, c->K, o0, o1, B, ldb, n, cbuf - o0 * n, n, scratch);
        for (int64_t o = 0; o < o1 - o0; o++) {
            const int64_t co = gr * g->cout_g + o0 + o, at = (b * g->cout + co) * hwo + p0;
            ne_c2_epilogue_f32_avx512(c->out + at, cbuf + o * n, c->res ? c->res + at : NULL, n, 1.0f, c->t[co], c->relu);
        }
    }
    ne_c2_scratch_free(scratch);
    return NE_OK;
}

/* The k-split route (ne_c2_amx_ksplit): item (part, row block) sums its part of k for its rows
 * of C over every position into parts + part * cout * hwo. */
static int32_t ne_c2_amx_kpart_range(void* p, int64_t begin, int64_t end) {
    const ne_c2_amx_ctx* c = (const ne_c2_amx_ctx*) p;
    const ne_c2_geom* g = c->g;
    const int64_t hw = g->h * g->w, hwo = g->ho * g->wo, kmid = 32 * c->kb_mid;
    const int64_t kmax = kmid > c->K - kmid ? kmid : c->K - kmid, wb = ne_c2_up64(ne_amx_work_bytes(kmax, hwo));
    /* the GEMM's work buffer, then (gathered or im2col B) the part's rows of B */
    char* work = (char*) ne_c2_scratch((size_t) (wb + (c->mode == 0 ? 0 : kmax * hwo * 4)));
    if (!work) return NE_ERR_OUT_OF_MEMORY;
    float* bbuf = (float*) (work + wb);
    int64_t built = -1;   /* the part whose B bbuf holds */
    for (int64_t item = begin; item < end; item++) {
        const int64_t part = item / c->mblocks, mblk = item % c->mblocks;
        const int64_t o0 = mblk * c->mrows, o1 = o0 + c->mrows < g->cout ? o0 + c->mrows : g->cout;
        const int64_t k0 = part ? kmid : 0, k1 = part ? c->K : kmid;
        if (o0 >= o1) continue;
        const float* B = c->in + k0 * hw;
        if (c->mode != 0) {
            if (built != part) ne_c2_amx_build_b(c, 0, 0, 0, hwo, k0, k1, bbuf);
            built = part, B = bbuf;
        }
        ne_amx_gemm_f32_part(c->A, g->cout, c->K, k0 / 32, k1 - k0, o0, o1, B, c->mode == 0 ? hw : hwo, hwo,
                             c->parts + part * g->cout * hwo, hwo, work);
    }
    ne_c2_scratch_free(work);
    return NE_OK;
}

/* a += b over n elements (the two parts of the k-split route). */
NE_AMX_TARGET static void ne_c2_ksum_add(float* a, const float* b, int64_t n) {
    for (int64_t i = 0; i < n; i++) a[i] += b[i];
}

/* Output rows [begin, end) of the k-split route: out = relu(((part 0 + part 1) + t) + res), the
 * parts' sum then the AMX route's own epilogue (scale 1). */
static int32_t ne_c2_amx_ksum_range(void* p, int64_t begin, int64_t end) {
    const ne_c2_amx_ctx* c = (const ne_c2_amx_ctx*) p;
    const int64_t hwo = c->g->ho * c->g->wo;
    const float* p1 = c->parts + c->g->cout * hwo;
    for (int64_t o = begin; o < end; o++) {
        float* sum = c->parts + o * hwo;
        ne_c2_ksum_add(sum, p1 + o * hwo, hwo);
        ne_c2_epilogue_f32_avx512(c->out + o * hwo, sum, c->res ? c->res + o * hwo : NULL, hwo, 1.0f, c->t[o], c->relu);
    }
    return NE_OK;
}

/* Whether a layer of one image and group sums k in two parts, each over every position, rather
 * than splitting the positions: by the shapes only (the bits are those of two part sums added,
 * for any thread count). Where the weights outweigh the input on a small plane (ResNet's 1x1s
 * with 1024 input channels on 14x14, its 3x3/2 256 28->14) two threads then each stream half of
 * them (the positions split had each stream all of them) and, for a 1x1, read the half of the
 * input channels the previous layer's row split left in their own cache; the column tiles of a
 * plane (13 on 14x14, 6 against 7 in the positions split) need not be shared out. Two threads,
 * conv_profile (min of 300): 1024->256 0.222 -> 0.192 ms, 1024->512 0.411 -> 0.363, 3x3/2 256
 * 28->14 0.589 -> 0.524. Not the strided 1x1s (gathered B: 512->1024/2 0.418 -> 0.451, one
 * thread 0.78 -> 0.91) nor K < 512 (256->1024 on 14x14: 0.204 -> 0.240). */
static int ne_c2_amx_ksplit(const ne_c2_geom* g, int64_t K, int mode) {
    const int64_t hwo = g->ho * g->wo;
    return mode != 1 && g->n * g->groups == 1 && hwo <= 256 && K >= 512 && ne_amx_a_bytes(g->cout, K) > K * hwo * 4;
}

static int32_t ne_c2_forward_amx(const ne_c2_geom* g, const float* in, const char* prep, const ne_c2_layout* L,
                                 const float* res, int32_t relu, float* out, int32_t threads) {
    ne_c2_amx_ctx c;
    memset(&c, 0, sizeof c);
    c.g = g, c.in = in, c.res = res, c.out = out, c.relu = relu;
    c.t = (const float*) (prep + L->t), c.A = prep + L->x;
    c.K = g->cin_g * g->kh * g->kw;
    c.apg = ne_c2_amx_apg(g);
    const int pointwise = g->kh == 1 && g->kw == 1 && g->ph == 0 && g->pw == 0;
    c.mode = pointwise && g->sh == 1 && g->sw == 1 ? 0 : pointwise ? 1 : 2;
    const int64_t hwo = g->ho * g->wo;
    if (ne_c2_amx_ksplit(g, c.K, c.mode)) {
        /* two parts of k, each in as many row blocks (of 32+ rows) as half the threads */
        const int64_t T = threads < 2 ? 1 : threads > NE_MAX_THREADS ? NE_MAX_THREADS / 2 : (threads + 1) / 2;
        c.kb_mid = (ne_amx_kblocks(c.K) + 1) / 2;
        c.mrows = ((g->cout + T - 1) / T + 31) / 32 * 32;
        c.mblocks = (g->cout + c.mrows - 1) / c.mrows;
        c.parts = (float*) ne_c2_scratch((size_t) (2 * g->cout * hwo) * sizeof(float));
        if (!c.parts) return NE_ERR_OUT_OF_MEMORY;
        int32_t s = ne_parallel_for(2 * c.mblocks, threads, ne_c2_amx_kpart_range, &c);
        if (s == NE_OK) s = ne_parallel_for(g->cout, threads, ne_c2_amx_ksum_range, &c);
        ne_c2_scratch_free(c.parts);
        return s;
    }
    /* Items: chunks of about `target` positions; where they are few (small planes, or one
     * image on several threads) a multiple of the thread count of them, by splitting the
     * output channels (into blocks of 32+ rows: two of the kernel's 16-row tiles) where the
     * weights outweigh B 4 times, else the positions while chunks keep 48+ of them. The kernel's bits do not depend on how
     * rows and columns are split between calls, so the split may follow the thread count: one
     * thread computes a 14x14 layer in one call (B packed once), two in two. */
    const int64_t target = c.mode == 0 ? NE_C2_AMX_DIRECT_COLS : NE_C2_AMX_COLS, per_img = g->n * g->groups;
    int64_t T = threads < 1 ? 1 : threads > NE_MAX_THREADS ? NE_MAX_THREADS : threads;
    c.nchunks = (hwo + target - 1) / target;
    c.mblocks = 1;
    if (T > 1 && per_img * c.nchunks < 4 * T) {
        const int64_t items = (per_img * c.nchunks + T - 1) / T * T, chunks = (items + per_img - 1) / per_img;
        const int64_t mblocks = (items + per_img * c.nchunks - 1) / (per_img * c.nchunks);
        /* the positions, whose B each thread then packs and reads alone (in the network, the
         * half of the previous layer's output its own L2 holds), unless the prepared weights
         * outweigh B more than 4 times: then the rows, so that each thread streams its part of
         * A. Two threads, in the network (bin/bench-resnet profile, min ms; positions vs rows):
         * 14x14 1024->256 (A 1.5 MiB, B 0.8) 0.26-0.27 vs 0.35; 1024->512 (3, 0.8) 0.47 vs 0.54;
         * 256->1024 (1.5, 0.2) 0.30-0.34 vs 0.27-0.32. */
        const int rows_first = ne_amx_a_bytes(g->cout_g, c.K) > 4 * c.K * hwo * 4 && g->cout_g / mblocks >= 32;
        if (!rows_first && hwo / chunks >= 48) c.nchunks = chunks;
        else c.mblocks = mblocks;
    }
    /* chunks of whole 32-column panels (the kernel's two tiles), spread evenly: 3x3/2 56->28 in
     * 4 chunks is 192, 192, 192, 208 (12 + 12.5 panels per thread) rather than 208 x 3 + 160 */
    c.panels = (hwo + 31) / 32;
    if (c.nchunks > c.panels) c.nchunks = c.panels;
    c.nc = 32 * ((c.panels + c.nchunks - 1) / c.nchunks);   /* the widest chunk */
    c.mrows = ((g->cout_g + c.mblocks - 1) / c.mblocks + 31) / 32 * 32;
    c.mblocks = (g->cout_g + c.mrows - 1) / c.mrows;
    const int64_t per = c.nchunks * c.mblocks;   /* items per image and group */
    int32_t s = NE_OK;
    if (c.mode != 0 && c.mblocks > 1) {
        /* B of one image and group built once, shared by its items */
        c.shared = (float*) ne_c2_scratch((size_t) (c.K * hwo) * sizeof(float));
        if (!c.shared) return NE_ERR_OUT_OF_MEMORY;
        for (int64_t b = 0; b < g->n && s == NE_OK; b++)
            for (int64_t gr = 0; gr < g->groups && s == NE_OK; gr++) {
                c.sb = b, c.sgr = gr;
                s = ne_parallel_for((c.K + NE_C2_AMX_B_ROWS - 1) / NE_C2_AMX_B_ROWS, threads, ne_c2_amx_b_range, &c);
                c.item0 = (b * g->groups + gr) * per;
                if (s == NE_OK) s = ne_parallel_for(per, threads, ne_c2_amx_range, &c);
            }
        ne_c2_scratch_free(c.shared);
        return s;
    }
    return ne_parallel_for(g->n * g->groups * per, threads, ne_c2_amx_range, &c);
}
#endif
