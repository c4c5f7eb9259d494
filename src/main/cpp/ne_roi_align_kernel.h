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
 * variants are bit-identical. GCC's generic vectors lower to SSE2, AVX2 or AVX-512 code. */

#define NE_CAT2(a, b) a##_##b
#define NE_CAT(a, b) NE_CAT2(a, b)
#define NE_V NE_CAT(ne_ra_vec, NE_SFX)
#define NE_AX NE_CAT(ne_ra_axis, NE_SFX)

typedef NE_T NE_V __attribute__((vector_size(64)));

/* One sample coordinate along one axis after the RA sampler (ops.md §1): the two neighbouring
 * rows (or columns) as slab offsets, their weights, and whether the sample is inside. */
typedef struct {
    int64_t lo, hi;
    NE_T wl, wh;
    int32_t valid;
} NE_AX;

/* Samples along one axis: n bins of `grid` samples each, starting at `start`, `bin` wide.
 * `stride` turns a row/column index into a slab offset. The arithmetic is torchvision's. */
NE_TARGET static void NE_CAT(ne_ra_axis_fill, NE_SFX)(NE_AX* ax, int64_t n, int64_t grid, NE_T start, NE_T bin,
                                                      int64_t size, int64_t stride) {
    for (int64_t p = 0; p < n; p++) {
        for (int64_t i = 0; i < grid; i++) {
            NE_T v = start + (NE_T) p * bin + (NE_T) ((NE_T) i + (NE_T) 0.5) * bin / (NE_T) grid;
            NE_AX* a = &ax[p * grid + i];
            /* Written as !(in range) so that NaN falls into the reject branch (TV newest). */
            if (!(v >= (NE_T) -1.0 && v <= (NE_T) size)) {
                a->valid = 0;
                a->lo = a->hi = 0;
                a->wl = a->wh = 0;
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
            a->valid = 1;
            a->lo = lo * stride;
            a->hi = hi * stride;
            a->wh = l;
            a->wl = (NE_T) 1 - l;
        }
    }
}

/* Forward over the rois order[r0..r1) for one channel block: slab is [N][H][W][NE_CB] of this
 * block, out the NCHW output, channels [c0, c0+cn). Weights are computed per roi on the fly from
 * the two separable axis tables; each bin's NE_CB results go to a tile that is transposed into
 * the output's NCHW rows once the roi is done. */
NE_TARGET static void NE_CAT(ne_ra_fwd_block, NE_SFX)(const ne_ra_ctx* cx, const NE_T* slab, int64_t c0, int64_t cn,
                                                      int64_t r0, int64_t r1, NE_AX* ys, NE_AX* xs, NE_T* tile) {
    NE_T* out = (NE_T*) cx->out;
    const int64_t PH = cx->ph, PW = cx->pw, P = PH * PW, W = cx->w, HW = cx->h * cx->w;
    for (int64_t r = r0; r < r1; r++) {
        int64_t k = cx->order[r];
        ne_ra_geom g;
        ne_ra_geometry(cx, k, &g);
        NE_CAT(ne_ra_axis_fill, NE_SFX)(ys, PH, g.gh, (NE_T) g.ys, (NE_T) g.bh, cx->h, W * NE_CB);
        NE_CAT(ne_ra_axis_fill, NE_SFX)(xs, PW, g.gw, (NE_T) g.xs, (NE_T) g.bw, cx->w, NE_CB);
        const NE_T* img = slab + g.batch * HW * NE_CB;
        const NE_T count = (NE_T) g.count;
        for (int64_t ph = 0; ph < PH; ph++) {
            for (int64_t pw = 0; pw < PW; pw++) {
                NE_V acc = {0};
                for (int64_t iy = 0; iy < g.gh; iy++) {
                    const NE_AX* ay = &ys[ph * g.gh + iy];
                    if (!ay->valid) continue;
                    for (int64_t ix = 0; ix < g.gw; ix++) {
                        const NE_AX* ax = &xs[pw * g.gw + ix];
                        if (!ax->valid) continue;
                        NE_T w1 = ay->wl * ax->wl, w2 = ay->wl * ax->wh, w3 = ay->wh * ax->wl, w4 = ay->wh * ax->wh;
                        NE_V v1 = *(const NE_V*) (img + ay->lo + ax->lo);
                        NE_V v2 = *(const NE_V*) (img + ay->lo + ax->hi);
                        NE_V v3 = *(const NE_V*) (img + ay->hi + ax->lo);
                        NE_V v4 = *(const NE_V*) (img + ay->hi + ax->hi);
                        acc += ((w1 * v1 + w2 * v2) + w3 * v3) + w4 * v4;
                    }
                }
                *(NE_V*) (tile + (ph * PW + pw) * NE_CB) = acc / count;
            }
        }
        NE_T* o = out + (k * cx->c + c0) * P;
        for (int64_t ci = 0; ci < cn; ci++)
            for (int64_t p = 0; p < P; p++) o[ci * P + p] = tile[p * NE_CB + ci];
    }
}

/* Backward for one (image n, channel block): every roi of image n in the fixed order, scattered
 * into the NHWC slab [H][W][NE_CB] that this task alone owns. (g / count) is formed once per bin
 * (torchvision forms g * w / count per tap: the two differ in the last bit at most). */
NE_TARGET static void NE_CAT(ne_ra_bwd_block, NE_SFX)(const ne_ra_ctx* cx, NE_T* slab, int64_t n, int64_t c0,
                                                      int64_t cn, NE_AX* ys, NE_AX* xs, NE_T* tile) {
    const NE_T* rois = (const NE_T*) cx->rois;
    const NE_T* gout = (const NE_T*) cx->gout;
    const int64_t PH = cx->ph, PW = cx->pw, P = PH * PW, W = cx->w;
    for (int64_t r = 0; r < cx->k; r++) {
        int64_t k = cx->order[r];
        if ((int64_t) rois[k * 5] != n) continue;
        ne_ra_geom g;
        ne_ra_geometry(cx, k, &g);
        if (g.gh <= 0 || g.gw <= 0) continue;
        NE_CAT(ne_ra_axis_fill, NE_SFX)(ys, PH, g.gh, (NE_T) g.ys, (NE_T) g.bh, cx->h, W * NE_CB);
        NE_CAT(ne_ra_axis_fill, NE_SFX)(xs, PW, g.gw, (NE_T) g.xs, (NE_T) g.bw, cx->w, NE_CB);
        const NE_T count = (NE_T) g.count;
        const NE_T* go = gout + (k * cx->c + c0) * P;
        for (int64_t ci = 0; ci < NE_CB; ci++)
            for (int64_t p = 0; p < P; p++) tile[p * NE_CB + ci] = ci < cn ? go[ci * P + p] / count : 0;
        for (int64_t ph = 0; ph < PH; ph++) {
            for (int64_t pw = 0; pw < PW; pw++) {
                NE_V gv = *(const NE_V*) (tile + (ph * PW + pw) * NE_CB);
                for (int64_t iy = 0; iy < g.gh; iy++) {
                    const NE_AX* ay = &ys[ph * g.gh + iy];
                    if (!ay->valid) continue;
                    for (int64_t ix = 0; ix < g.gw; ix++) {
                        const NE_AX* ax = &xs[pw * g.gw + ix];
                        if (!ax->valid) continue;
                        NE_T w1 = ay->wl * ax->wl, w2 = ay->wl * ax->wh, w3 = ay->wh * ax->wl, w4 = ay->wh * ax->wh;
                        *(NE_V*) (slab + ay->lo + ax->lo) += gv * w1;
                        *(NE_V*) (slab + ay->lo + ax->hi) += gv * w2;
                        *(NE_V*) (slab + ay->hi + ax->lo) += gv * w3;
                        *(NE_V*) (slab + ay->hi + ax->hi) += gv * w4;
                    }
                }
            }
        }
    }
}

#undef NE_V
#undef NE_AX
