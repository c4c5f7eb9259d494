/* Winograd F(2x2,3x3) of conv2d's CPU code (float32), included once by ne_conv2d_cpu.c after the
 * float32 drivers (it uses ne_c2_geom, ne_c2_layout, the scratch blocks, ne_c2_pack, ne_gemm_pa
 * and the baseline epilogue). Not a public header.
 *
 * Why a second Winograd: on a small plane with many channels F(4x4,3x3)'s products are few and
 * its transformed weights U many (36 per channel pair, 4x the weights), all read per call:
 * ResNet-50's 14x14 stage (256 channels, 16 tiles, 9.4 MiB of U a layer) ran at the rate the
 * memory gave U, ~1.05 ms a layer in the network, where its 37.7 M multiply-adds take ~0.4 ms.
 * F(2x2,3x3) reads 16 matrices (4.2 MiB) and does 784 multiply-adds per channel pair on 14x14
 * (49 tiles of 2x2) against F(4x4)'s 576: a better balance where U does not stay in cache.
 * A Winograd layer with 256-384 channels each way (ne_c2_wino2_layout) takes F(2x2) where F(4x4)
 * would have at most NE_C2_W2_MAX_TILES4 tiles per image, with a prepared block of its own
 * (NE_C2_PATH_WINO2: s, t and F(2x2)'s U; F(4x4)'s block is another, made where it runs).
 *
 *   U = G g G^T,  G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]   (4x4 from 3x3; in double, once)
 *   V = B^T d B,  B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]  (4x4 input tile at (2ty-1, 2tx-1))
 *   M[xi] = U[xi] V[xi] for the 16 xi (ne_gemm_pa: the same fma chain on every isa)
 *   y = A^T m A,  A^T = [1 1 1 0; 0 1 -1 -1]                     (2x2 outputs), then the epilogue
 * The transforms are plain C (-ffp-contract=off) with an AVX-512 variant that makes each
 * element with the same additions in the same order, so every isa gets the same bits; the
 * products are ne_gemm's chain; every element is computed the same way whatever the thread
 * count. Error: F(2x2)'s transforms only add and halve, less rounding
 * than F(4x4)'s (held to the same bound by Conv2dTest). */

#define NE_C2_W2_MAX_TILES4 16

/* Whether the forward takes F(2x2) on this plane (the block holding its U). */
static int ne_c2_wino2_runs(const ne_c2_geom* g) {
    return ((g->ho + 3) / 4) * ((g->wo + 3) / 4) <= NE_C2_W2_MAX_TILES4;
}

/* ---- prepare: U2[xi][co][ci], packed per xi as ne_gemm_pa's A ---- */
typedef struct {
    const ne_c2_geom* g;
    const float* w;
    float* U;   /* [16][C_out][C_in] */
} ne_c2_w2_prep_ctx;

static int32_t ne_c2_w2_weight_range(void* p, int64_t begin, int64_t end) {
    const ne_c2_w2_prep_ctx* c = (const ne_c2_w2_prep_ctx*) p;
    const int64_t cin = c->g->cin, cout = c->g->cout;
    for (int64_t co = begin; co < end; co++)
        for (int64_t ci = 0; ci < cin; ci++) {
            const float* k = c->w + (co * cin + ci) * 9;
            double gg[4][3], u[4][4];
            for (int j = 0; j < 3; j++) {
                const double g0 = k[j], g1 = k[3 + j], g2 = k[6 + j];
                gg[0][j] = g0;
                gg[1][j] = (g0 + g1 + g2) * 0.5;
                gg[2][j] = (g0 - g1 + g2) * 0.5;
                gg[3][j] = g2;
            }
            for (int i = 0; i < 4; i++) {
                u[i][0] = gg[i][0];
                u[i][1] = (gg[i][0] + gg[i][1] + gg[i][2]) * 0.5;
                u[i][2] = (gg[i][0] - gg[i][1] + gg[i][2]) * 0.5;
                u[i][3] = gg[i][2];
            }
            for (int xi = 0; xi < 16; xi++) c->U[((int64_t) xi * cout + co) * cin + ci] = (float) u[xi / 4][xi % 4];
        }
    return NE_OK;
}

static int32_t ne_c2_prepare_wino2(const ne_c2_geom* g, const float* w, char* dst, int32_t threads) {
    ne_c2_w2_prep_ctx c = {g, w, (float*) ne_c2_scratch((size_t) (16 * g->cout * g->cin) * sizeof(float))};
    if (!c.U) return NE_ERR_OUT_OF_MEMORY;
    int32_t s = ne_parallel_for(g->cout, threads, ne_c2_w2_weight_range, &c);
    if (s == NE_OK)
        s = ne_c2_pack_f32(c.U, 16, g->cout, g->cin, (float*) dst, ne_gemm_pa_size_f32(g->cout, g->cin), threads);
    ne_c2_scratch_free(c.U);
    return s;
}

/* ---- forward ---- */
typedef struct {
    const ne_c2_geom* g;
    const float *in, *res, *U, *s, *t;
    float *out, *V, *M;   /* V [16][C_in][T] (each packed by ne_gemm_pbn_index where narrow), M [16][C_out][T] */
    int32_t relu, isa;
    int narrow;           /* V packed for ne_gemm_pabn (AVX-512, 49 tiles): no packing per product */
    int64_t b, th, tw, T, upa;
} ne_c2_w2_ctx;

/* The transforms on AVX-512: each element is computed by the scalar code's own additions and
 * subtractions, in the same order, so the bits are the scalar code's; the vectors run along a
 * row of tiles, NE_C2_W2_RUN tiles at a time (their 4 input columns each within 16 floats).
 * 3x3 256->256 on 14x14 (tools/profile/conv_profile.c COPIES=10, min of 300, with its phase
 * timers): input transform 0.22 -> 0.12 Mcycles, output 0.15 -> 0.11; the layer 0.645 -> 0.59
 * ms on one thread, 0.34-0.37 -> 0.31-0.33 on two. */
#define NE_C2_W2_RUN 7

/* Lanes 2q + o of v for q < 8 (o = 0..3): a tile's column o, for the run's tiles side by side. */
NE_TARGET_AVX512 static inline __m512 ne_c2_w2_cols_avx512(__m512 v, int o) {
    const __m512i idx = _mm512_add_epi32(_mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0),
                                         _mm512_set1_epi32(o));
    return _mm512_permutexvar_ps(_mm512_and_si512(idx, _mm512_set1_epi32(15)), v);
}

/* V of channel ci from its padded plane (rows pw floats apart), every tile (ne_c2_w2_input_range):
 * each xi's row of tiles built in vt ([16][T + 16] floats, whole-vector stores whose extra lanes
 * the next run overwrites), then copied to V in runs (masked stores straight into 16 strided
 * matrices, a third of them split across cache lines, made the transform slower than the scalar
 * code). */
NE_TARGET_AVX512 static void ne_c2_w2_input_f32_avx512(const ne_c2_w2_ctx* c, const float* pad, int64_t pw, int64_t ci,
                                                       int64_t xs, float* vt) {
    const ne_c2_geom* g = c->g;
    const int64_t lt = c->T + 16;
    for (int64_t ty = 0; ty < c->th; ty++)
        for (int64_t tx0 = 0; tx0 < c->tw; tx0 += NE_C2_W2_RUN) {
            const int64_t x0 = 2 * tx0, nx = pw - x0 < 16 ? pw - x0 : 16;   /* the run's columns, x0 + 2 * tiles + 2 at most */
            const __mmask16 lm = (__mmask16) ((1u << nx) - 1);
            const float* d = pad + 2 * ty * pw + x0;
            const __m512 d0 = _mm512_maskz_loadu_ps(lm, d), d1 = _mm512_maskz_loadu_ps(lm, d + pw);
            const __m512 d2 = _mm512_maskz_loadu_ps(lm, d + 2 * pw), d3 = _mm512_maskz_loadu_ps(lm, d + 3 * pw);
            const __m512 bt[4] = {_mm512_sub_ps(d0, d2), _mm512_add_ps(d1, d2), _mm512_sub_ps(d2, d1), _mm512_sub_ps(d1, d3)};
            float* o = vt + ty * c->tw + tx0;
            for (int i = 0; i < 4; i++) {
                const __m512 b0 = ne_c2_w2_cols_avx512(bt[i], 0), b1 = ne_c2_w2_cols_avx512(bt[i], 1);
                const __m512 b2 = ne_c2_w2_cols_avx512(bt[i], 2), b3 = ne_c2_w2_cols_avx512(bt[i], 3);
                _mm512_storeu_ps(o + (4 * i + 0) * lt, _mm512_sub_ps(b0, b2));
                _mm512_storeu_ps(o + (4 * i + 1) * lt, _mm512_add_ps(b1, b2));
                _mm512_storeu_ps(o + (4 * i + 2) * lt, _mm512_sub_ps(b2, b1));
                _mm512_storeu_ps(o + (4 * i + 3) * lt, _mm512_sub_ps(b1, b3));
            }
        }
    /* runs of tiles contiguous in V: the whole row, or in the narrow layout up to each multiple of
     * NE_GEMM_PBN_W */
    const int64_t step = c->narrow ? NE_GEMM_PBN_W : c->T;
    for (int64_t t = 0; t < c->T; t += step) {
        const int64_t run = c->T - t < step ? c->T - t : step;
        const int64_t at = c->narrow ? ne_gemm_pbn_index_f32(c->T, g->cin, ci, t) : ci * c->T + t;
        for (int xi = 0; xi < 16; xi++) {
            const float* src = vt + xi * lt + t;
            float* dst = c->V + xi * xs + at;
            int64_t q = 0;
            for (; q + 16 <= run; q += 16) _mm512_storeu_ps(dst + q, _mm512_loadu_ps(src + q));
            if (q < run) _mm512_mask_storeu_ps(dst + q, (__mmask16) ((1u << (run - q)) - 1), _mm512_loadu_ps(src + q));
        }
    }
}

/* The two output rows of tile row ty from m (its first tile's products, xi apart by xs): rows
 * [2][ow] as the scalar loop of ne_c2_w2_output_range writes them. */
NE_TARGET_AVX512 static void ne_c2_w2_output_rows_f32_avx512(const float* m, int64_t xs, int64_t tw, float* rows, int64_t ow) {
    const __m512i lo = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    for (int64_t tx0 = 0; tx0 < tw; tx0 += 8) {
        const int64_t nt = tw - tx0 < 8 ? tw - tx0 : 8;
        const __mmask16 tm = (__mmask16) ((1u << nt) - 1), om = (__mmask16) ((1u << (2 * nt)) - 1);
        __m512 u[2][4];
        for (int j = 0; j < 4; j++) {
            const __m512 m0 = _mm512_maskz_loadu_ps(tm, m + j * xs + tx0), m1 = _mm512_maskz_loadu_ps(tm, m + (4 + j) * xs + tx0);
            const __m512 m2 = _mm512_maskz_loadu_ps(tm, m + (8 + j) * xs + tx0), m3 = _mm512_maskz_loadu_ps(tm, m + (12 + j) * xs + tx0);
            u[0][j] = _mm512_add_ps(_mm512_add_ps(m0, m1), m2);
            u[1][j] = _mm512_sub_ps(_mm512_sub_ps(m1, m2), m3);
        }
        for (int r = 0; r < 2; r++) {
            const __m512 e = _mm512_add_ps(_mm512_add_ps(u[r][0], u[r][1]), u[r][2]);
            const __m512 o = _mm512_sub_ps(_mm512_sub_ps(u[r][1], u[r][2]), u[r][3]);
            _mm512_mask_storeu_ps(rows + r * ow + 2 * tx0, om, _mm512_permutex2var_ps(e, lo, o));
        }
    }
}

/* V[xi][ci][tile] = (B^T d B)[xi] for input channel ci, every tile. */
static int32_t ne_c2_w2_input_range(void* p, int64_t begin, int64_t end) {
    const ne_c2_w2_ctx* c = (const ne_c2_w2_ctx*) p;
    const ne_c2_geom* g = c->g;
    /* the plane as the tiles read it: rows and columns from -padding on, 2 * tiles + 2 of each,
     * zero outside the input (input row y at row y + ph, where it falls inside) */
    const int64_t ph = 2 * c->th + 2, pw = 2 * c->tw + 2;
    const int64_t y0 = g->ph, x0 = g->pw;
    const int64_t x1 = g->w + x0 < pw ? g->w + x0 : pw;   /* columns [x0, x1) hold input columns [0, x1 - x0) */
    /* the padded plane, and on AVX-512 each xi's row of tiles (ne_c2_w2_input_f32_avx512) */
    const int64_t vtn = c->isa == NE_ISA_AVX512 ? 16 * (c->T + 16) : 0;
    float* pad = (float*) ne_c2_scratch((size_t) (ph * pw + vtn) * sizeof(float));
    if (!pad) return NE_ERR_OUT_OF_MEMORY;
    float* vt = vtn ? pad + ph * pw : NULL;
    memset(pad, 0, (size_t) (ph * pw) * sizeof(float));
    for (int64_t ci = begin; ci < end; ci++) {
        const float* plane = c->in + (c->b * g->cin + ci) * g->h * g->w;
        for (int64_t y = 0; y < g->h && y + y0 < ph; y++)
            if (x1 > x0) memcpy(pad + (y + y0) * pw + x0, plane + y * g->w, (size_t) (x1 - x0) * sizeof(float));
        const int64_t xs = g->cin * c->T;   /* one xi to the next */
        if (vt) {
            ne_c2_w2_input_f32_avx512(c, pad, pw, ci, xs, vt);
            continue;
        }
        for (int64_t ty = 0; ty < c->th; ty++)
            for (int64_t tx = 0; tx < c->tw; tx++) {
                const float* d = pad + 2 * ty * pw + 2 * tx;
                float bt[4][4];
                for (int j = 0; j < 4; j++) {
                    const float d0 = d[j], d1 = d[pw + j], d2 = d[2 * pw + j], d3 = d[3 * pw + j];
                    bt[0][j] = d0 - d2;
                    bt[1][j] = d1 + d2;
                    bt[2][j] = d2 - d1;
                    bt[3][j] = d1 - d3;
                }
                const int64_t tile = ty * c->tw + tx;
                float* v = c->V + (c->narrow ? ne_gemm_pbn_index_f32(c->T, g->cin, ci, tile) : ci * c->T + tile);
                for (int i = 0; i < 4; i++) {
                    v[(4 * i + 0) * xs] = bt[i][0] - bt[i][2];
                    v[(4 * i + 1) * xs] = bt[i][1] + bt[i][2];
                    v[(4 * i + 2) * xs] = bt[i][2] - bt[i][1];
                    v[(4 * i + 3) * xs] = bt[i][1] - bt[i][3];
                }
            }
        /* the border stays zero: the next channel overwrites only the inside */
    }
    ne_c2_scratch_free(pad);
    return NE_OK;
}

/* Items: (xi, block of output rows), 16 x 2 of them, so that two threads share them evenly. */
static int32_t ne_c2_w2_gemm_range(void* p, int64_t begin, int64_t end) {
    const ne_c2_w2_ctx* c = (const ne_c2_w2_ctx*) p;
    const ne_c2_geom* g = c->g;
    /* B's packed block for ne_gemm_pa; none where V is packed already (narrow) */
    float* work = c->narrow ? NULL : (float*) ne_c2_scratch((size_t) NE_GEMM_WORK * sizeof(float));
    if (!c->narrow && !work) return NE_ERR_OUT_OF_MEMORY;
    const int64_t half = (g->cout / 2 + NE_GEMM_MR - 1) / NE_GEMM_MR * NE_GEMM_MR;
    for (int64_t item = begin; item < end; item++) {
        const int64_t xi = item / 2, r0 = item % 2 ? half : 0, r1 = item % 2 ? g->cout : half;
        if (r1 <= r0) continue;
        if (c->narrow)
            ne_gemm_pabn_f32(g->cout, g->cin, c->U + xi * c->upa, r0, r1, c->T, c->V + xi * g->cin * c->T,
                             c->M + (xi * g->cout + r0) * c->T, c->T, 1);
        else
            ne_gemm_pa_f32(g->cout, g->cin, c->U + xi * c->upa, r0, r1, 0, g->cin, c->T, c->V + xi * g->cin * c->T, c->T,
                           c->M + (xi * g->cout + r0) * c->T, c->T, 1, work, c->isa);
    }
    ne_c2_scratch_free(work);
    return NE_OK;
}

/* Output channel co: y = A^T m A per tile, then the epilogue per output row. */
static int32_t ne_c2_w2_output_range(void* p, int64_t begin, int64_t end) {
    const ne_c2_w2_ctx* c = (const ne_c2_w2_ctx*) p;
    const ne_c2_geom* g = c->g;
    const int64_t ow = 2 * c->tw, hwo = g->ho * g->wo;
    float* rows = (float*) ne_c2_scratch((size_t) (2 * ow) * sizeof(float));   /* two output rows */
    if (!rows) return NE_ERR_OUT_OF_MEMORY;
    for (int64_t co = begin; co < end; co++) {
        const float* m = c->M + co * c->T;
        const int64_t xs = g->cout * c->T;
        const int64_t plane = (c->b * g->cout + co) * hwo;
        for (int64_t ty = 0; ty < c->th; ty++) {
            if (c->isa == NE_ISA_AVX512) ne_c2_w2_output_rows_f32_avx512(m + ty * c->tw, xs, c->tw, rows, ow);
            else for (int64_t tx = 0; tx < c->tw; tx++) {
                const int64_t tile = ty * c->tw + tx;
                float u[2][4];
                for (int j = 0; j < 4; j++) {
                    const float m0 = m[j * xs + tile], m1 = m[(4 + j) * xs + tile], m2 = m[(8 + j) * xs + tile],
                                m3 = m[(12 + j) * xs + tile];
                    u[0][j] = m0 + m1 + m2;
                    u[1][j] = m1 - m2 - m3;
                }
                for (int r = 0; r < 2; r++) {
                    rows[r * ow + 2 * tx] = u[r][0] + u[r][1] + u[r][2];
                    rows[r * ow + 2 * tx + 1] = u[r][1] - u[r][2] - u[r][3];
                }
            }
            for (int r = 0; r < 2; r++) {
                const int64_t y = 2 * ty + r;
                if (y >= g->ho) break;
                ne_c2_epilogue_f32_base(c->out + plane + y * g->wo, rows + r * ow, c->res ? c->res + plane + y * g->wo : NULL,
                                        g->wo, c->s[co], c->t[co], c->relu);
            }
        }
    }
    ne_c2_scratch_free(rows);
    return NE_OK;
}

static int32_t ne_c2_forward_wino2(const ne_c2_geom* g, const float* in, const char* prep, const ne_c2_layout* L,
                                   const float* res, int32_t relu, float* out, int32_t threads, int32_t isa) {
    ne_c2_w2_ctx c;
    memset(&c, 0, sizeof c);
    c.g = g, c.in = in, c.res = res, c.out = out, c.relu = relu, c.isa = isa;
    c.s = (const float*) (prep + L->s), c.t = (const float*) (prep + L->t), c.U = (const float*) (prep + L->w2);
    c.upa = ne_gemm_pa_size_f32(g->cout, g->cin);
    c.th = (g->ho + 1) / 2, c.tw = (g->wo + 1) / 2, c.T = c.th * c.tw;
    c.narrow = ne_gemm_pbn_fits_f32(c.T, isa);
    c.V = (float*) ne_c2_scratch((size_t) (16 * g->cin * c.T) * sizeof(float));
    c.M = (float*) ne_c2_scratch((size_t) (16 * g->cout * c.T) * sizeof(float));
    int32_t s = c.V && c.M ? NE_OK : NE_ERR_OUT_OF_MEMORY;
    for (int64_t b = 0; b < g->n && s == NE_OK; b++) {
        c.b = b;
        /* balanced: each item (a channel; an xi's half of the products) computed alone */
        s = ne_parallel_for_balanced(g->cin, threads, 0, ne_c2_w2_input_range, &c);
        if (s == NE_OK) s = ne_parallel_for_balanced(32, threads, 1, ne_c2_w2_gemm_range, &c);
        if (s == NE_OK) s = ne_parallel_for_balanced(g->cout, threads, 0, ne_c2_w2_output_range, &c);
    }
    ne_c2_scratch_free(c.V);
    ne_c2_scratch_free(c.M);
    return s;
}
