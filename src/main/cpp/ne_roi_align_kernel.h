/* The inner ROIAlign loops, written once and compiled once per (dtype, SIMD variant) by
 * ne_roi_align_cpu.c, which defines before each inclusion:
 *   NE_T      float or double
 *   NE_CB     channels per block: one 64-byte vector of NE_T (16 floats, 8 doubles)
 *   NE_SFX    the name suffix, e.g. f32_avx512
 *   NE_TARGET the function attribute choosing the ISA (empty for the baseline)
 * The channel block is the vector: the data are an NHWC slab [H][W][NE_CB] per (image, channel
 * block), so each bilinear tap is one aligned vector load and every channel goes through exactly
 * the same scalar arithmetic in the same order whichever variant runs (the library is compiled
 * with -ffp-contract=off, so no variant fuses a multiply-add the baseline does not): the ISA
 * variants are bit-identical. GCC's generic vectors lower to SSE2, AVX2 or AVX-512 code.
 *
 * Where the time goes, and what this layout does about it (7x7, sampling ratio 2: 784 taps per
 * roi and channel block, each one vector load, one multiply, one add):
 * - the four tap weights of a sample (wy * wx products) are formed per bin row for all the row's
 *   x samples at once, as short vector products into a small table (ne_ra_scr.wrow); the tap loop
 *   then multiplies by a weight read from that table (a broadcast from L1, free on AVX-512)
 *   instead of a scalar product + register broadcast per tap, which competed with the vector
 *   arithmetic for the same ports;
 * - the sample tables are struct-of-arrays, so the per-tap address is two adds and no branches
 *   beyond the (predictable) validity tests. */

#define NE_V NE_CAT(ne_ra_vec, NE_SFX)

typedef NE_T NE_V __attribute__((vector_size(64)));

/* Samples along one axis: n bins of `grid` samples each, starting at `start`, `bin` wide.
 * `stride` turns a row/column index into a slab offset. The arithmetic is torchvision's.
 * Returns 1 when every sample is inside (the common case). */
NE_TARGET static int NE_CAT(ne_ra_axis_fill, NE_SFX)(int64_t* lo_, int64_t* hi_, NE_T* wl_, NE_T* wh_,
                                                     unsigned char* valid, int64_t n, int64_t grid, NE_T start,
                                                     NE_T bin, int64_t size, int64_t stride) {
    int all = 1;
    for (int64_t p = 0; p < n; p++) {
        for (int64_t i = 0; i < grid; i++) {
            NE_T v = start + (NE_T) p * bin + (NE_T) ((NE_T) i + (NE_T) 0.5) * bin / (NE_T) grid;
            int64_t a = p * grid + i;
            /* Written as !(in range) so that NaN falls into the reject branch (TV newest). */
            if (!(v >= (NE_T) -1.0 && v <= (NE_T) size)) {
                valid[a] = 0;
                lo_[a] = hi_[a] = 0;
                wl_[a] = wh_[a] = 0;
                all = 0;
                continue;
            }
            if (v <= 0) v = 0;
            int64_t lo = (int64_t) v, hi;
            if (lo >= size - 1) {
                hi = lo = size - 1;
                v = (NE_T) lo;
            } else {
                hi = lo + 1;
            }
            NE_T l = v - (NE_T) lo;
            valid[a] = 1;
            lo_[a] = lo * stride;
            hi_[a] = hi * stride;
            wh_[a] = l;
            wl_[a] = (NE_T) 1 - l;
        }
    }
    return all;
}

/* Fills the axis tables of the roi visited r-th (once per call, from ne_ra_prepare). */
static void NE_CAT(ne_ra_fill_roi, NE_SFX)(const ne_ra_ctx* cx, int64_t r, const ne_ra_geom* g) {
    const int64_t oy = r * cx->max_y, ox = r * cx->max_x;
    NE_CAT(ne_ra_axis_fill, NE_SFX)(cx->tylo + oy, cx->tyhi + oy, (NE_T*) cx->tywl + oy, (NE_T*) cx->tywh + oy,
                                    cx->tyv + oy, cx->ph, g->gh, (NE_T) g->ys, (NE_T) g->bh, cx->h, cx->w * cx->pix);
    NE_CAT(ne_ra_axis_fill, NE_SFX)(cx->txlo + ox, cx->txhi + ox, (NE_T*) cx->txwl + ox, (NE_T*) cx->txwh + ox,
                                    cx->txv + ox, cx->pw, g->gw, (NE_T) g->xs, (NE_T) g->bw, cx->w, cx->pix);
}

/* Points the scratch at the tables of the roi visited r-th. */
static void NE_CAT(ne_ra_tables, NE_SFX)(const ne_ra_ctx* cx, int64_t r, ne_ra_scr* s) {
    const int64_t oy = r * cx->max_y, ox = r * cx->max_x;
    s->ylo = cx->tylo + oy; s->yhi = cx->tyhi + oy; s->ywl = (NE_T*) cx->tywl + oy; s->ywh = (NE_T*) cx->tywh + oy;
    s->yv = cx->tyv + oy;
    s->xlo = cx->txlo + ox; s->xhi = cx->txhi + ox; s->xwl = (NE_T*) cx->txwl + ox; s->xwh = (NE_T*) cx->txwh + ox;
    s->xv = cx->txv + ox;
}

/* The weight products of the gh sample rows of bin row ph, for all nx x samples:
 * wrow[py][t][px] for every sample row py of the roi, t = (yl*xl, yl*xh, yh*xl, yh*xh), the tap order of the sum. */
NE_TARGET static void NE_CAT(ne_ra_row_weights, NE_SFX)(const ne_ra_scr* s, int64_t ny, int64_t nx) {
    /* Whole vectors: wrow rows are padded to mx (a multiple of NE_CB) and the axis tables by
     * NE_CB entries (ne_ra_tables_alloc), so the tail products are made but never read. This is
     * once per bin row; a scalar loop here cost a third of the forward's time. */
    typedef NE_T vu __attribute__((vector_size(64), aligned(sizeof(NE_T))));
    const NE_T* xwl = (const NE_T*) s->xwl;
    const NE_T* xwh = (const NE_T*) s->xwh;
    const int64_t mx = s->mx;
    for (int64_t py = 0; py < ny; py++) {
        const NE_T a = ((const NE_T*) s->ywl)[py], b = ((const NE_T*) s->ywh)[py];
        NE_T* w = (NE_T*) s->wrow + py * 4 * mx;
        for (int64_t px = 0; px < nx; px += NE_CB) {
            const NE_V l = *(const vu*) (xwl + px), h = *(const vu*) (xwh + px);
            *(NE_V*) (w + px) = a * l;
            *(NE_V*) (w + mx + px) = a * h;
            *(NE_V*) (w + 2 * mx + px) = b * l;
            *(NE_V*) (w + 3 * mx + px) = b * h;
        }
    }
}

/* Tile [P][NE_CB] -> the roi's cn output rows of P (NCHW), and grad_output's rows -> tile with the
 * lanes past cn zeroed; NE_TRANSPOSE is the dtype's ne_roi_align_transpose.h routine. */
static void NE_CAT(ne_ra_tile_out, NE_SFX)(const ne_ra_ctx* cx, const NE_T* tile, NE_T* o, int64_t P, int64_t cn,
                                          NE_T* obuf) {
    /* The roi's cn rows of P are one contiguous run of the output: transpose into obuf (L1), then
     * stream the run out (ne_ra_stream_copy). */
#if defined(NE_RA_TILE_TR)
    if (sizeof(NE_T) == 4 && cn == 16 && cx->isa == NE_ISA_AVX512) {
        ne_ra_tile_tr_avx512((const float*) (const void*) tile, (float*) (void*) obuf, P);
    } else
#endif
        NE_TRANSPOSE(tile, NE_CB, obuf, P, P, cn, cx->isa == NE_ISA_AVX512);
    ne_ra_stream_copy((char*) o, (const char*) obuf, sizeof(NE_T) * (size_t) (P * cn), cx->isa);
}

static void NE_CAT(ne_ra_tile_in, NE_SFX)(const ne_ra_ctx* cx, const NE_T* go, NE_T* tile, int64_t P, int64_t cn) {
    (void) cx; /* the f64 transpose takes no ISA flag */
    NE_TRANSPOSE(go, P, tile, NE_CB, cn, P, cx->isa == NE_ISA_AVX512);
    if (cn < NE_CB)
        for (int64_t p = 0; p < P; p++)
            for (int64_t ci = cn; ci < NE_CB; ci++) tile[p * NE_CB + ci] = 0;
}

/* Forward over the rois order[r0..r1) for one channel block: slab is [N][H][W][NE_CB] of this
 * block, out the NCHW output, channels [c0, c0+cn). The loops run along whole sample rows: for a
 * bin row, each sample row py adds its samples into the bins' sums in the tile ([P][NE_CB], in L1),
 * so every bin still sums its samples in torchvision's (iy, ix) order; with the usual 2x2 samples
 * per bin, a per-bin (iy, ix) nest ran loops of 2 whose overhead was most of the instructions.
 * Rois whose x samples are all inside (nearly all) take a branch-free path; gw == 2 is unrolled.
 * The tile is divided by the count and transposed into the output's NCHW rows (one contiguous run
 * of cn*PH*PW) once the roi is done. */
#define NE_RA_SAMPLE(px_)                                                                              \
    do {                                                                                               \
        const int64_t xl_ = xlo[px_], xh_ = xhi[px_];                                                  \
        const NE_V v1_ = *(const NE_V*) (rl + xl_), v2_ = *(const NE_V*) (rl + xh_);                   \
        const NE_V v3_ = *(const NE_V*) (rh + xl_), v4_ = *(const NE_V*) (rh + xh_);                   \
        a += ((w0[px_] * v1_ + w1[px_] * v2_) + w2[px_] * v3_) + w3[px_] * v4_;                        \
    } while (0)

NE_TARGET static void NE_CAT(ne_ra_fwd_block, NE_SFX)(const ne_ra_ctx* cx, const NE_T* slab, int64_t c0, int64_t cn,
                                                      int64_t r0, int64_t r1, ne_ra_scr* s) {
    NE_T* out = (NE_T*) cx->out;
    NE_T* tile = (NE_T*) s->tile;
    const int64_t PH = cx->ph, PW = cx->pw, P = PH * PW, HW = cx->h * cx->w, MX = s->mx;
    for (int64_t r = r0; r < r1; r++) {
        int64_t k = cx->order[r];
        ne_ra_geom g;
        ne_ra_geometry(cx, k, &g);
        const int64_t gh = g.gh, gw = g.gw;
        NE_CAT(ne_ra_tables, NE_SFX)(cx, r, s);
        const NE_T* img = slab + g.batch * HW * cx->pix;
        const NE_T count = (NE_T) g.count;
        const int64_t* xlo = s->xlo;
        const int64_t* xhi = s->xhi;
        const unsigned char* xv = s->xv;
        int allx = 1;
        for (int64_t px = 0; px < PW * gw; px++) allx &= xv[px];
        NE_CAT(ne_ra_row_weights, NE_SFX)(s, PH * gh, PW * gw);
        memset(tile, 0, sizeof(NE_T) * (size_t) (P * NE_CB));
        for (int64_t ph = 0; ph < PH; ph++) {
            NE_T* trow = tile + ph * PW * NE_CB;
            for (int64_t iy = 0; iy < gh; iy++) {
                const int64_t py = ph * gh + iy;
                if (!s->yv[py]) continue;
                const NE_T* rl = img + s->ylo[py];
                const NE_T* rh = img + s->yhi[py];
                const NE_T* w0 = (const NE_T*) s->wrow + py * 4 * MX;
                const NE_T *w1 = w0 + MX, *w2 = w0 + 2 * MX, *w3 = w0 + 3 * MX;
                if (allx && gw == 2) {
                    for (int64_t pw = 0; pw < PW; pw++) {
                        NE_V a = *(const NE_V*) (trow + pw * NE_CB);
                        NE_RA_SAMPLE(2 * pw);
                        NE_RA_SAMPLE(2 * pw + 1);
                        *(NE_V*) (trow + pw * NE_CB) = a;
                    }
                } else if (allx) {
                    for (int64_t pw = 0; pw < PW; pw++) {
                        NE_V a = *(const NE_V*) (trow + pw * NE_CB);
                        for (int64_t px = pw * gw; px < (pw + 1) * gw; px++) NE_RA_SAMPLE(px);
                        *(NE_V*) (trow + pw * NE_CB) = a;
                    }
                } else {
                    for (int64_t pw = 0; pw < PW; pw++) {
                        NE_V a = *(const NE_V*) (trow + pw * NE_CB);
                        for (int64_t px = pw * gw; px < (pw + 1) * gw; px++)
                            if (xv[px]) NE_RA_SAMPLE(px);
                        *(NE_V*) (trow + pw * NE_CB) = a;
                    }
                }
            }
        }
        /* x / count == x * (1 / count) exactly when count is a power of two (1 / count is then
         * exact, and both round the same real number): a multiply instead of a divide, which
         * was ~10 cycles per vector (one per bin). */
        if ((g.count & (g.count - 1)) == 0) {
            const NE_T inv = (NE_T) 1 / count;
            for (int64_t p = 0; p < P; p++) *(NE_V*) (tile + p * NE_CB) *= inv;
        } else {
            for (int64_t p = 0; p < P; p++) *(NE_V*) (tile + p * NE_CB) /= count;
        }
        NE_CAT(ne_ra_tile_out, NE_SFX)(cx, tile, out + (k * cx->c + c0) * P, P, cn, (NE_T*) s->obuf);
    }
}
#undef NE_RA_SAMPLE

/* Backward for one (image n, channel block): every roi of image n in the fixed order, scattered
 * into the NHWC slab [H][W][NE_CB] that this task alone owns. (g / count) is formed once per bin
 * (torchvision forms g * w / count per tap: the two differ in the last bit at most). */
NE_TARGET static void NE_CAT(ne_ra_bwd_block, NE_SFX)(const ne_ra_ctx* cx, NE_T* slab, int64_t n, int64_t c0,
                                                      int64_t cn, ne_ra_scr* s) {
    const NE_T* rois = (const NE_T*) cx->rois;
    const NE_T* gout = (const NE_T*) cx->gout;
    NE_T* tile = (NE_T*) s->tile;
    const int64_t PH = cx->ph, PW = cx->pw, P = PH * PW, MX = s->mx;
    for (int64_t r = 0; r < cx->k; r++) {
        int64_t k = cx->order[r];
        if ((int64_t) rois[k * 5] != n) continue;
        ne_ra_geom g;
        ne_ra_geometry(cx, k, &g);
        const int64_t gh = g.gh, gw = g.gw;
        if (gh <= 0 || gw <= 0) continue;
        NE_CAT(ne_ra_tables, NE_SFX)(cx, r, s);
        NE_CAT(ne_ra_tile_in, NE_SFX)(cx, gout + (k * cx->c + c0) * P, tile, P, cn);
        const NE_T count = (NE_T) g.count;
        if ((g.count & (g.count - 1)) == 0) { /* exact, as in the forward */
            const NE_T inv = (NE_T) 1 / count;
            for (int64_t p = 0; p < P; p++) *(NE_V*) (tile + p * NE_CB) *= inv;
        } else {
            for (int64_t p = 0; p < P; p++) *(NE_V*) (tile + p * NE_CB) /= count;
        }
        NE_CAT(ne_ra_row_weights, NE_SFX)(s, PH * gh, PW * gw);
        for (int64_t ph = 0; ph < PH; ph++) {
            for (int64_t pw = 0; pw < PW; pw++) {
                const NE_V gv = *(const NE_V*) (tile + (ph * PW + pw) * NE_CB);
                for (int64_t iy = 0; iy < gh; iy++) {
                    const int64_t py = ph * gh + iy;
                    if (!s->yv[py]) continue;
                    NE_T* rl = slab + s->ylo[py];
                    NE_T* rh = slab + s->yhi[py];
                    const NE_T* w = (const NE_T*) s->wrow + py * 4 * MX;
                    for (int64_t ix = 0; ix < gw; ix++) {
                        const int64_t px = pw * gw + ix;
                        if (!s->xv[px]) continue;
                        const int64_t xl = s->xlo[px], xh = s->xhi[px];
                        *(NE_V*) (rl + xl) += gv * w[px];
                        *(NE_V*) (rl + xh) += gv * w[MX + px];
                        *(NE_V*) (rh + xl) += gv * w[2 * MX + px];
                        *(NE_V*) (rh + xh) += gv * w[3 * MX + px];
                    }
                }
            }
        }
    }
}

#undef NE_V
