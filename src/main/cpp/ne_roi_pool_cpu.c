/* ROIPool on the CPU (docs/ops.md §3.2, torchvision's cpu/roi_pool_kernel.cpp). Forward tasks are
 * channel blocks scanned channels-last (see NE_RP_FORWARD); backward tasks own whole (b,c) planes
 * (grad_input is overwritten plane by plane) and walk the rois in index order. */
#define _POSIX_C_SOURCE 200112L
#include <float.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include "ne_roi_pool.h"
#include "ne_parallel.h"
#include "ne_status.h"
#include "ne_roi_align_transpose.h"

typedef struct {
    int32_t dtype;
    int64_t n, c, h, w, k, ph, pw;
    double scale;
    const void* in;
    const void* rois;
    const void* gout;
    const int32_t* argmax_in;
    void* out;
    int32_t* argmax;
    int32_t avx512; /* the CPU has AVX-512F: vector transposes and the AVX-512 pooling loop */
} ne_rp_ctx;

static double ne_rp_roi(const ne_rp_ctx* cx, int64_t k, int j) {
    return cx->dtype == 0 ? ((const float*) cx->rois)[k * 5 + j] : ((const double*) cx->rois)[k * 5 + j];
}

static int64_t ne_rp_clip(int64_t v, int64_t hi) {
    return v < 0 ? 0 : v > hi ? hi : v;
}

/* Forward, channels last: a task owns channel blocks of NE_RP_CB(T) channels (one 64-byte vector),
 * transposes the block of every image into an NHWC slab once, then for each roi and bin takes
 * the max over the bin's pixels as a vector max (lane = channel), with the argmax tracked per lane
 * by the same strict "v > best" test in the same row-major order as the scalar loop: identical
 * values and argmax (ties to the first pixel, NaN never selected), whichever vector width the
 * compiler uses. Results go through a [P][lanes] tile, transposed into the NCHW output rows. */
/* One pixel of chain j at row y + j, column x (see NE_RP_FORWARD). */
#define NE_RP_STEP(SFX, I, j)                                                                                \
    do {                                                                                                     \
        ne_rp_v_##SFX v = *(const ne_rp_v_##SFX*) (img + ((y + j) * W + x) * L);                             \
        ne_rp_i_##SFX m = v > best[j];                                                                       \
        best[j] = (ne_rp_v_##SFX) (((ne_rp_i_##SFX) v & m) | ((ne_rp_i_##SFX) best[j] & ~m));               \
        arg[j] = ((I) ((y + j) * W + x) & m) | (arg[j] & ~m);                                                \
    } while (0)

#define NE_RP_FORWARD(T, I, SFX, MINV, TARGET)                                                               \
    typedef T ne_rp_v_##SFX __attribute__((vector_size(64)));                                               \
    typedef I ne_rp_i_##SFX __attribute__((vector_size(64)));                                               \
    TARGET static void ne_rp_block_##SFX(const ne_rp_ctx* cx, const T* slab, int64_t c0, int64_t cn,       \
                                         T* tv, I* ti) {                                                    \
        enum { L = 64 / sizeof(T) };                                                                        \
        T* out = (T*) cx->out;                                                                              \
        const int64_t C = cx->c, H = cx->h, W = cx->w, PH = cx->ph, PW = cx->pw, P = PH * PW;               \
        for (int64_t k = 0; k < cx->k; k++) {                                                               \
            int64_t b = (int64_t) ne_rp_roi(cx, k, 0);                                                      \
            /* C round: half away from zero, in T as torchvision computes it */                            \
            int64_t xs = (int64_t) round((T) ne_rp_roi(cx, k, 1) * (T) cx->scale);                          \
            int64_t ys = (int64_t) round((T) ne_rp_roi(cx, k, 2) * (T) cx->scale);                          \
            int64_t xe = (int64_t) round((T) ne_rp_roi(cx, k, 3) * (T) cx->scale);                          \
            int64_t ye = (int64_t) round((T) ne_rp_roi(cx, k, 4) * (T) cx->scale);                          \
            int64_t rw = xe - xs + 1 > 1 ? xe - xs + 1 : 1, rh = ye - ys + 1 > 1 ? ye - ys + 1 : 1;         \
            T bh = (T) rh / (T) PH, bw = (T) rw / (T) PW;                                                   \
            const T* img = slab + b * H * W * L;                                                            \
            for (int64_t ph = 0; ph < PH; ph++) {                                                           \
                int64_t hs = ne_rp_clip((int64_t) floor((T) ph * bh) + ys, H);                              \
                int64_t he = ne_rp_clip((int64_t) ceil((T) (ph + 1) * bh) + ys, H);                         \
                for (int64_t pw = 0; pw < PW; pw++) {                                                       \
                    int64_t ws = ne_rp_clip((int64_t) floor((T) pw * bw) + xs, W);                          \
                    int64_t we = ne_rp_clip((int64_t) ceil((T) (pw + 1) * bw) + xs, W);                     \
                    int empty = he <= hs || we <= ws;                                                       \
                    /* Four chains (rows y = hs + 4i + j go to chain j) so that the compare/select  \
                     * latency of one does not stall the next pixel; merged after by the scan-order \
                     * rule: larger value, or equal value and smaller flat index (= earlier).       \
                     * best never holds NaN and, at -MAX, arg is -1, so the merge is exact. */      \
                    ne_rp_v_##SFX best[4];                                                                  \
                    ne_rp_i_##SFX arg[4];                                                                   \
                    for (int l = 0; l < L; l++) {                                                           \
                        best[0][l] = empty ? (T) 0 : -MINV;                                                 \
                        arg[0][l] = -1;                                                                     \
                    }                                                                                       \
                    best[1] = best[2] = best[3] = best[0];                                                  \
                    arg[1] = arg[2] = arg[3] = arg[0];                                                      \
                    for (int64_t y = hs; y < he; y += 4) {                                                  \
                        const int nr = he - y < 4 ? (int) (he - y) : 4;                                     \
                        if (nr == 4) { /* the common case, unrolled so the chains stay in registers */ \
                            for (int64_t x = ws; x < we; x++) {                                             \
                                NE_RP_STEP(SFX, I, 0); NE_RP_STEP(SFX, I, 1);                               \
                                NE_RP_STEP(SFX, I, 2); NE_RP_STEP(SFX, I, 3);                               \
                            }                                                                               \
                            continue;                                                                       \
                        }                                                                                   \
                        for (int64_t x = ws; x < we; x++) {                                                 \
                            for (int j = 0; j < nr; j++) {                                                  \
                                ne_rp_v_##SFX v = *(const ne_rp_v_##SFX*) (img + ((y + j) * W + x) * L);    \
                                ne_rp_i_##SFX m = v > best[j]; /* all ones where taken; NaN: 0 */           \
                                best[j] = (ne_rp_v_##SFX) (((ne_rp_i_##SFX) v & m) | ((ne_rp_i_##SFX) best[j] & ~m)); \
                                arg[j] = ((I) ((y + j) * W + x) & m) | (arg[j] & ~m);                       \
                            }                                                                               \
                        }                                                                                   \
                    }                                                                                       \
                    for (int j = 1; j < 4; j++) {                                                           \
                        ne_rp_i_##SFX m = (best[j] > best[0]) | ((best[j] == best[0]) & (arg[j] < arg[0])); \
                        best[0] = (ne_rp_v_##SFX) (((ne_rp_i_##SFX) best[j] & m) | ((ne_rp_i_##SFX) best[0] & ~m)); \
                        arg[0] = (arg[j] & m) | (arg[0] & ~m);                                              \
                    }                                                                                       \
                    const int64_t o = ph * PW + pw;                                                         \
                    *(ne_rp_v_##SFX*) (tv + o * L) = best[0];                                               \
                    *(ne_rp_i_##SFX*) (ti + o * L) = arg[0];                                                   \
                }                                                                                           \
            }                                                                                               \
            ne_rp_tile_out_##SFX(cx, tv, ti, out + (k * C + c0) * P, cx->argmax + (k * C + c0) * P, P, cn);  \
        }                                                                                                   \
    }

/* Tile [P][lanes] -> the roi's cn NCHW rows of P, for the values and the argmax. */
static void ne_rp_tile_out_f32(const ne_rp_ctx* cx, const float* tv, const int32_t* ti, float* o, int32_t* a,
                               int64_t P, int64_t cn) {
    ne_tr_f32(tv, 16, o, P, P, cn, cx->avx512);
    ne_tr_i32(ti, 16, a, P, P, cn, cx->avx512);
}

static void ne_rp_tile_out_f64(const ne_rp_ctx* cx, const double* tv, const int64_t* ti, double* o, int32_t* a,
                               int64_t P, int64_t cn) {
    (void) cx;
    ne_tr_f64(tv, 8, o, P, P, cn);
    for (int64_t ci = 0; ci < cn; ci++)
        for (int64_t p = 0; p < P; p++) a[ci * P + p] = (int32_t) ti[p * 8 + ci];
}

#define ne_rp_tile_out_f32_avx512 ne_rp_tile_out_f32
NE_RP_FORWARD(float, int32_t, f32, FLT_MAX, )
NE_RP_FORWARD(float, int32_t, f32_avx512, FLT_MAX, __attribute__((target("avx512f"))))
NE_RP_FORWARD(double, int64_t, f64, DBL_MAX, )

/* Backward, per task a range of (b,c) planes, taken 16 planes at a time (2.5 MB for a 200x200
 * map: the scatter stays in cache) with all rois in index order for each group: every element
 * receives its terms in the same order as a plain k-major loop, whatever the partition. */
#define NE_RP_BACKWARD(T, SFX)                                                                              \
    static void ne_rp_backward_##SFX(const ne_rp_ctx* cx, int64_t p0, int64_t p1) {                        \
        const T* g = (const T*) cx->gout;                                                                   \
        T* gin = (T*) cx->out;                                                                              \
        const int64_t C = cx->c, P = cx->ph * cx->pw, HW = cx->h * cx->w;                                   \
        for (int64_t g0 = p0; g0 < p1; g0 += 16) {                                                          \
            int64_t g1 = g0 + 16 < p1 ? g0 + 16 : p1;                                                       \
            memset(gin + g0 * HW, 0, sizeof(T) * (size_t) ((g1 - g0) * HW));                               \
            for (int64_t k = 0; k < cx->k; k++) {                                                           \
                int64_t b = (int64_t) ne_rp_roi(cx, k, 0);                                                  \
                int64_t ca = g0 - b * C > 0 ? g0 - b * C : 0, cb = g1 - b * C < C ? g1 - b * C : C;         \
                for (int64_t c = ca; c < cb; c++) {                                                         \
                    const int64_t plane = b * C + c, o = (k * C + c) * P;                                   \
                    for (int64_t i = 0; i < P; i++) {                                                       \
                        int32_t a = cx->argmax_in[o + i];                                                   \
                        if (a >= 0 && a < HW) gin[plane * HW + a] += g[o + i];                              \
                    }                                                                                       \
                }                                                                                           \
            }                                                                                               \
        }                                                                                                   \
    }

NE_RP_BACKWARD(float, f32)
NE_RP_BACKWARD(double, f64)

static void* ne_rp_alloc(size_t bytes) {
    void* p = NULL;
    return posix_memalign(&p, 64, bytes ? bytes : 64) == 0 ? p : NULL;
}

/* Forward task over channel blocks [begin, end): transpose the block into the slab, pool it. */
static int32_t ne_rp_forward_task(void* ctx, int64_t begin, int64_t end) {
    ne_rp_ctx* cx = (ne_rp_ctx*) ctx;
    const int64_t hw = cx->h * cx->w, L = cx->dtype == 0 ? 16 : 8, P = cx->ph * cx->pw;
    const size_t es = cx->dtype == 0 ? 4 : 8;
    char* slab = (char*) ne_rp_alloc(es * (size_t) (cx->n * hw * L));
    void* tv = ne_rp_alloc(es * (size_t) (P * L));
    void* ti = ne_rp_alloc(es * (size_t) (P * L));
    int32_t st = slab && tv && ti ? NE_OK : NE_ERR_OUT_OF_MEMORY;
    for (int64_t blk = begin; blk < end && st == NE_OK; blk++) {
        int64_t c0 = blk * L, cn = cx->c - c0 < L ? cx->c - c0 : L;
        if (cn < L) memset(slab, 0, es * (size_t) (cx->n * hw * L));
        for (int64_t n = 0; n < cx->n; n++) {
            if (cx->dtype == 0)
                ne_tr_f32((const float*) cx->in + (n * cx->c + c0) * hw, hw, (float*) slab + n * hw * L, L, cn, hw,
                          cx->avx512);
            else
                ne_tr_f64((const double*) cx->in + (n * cx->c + c0) * hw, hw, (double*) slab + n * hw * L, L, cn, hw);
        }
        if (cx->dtype != 0) ne_rp_block_f64(cx, (const double*) slab, c0, cn, (double*) tv, (int64_t*) ti);
        else if (cx->avx512) ne_rp_block_f32_avx512(cx, (const float*) slab, c0, cn, (float*) tv, (int32_t*) ti);
        else ne_rp_block_f32(cx, (const float*) slab, c0, cn, (float*) tv, (int32_t*) ti);
    }
    free(slab);
    free(tv);
    free(ti);
    return st;
}

static int32_t ne_rp_backward_task(void* ctx, int64_t begin, int64_t end) {
    ne_rp_ctx* cx = (ne_rp_ctx*) ctx;
    if (cx->dtype == 0) ne_rp_backward_f32(cx, begin, end);
    else ne_rp_backward_f64(cx, begin, end);
    return NE_OK;
}

static int32_t ne_rp_check(ne_rp_ctx* cx) {
    for (int64_t k = 0; k < cx->k; k++) {
        double b = ne_rp_roi(cx, k, 0);
        if (!(b >= 0 && b < (double) cx->n)) return NE_ERR_INDEX_OUT_OF_RANGE;
    }
    return NE_OK;
}

int32_t ne_roi_pool_forward_cpu(int32_t dtype, const void* input, int64_t n, int64_t c, int64_t h, int64_t w,
                                const void* rois, int64_t k, int64_t ph, int64_t pw, double spatial_scale,
                                void* output, int32_t* argmax, int32_t threads, int32_t isa) {
    if (dtype != 0 && dtype != 1) return NE_ERR_UNSUPPORTED_DTYPE;
    if (n < 0 || c < 0 || h < 0 || w < 0 || k < 0 || ph <= 0 || pw <= 0 || !(spatial_scale > 0)) return NE_ERR_INVALID_ARGUMENT;
    if (k == 0 || c == 0) return NE_OK;
    if (rois == NULL || output == NULL || argmax == NULL || (input == NULL && h * w > 0)) return NE_ERR_INVALID_ARGUMENT;
    ne_rp_ctx cx = {dtype, n, c, h, w, k, ph, pw, spatial_scale, input, rois, NULL, NULL, output, argmax,
                    ne_isa_resolve(isa) == NE_ISA_AVX512};
    int32_t st = ne_rp_check(&cx);
    if (st != NE_OK) return st;
    if (h == 0 || w == 0) { /* every bin is empty */
        memset(output, 0, (size_t) (k * c * ph * pw) * (dtype == 0 ? 4 : 8));
        for (int64_t i = 0; i < k * c * ph * pw; i++) argmax[i] = -1;
        return NE_OK;
    }
    return ne_parallel_for((c + (dtype == 0 ? 15 : 7)) / (dtype == 0 ? 16 : 8), threads, ne_rp_forward_task, &cx);
}

int32_t ne_roi_pool_backward_cpu(int32_t dtype, const void* grad_output, const int32_t* argmax, const void* rois,
                                 int64_t k, int64_t n, int64_t c, int64_t h, int64_t w, int64_t ph, int64_t pw,
                                 void* grad_input, int32_t threads, int32_t isa) {
    (void) isa; /* the scatter has one variant: plain scalar adds in a fixed order */
    if (dtype != 0 && dtype != 1) return NE_ERR_UNSUPPORTED_DTYPE;
    if (n < 0 || c < 0 || h < 0 || w < 0 || k < 0 || ph <= 0 || pw <= 0) return NE_ERR_INVALID_ARGUMENT;
    if (n * c * h * w == 0) return NE_OK;
    if (grad_input == NULL) return NE_ERR_INVALID_ARGUMENT;
    if (k == 0) {
        memset(grad_input, 0, (size_t) (n * c * h * w) * (dtype == 0 ? 4 : 8));
        return NE_OK;
    }
    if (rois == NULL || grad_output == NULL || argmax == NULL) return NE_ERR_INVALID_ARGUMENT;
    ne_rp_ctx cx = {dtype, n, c, h, w, k, ph, pw, 1.0, NULL, rois, grad_output, argmax, grad_input, NULL, 0};
    int32_t st = ne_rp_check(&cx);
    if (st != NE_OK) return st;
    return ne_parallel_for(n * c, threads, ne_rp_backward_task, &cx);
}

#ifndef WITH_CUDA
int32_t ne_roi_pool_forward_cuda(int32_t dtype, const void* input, int64_t n, int64_t c, int64_t h, int64_t w,
                                 const void* rois, int64_t k, int64_t ph, int64_t pw, double spatial_scale,
                                 void* output, int32_t* argmax, void* stream) {
    (void) dtype; (void) input; (void) n; (void) c; (void) h; (void) w; (void) rois; (void) k; (void) ph;
    (void) pw; (void) spatial_scale; (void) output; (void) argmax; (void) stream;
    return NE_ERR_NOT_BUILT_WITH_CUDA;
}

int32_t ne_roi_pool_backward_cuda(int32_t dtype, const void* grad_output, const int32_t* argmax, const void* rois,
                                  int64_t k, int64_t n, int64_t c, int64_t h, int64_t w, int64_t ph, int64_t pw,
                                  void* grad_input, void* stream) {
    (void) dtype; (void) grad_output; (void) argmax; (void) rois; (void) k; (void) n; (void) c; (void) h; (void) w;
    (void) ph; (void) pw; (void) grad_input; (void) stream;
    return NE_ERR_NOT_BUILT_WITH_CUDA;
}
#endif
