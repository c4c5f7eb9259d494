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

/* The forward kernel per (dtype, SIMD variant): ne_roi_pool_kernel.h. float32 has a baseline and
 * an AVX-512 variant, float64 the baseline alone (AVX2 runs the baseline). */
#define NE_T float
#define NE_I int32_t
#define NE_MINV FLT_MAX
#define NE_RP_TILE_OUT ne_rp_tile_out_f32
#define NE_SFX f32_base
#define NE_TARGET
#include "ne_roi_pool_kernel.h"
#undef NE_SFX
#undef NE_TARGET
#define NE_SFX f32_avx512
#define NE_TARGET NE_TARGET_AVX512
#include "ne_roi_pool_kernel.h"
#undef NE_SFX
#undef NE_TARGET
#undef NE_T
#undef NE_I
#undef NE_MINV
#undef NE_RP_TILE_OUT
#define NE_T double
#define NE_I int64_t
#define NE_MINV DBL_MAX
#define NE_RP_TILE_OUT ne_rp_tile_out_f64
#define NE_SFX f64_base
#define NE_TARGET
#include "ne_roi_pool_kernel.h"
#undef NE_SFX
#undef NE_TARGET
#undef NE_T
#undef NE_I
#undef NE_MINV
#undef NE_RP_TILE_OUT

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
        if (cx->dtype != 0) ne_rp_block_f64_base(cx, (const double*) slab, c0, cn, (double*) tv, (int64_t*) ti);
        else if (cx->avx512) ne_rp_block_f32_avx512(cx, (const float*) slab, c0, cn, (float*) tv, (int32_t*) ti);
        else ne_rp_block_f32_base(cx, (const float*) slab, c0, cn, (float*) tv, (int32_t*) ti);
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
