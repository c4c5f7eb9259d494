/* ROIAlign forward, float32, AVX-512: the common case (every x sample of the roi inside the map,
 * 2 x samples per bin) of ne_ra_fwd_block, for NE_RA_NB channel blocks of 16 at once (included
 * once by ne_roi_align_cpu.c after the f32 kernels; the other rois go to ne_ra_fwd_block).
 *
 * What it saves over the generic loop: the bins' sums stay in registers for a chunk of <= 8 bins
 * of a bin row over all its sample rows, instead of a load and a store of the L1 tile per bin and
 * sample row plus a memset of the tile per roi (14x14 forward: 70.7 -> 62.6 ms, one thread).
 * NE_RA_NB == 2 (slab [H][W][32], ne_ra_ctx.pix; each sample's x offsets and weights serve both
 * blocks: 14 loads per sample for 32 channels instead of 20) is kept as a compile-time option but
 * measured slower: the 5 MB slab no longer mostly fits the 2 MB L2 and the 32-row input transpose
 * is slower (7x7: 19.2 -> 22.5 ms, 14x14: 62.6 -> 66 ms). Software prefetch of the next sample
 * row's taps was slower too (the load ports, not the latency, bound this loop).
 * Bit-identical to ne_ra_fwd_block: every bin starts from +0 and adds the same products of the same
 * weights in the same order ((0 + s(iy0,ix0)) + s(iy0,ix1)) + s(iy1,ix0) ..., each sample being
 * ((w0 v1 + w1 v2) + w2 v3) + w3 v4 (no fused multiply-add: -ffp-contract=off and no fma target),
 * then the same multiply by 1/count or divide by count. */
#ifndef NE_ROI_ALIGN_FWD512_H
#define NE_ROI_ALIGN_FWD512_H
#if defined(__x86_64__) && defined(__GNUC__)
#define NE_RA_FWD512 1

typedef float ne_ra_z __attribute__((vector_size(64)));
#define NE_RA_MAXCH 16

/* One chunk of nb bins (pw0 .. pw0+nb) of bin row ph, for NE_RA_NB blocks; nb is a constant at
 * every call (ne_ra_chunk512's switch), so the accumulator arrays become registers. wq holds the
 * chunk's tap weights per sample row iy: wq[iy * wstride + t * 16 + j] for tap t of sample j (the
 * products of ne_ra_row_weights, laid out so that every weight is a constant displacement from
 * one pointer: with four row pointers GCC kept dozens of address temporaries and spilled them). */
__attribute__((target("avx512f"), always_inline)) static inline void
ne_ra_chunk512_impl(const float* img, const ne_ra_scr* s, int64_t ph, int64_t gh, int64_t pw0, const int nb,
                    const float* wq, int64_t wstride, float* const* rows, int pow2, float f) {
    ne_ra_z a[NE_RA_NB][8];
#pragma GCC unroll 2
    for (int b = 0; b < NE_RA_NB; b++)
#pragma GCC unroll 8
        for (int j = 0; j < nb; j++) a[b][j] = (ne_ra_z) {0};
    const int64_t* xlo = s->xlo + 2 * pw0;
    const int64_t* xhi = s->xhi + 2 * pw0;
    for (int64_t iy = 0; iy < gh; iy++, wq += wstride) {
        const int64_t py = ph * gh + iy;
        if (!s->yv[py]) continue;
        const float* rl = img + s->ylo[py];
        const float* rh = img + s->yhi[py];
#pragma GCC unroll 16
        for (int j = 0; j < 2 * nb; j++) {
            const int64_t xl = xlo[j], xh = xhi[j];
            const float c0 = wq[j], c1 = wq[16 + j], c2 = wq[32 + j], c3 = wq[48 + j];
#pragma GCC unroll 2
            for (int b = 0; b < NE_RA_NB; b++) {
                const ne_ra_z v1 = *(const ne_ra_z*) (rl + xl + 16 * b), v2 = *(const ne_ra_z*) (rl + xh + 16 * b);
                const ne_ra_z v3 = *(const ne_ra_z*) (rh + xl + 16 * b), v4 = *(const ne_ra_z*) (rh + xh + 16 * b);
                a[b][j >> 1] += ((c0 * v1 + c1 * v2) + c2 * v3) + c3 * v4;
            }
        }
    }
#pragma GCC unroll 2
    for (int b = 0; b < NE_RA_NB; b++)
#pragma GCC unroll 8
        for (int j = 0; j < nb; j++) *(ne_ra_z*) (rows[b] + (pw0 + j) * 16) = pow2 ? a[b][j] * f : a[b][j] / f;
}

__attribute__((target("avx512f"))) static void ne_ra_chunk512(const float* img, const ne_ra_scr* s, int64_t ph,
                                                              int64_t gh, int64_t pw0, int nb, const float* wq,
                                                              int64_t wstride, float* const* rows, int pow2, float f) {
    switch (nb) {
#define NE_RA_CASE(n) \
    case n: ne_ra_chunk512_impl(img, s, ph, gh, pw0, n, wq, wstride, rows, pow2, f); break;
        NE_RA_CASE(1) NE_RA_CASE(2) NE_RA_CASE(3) NE_RA_CASE(4)
        NE_RA_CASE(5) NE_RA_CASE(6) NE_RA_CASE(7) NE_RA_CASE(8)
#undef NE_RA_CASE
        default: break;
    }
}

/* The tap weights of bin row ph: for each sample row iy and chunk q (starting at sample x0[q]),
 * 4 vectors of 16: yl*xl, yl*xh, yh*xl, yh*xh (the products ne_ra_row_weights forms, each the
 * same single rounding). Samples past the chunk get products that are never read. */
__attribute__((target("avx512f"))) static void ne_ra_wq512(const ne_ra_scr* s, int64_t ph, int64_t gh,
                                                           const int64_t* x0, int64_t nch, float* wq) {
    typedef float vu __attribute__((vector_size(64), aligned(4)));
    const float* xwl = (const float*) s->xwl;
    const float* xwh = (const float*) s->xwh;
    for (int64_t iy = 0; iy < gh; iy++) {
        const int64_t py = ph * gh + iy;
        const float a = ((const float*) s->ywl)[py], b = ((const float*) s->ywh)[py];
        for (int64_t q = 0; q < nch; q++, wq += 64) {
            const ne_ra_z l = *(const vu*) (xwl + x0[q]), h = *(const vu*) (xwh + x0[q]);
            *(ne_ra_z*) wq = a * l;
            *(ne_ra_z*) (wq + 16) = a * h;
            *(ne_ra_z*) (wq + 32) = b * l;
            *(ne_ra_z*) (wq + 48) = b * h;
        }
    }
}

/* The rois order[r0..r1) for the channels [c0, c0+cn) (cn <= 16 * NE_RA_NB) of slab
 * [N][H][W][16 * NE_RA_NB]; the tables' offsets are in that layout (ne_ra_ctx.pix). */
__attribute__((target("avx512f"))) static void ne_ra_fwd_f32_z(const ne_ra_ctx* cx, const float* slab, int64_t c0,
                                                               int64_t cn, int64_t r0, int64_t r1, ne_ra_scr* s) {
    float* out = (float*) cx->out;
    const int64_t PH = cx->ph, PW = cx->pw, P = PH * PW, HW = cx->h * cx->w;
    const int64_t Ppad = (P + 15) / 16 * 16;
    const int64_t nch = (PW + 7) / 8; /* chunks of <= 8 bins, as even as possible */
    if (nch > NE_RA_MAXCH) { /* PW > 128: the generic loop */
        for (int64_t b = 0; b * 16 < cn; b++)
            ne_ra_fwd_block_f32_avx512(cx, slab + 16 * b, c0 + 16 * b, cn - 16 * b < 16 ? cn - 16 * b : 16, r0, r1, s);
        return;
    }
    float* tiles[2] = {(float*) s->tile, (float*) s->tile + Ppad * 16};
    float* obuf = (float*) s->obuf;
    float* wq = (float*) s->wrow; /* [gh][nch][4][16], ne_ra_wq512 */
    int64_t pws[NE_RA_MAXCH + 1], x0[NE_RA_MAXCH];
    for (int64_t q = 0; q <= nch; q++) pws[q] = PW * q / nch;
    for (int64_t q = 0; q < nch; q++) x0[q] = 2 * pws[q];
    for (int64_t r = r0; r < r1; r++) {
        const int64_t k = cx->order[r];
        ne_ra_geom g;
        ne_ra_geometry(cx, k, &g);
        ne_ra_tables_f32_avx512(cx, r, s);
        int allx = g.gw == 2;
        for (int64_t px = 0; px < PW * g.gw && allx; px++) allx &= s->xv[px];
        if (!allx) { /* the generic loop, one block at a time (slab offset 16 b) */
            for (int64_t b = 0; b * 16 < cn; b++)
                ne_ra_fwd_block_f32_avx512(cx, slab + 16 * b, c0 + 16 * b, cn - 16 * b < 16 ? cn - 16 * b : 16, r,
                                           r + 1, s);
            continue;
        }
        const float* img = slab + g.batch * HW * cx->pix;
        const int pow2 = (g.count & (g.count - 1)) == 0;
        const float f = pow2 ? 1.f / (float) g.count : (float) g.count;
        for (int64_t ph = 0; ph < PH; ph++) {
            float* rows[2] = {tiles[0] + ph * PW * 16, tiles[1] + ph * PW * 16};
            ne_ra_wq512(s, ph, g.gh, x0, nch, wq);
            for (int64_t q = 0; q < nch; q++)
                ne_ra_chunk512(img, s, ph, g.gh, pws[q], (int) (pws[q + 1] - pws[q]), wq + 64 * q, 64 * nch, rows,
                               pow2, f);
        }
        /* Both blocks' channels of the roi are one contiguous run of the output. */
        for (int64_t b = 0; b * 16 < cn; b++) {
            const int64_t nb = cn - 16 * b < 16 ? cn - 16 * b : 16;
            if (nb == 16) ne_ra_tile_tr_avx512(tiles[b], obuf + 16 * b * P, P);
            else ne_tr_f32(tiles[b], 16, obuf + 16 * b * P, P, P, nb, 1);
        }
        ne_ra_stream_copy((char*) (out + (k * cx->c + c0) * P), (const char*) obuf, sizeof(float) * (size_t) (P * cn),
                          NE_ISA_AVX512);
    }
}

#endif
#endif
