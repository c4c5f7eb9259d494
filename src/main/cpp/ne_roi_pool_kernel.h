/* The ROIPool forward kernel, compiled once per (dtype, SIMD variant) by ne_roi_pool_cpu.c
 * (the convention of ne_parallel.h), which defines before each inclusion:
 *   NE_T, NE_I      the value type and the argmax lane type of the same width
 *   NE_MINV         FLT_MAX or DBL_MAX
 *   NE_SFX, NE_TARGET   the variant's name suffix and function attribute
 *   NE_RP_TILE_OUT  the function writing a [P][lanes] tile into the NCHW rows
 *
 * Forward, channels last: a task owns channel blocks of NE_RP_CB(T) channels (one 64-byte vector),
 * transposes the block of every image into an NHWC slab once, then for each roi and bin takes
 * the max over the bin's pixels as a vector max (lane = channel), with the argmax tracked per lane
 * by the same strict "v > best" test in the same row-major order as the scalar loop: identical
 * values and argmax (ties to the first pixel, NaN never selected), whichever vector width the
 * compiler uses. Results go through a [P][lanes] tile, transposed into the NCHW output rows. */

#define NE_RP_V NE_CAT(ne_rp_v, NE_SFX)
#define NE_RP_I NE_CAT(ne_rp_i, NE_SFX)

/* One pixel of chain j at row y + j, column x. */
#define NE_RP_STEP(j)                                                                                        \
    do {                                                                                                     \
        NE_RP_V v = *(const NE_RP_V*) (img + ((y + j) * W + x) * L);                                          \
        NE_RP_I m = v > best[j];                                                                             \
        best[j] = (NE_RP_V) (((NE_RP_I) v & m) | ((NE_RP_I) best[j] & ~m));                                  \
        arg[j] = ((NE_I) ((y + j) * W + x) & m) | (arg[j] & ~m);                                             \
    } while (0)

typedef NE_T NE_RP_V __attribute__((vector_size(64)));
typedef NE_I NE_RP_I __attribute__((vector_size(64)));
NE_TARGET static void NE_CAT(ne_rp_block, NE_SFX)(const ne_rp_ctx* cx, const NE_T* slab, int64_t c0, int64_t cn,
                                     NE_T* tv, NE_I* ti) {
    enum { L = 64 / sizeof(NE_T) };
    NE_T* out = (NE_T*) cx->out;
    const int64_t C = cx->c, H = cx->h, W = cx->w, PH = cx->ph, PW = cx->pw, P = PH * PW;
    for (int64_t k = 0; k < cx->k; k++) {
        int64_t b = (int64_t) ne_rp_roi(cx, k, 0);
        /* C round: half away from zero, in NE_T as torchvision computes it */
        int64_t xs = (int64_t) round((NE_T) ne_rp_roi(cx, k, 1) * (NE_T) cx->scale);
        int64_t ys = (int64_t) round((NE_T) ne_rp_roi(cx, k, 2) * (NE_T) cx->scale);
        int64_t xe = (int64_t) round((NE_T) ne_rp_roi(cx, k, 3) * (NE_T) cx->scale);
        int64_t ye = (int64_t) round((NE_T) ne_rp_roi(cx, k, 4) * (NE_T) cx->scale);
        int64_t rw = xe - xs + 1 > 1 ? xe - xs + 1 : 1, rh = ye - ys + 1 > 1 ? ye - ys + 1 : 1;
        NE_T bh = (NE_T) rh / (NE_T) PH, bw = (NE_T) rw / (NE_T) PW;
        const NE_T* img = slab + b * H * W * L;
        for (int64_t ph = 0; ph < PH; ph++) {
            int64_t hs = ne_rp_clip((int64_t) floor((NE_T) ph * bh) + ys, H);
            int64_t he = ne_rp_clip((int64_t) ceil((NE_T) (ph + 1) * bh) + ys, H);
            for (int64_t pw = 0; pw < PW; pw++) {
                int64_t ws = ne_rp_clip((int64_t) floor((NE_T) pw * bw) + xs, W);
                int64_t we = ne_rp_clip((int64_t) ceil((NE_T) (pw + 1) * bw) + xs, W);
                int empty = he <= hs || we <= ws;
                /* Four chains (rows y = hs + 4i + j go to chain j) so that the compare/select
                 * latency of one does not stall the next pixel; merged after by the scan-order
                 * rule: larger value, or equal value and smaller flat index (= earlier).
                 * best never holds NaN and, at -MAX, arg is -1, so the merge is exact. */
                NE_RP_V best[4];
                NE_RP_I arg[4];
                for (int l = 0; l < L; l++) {
                    best[0][l] = empty ? (NE_T) 0 : -NE_MINV;
                    arg[0][l] = -1;
                }
                best[1] = best[2] = best[3] = best[0];
                arg[1] = arg[2] = arg[3] = arg[0];
                for (int64_t y = hs; y < he; y += 4) {
                    const int nr = he - y < 4 ? (int) (he - y) : 4;
                    if (nr == 4) { /* the common case, unrolled so the chains stay in registers */
                        for (int64_t x = ws; x < we; x++) {
                            NE_RP_STEP(0); NE_RP_STEP(1);
                            NE_RP_STEP(2); NE_RP_STEP(3);
                        }
                        continue;
                    }
                    for (int64_t x = ws; x < we; x++) {
                        for (int j = 0; j < nr; j++) {
                            NE_RP_V v = *(const NE_RP_V*) (img + ((y + j) * W + x) * L);
                            NE_RP_I m = v > best[j]; /* all ones where taken; NaN: 0 */
                            best[j] = (NE_RP_V) (((NE_RP_I) v & m) | ((NE_RP_I) best[j] & ~m));
                            arg[j] = ((NE_I) ((y + j) * W + x) & m) | (arg[j] & ~m);
                        }
                    }
                }
                for (int j = 1; j < 4; j++) {
                    NE_RP_I m = (best[j] > best[0]) | ((best[j] == best[0]) & (arg[j] < arg[0]));
                    best[0] = (NE_RP_V) (((NE_RP_I) best[j] & m) | ((NE_RP_I) best[0] & ~m));
                    arg[0] = (arg[j] & m) | (arg[0] & ~m);
                }
                const int64_t o = ph * PW + pw;
                *(NE_RP_V*) (tv + o * L) = best[0];
                *(NE_RP_I*) (ti + o * L) = arg[0];
            }
        }
        NE_RP_TILE_OUT(cx, tv, ti, out + (k * C + c0) * P, cx->argmax + (k * C + c0) * P, P, cn);
    }
}

#undef NE_RP_STEP
#undef NE_RP_V
#undef NE_RP_I
