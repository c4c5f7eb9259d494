/* ROIPool on the CPU (ops.md §3.2, torchvision's cpu/roi_pool_kernel.cpp): per roi and bin the
 * bounds are computed once, then every channel scans its bin. Forward tasks are roi ranges
 * (disjoint outputs); backward tasks own whole (b,c) planes and walk the rois in index order. */
#include <float.h>
#include <math.h>
#include <string.h>
#include "ne_roi_pool.h"
#include "ne_parallel.h"
#include "ne_status.h"

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
} ne_rp_ctx;

static double ne_rp_roi(const ne_rp_ctx* cx, int64_t k, int j) {
    return cx->dtype == 0 ? ((const float*) cx->rois)[k * 5 + j] : ((const double*) cx->rois)[k * 5 + j];
}

static int64_t ne_rp_clip(int64_t v, int64_t hi) {
    return v < 0 ? 0 : v > hi ? hi : v;
}

#define NE_RP_FORWARD(T, SFX, MINV)                                                                          \
    static void ne_rp_forward_##SFX(const ne_rp_ctx* cx, int64_t k0, int64_t k1) {                           \
        const T* in = (const T*) cx->in;                                                                      \
        T* out = (T*) cx->out;                                                                                \
        const int64_t C = cx->c, H = cx->h, W = cx->w, PH = cx->ph, PW = cx->pw;                              \
        for (int64_t k = k0; k < k1; k++) {                                                                   \
            int64_t b = (int64_t) ne_rp_roi(cx, k, 0);                                                        \
            /* C round: half away from zero, in T as torchvision computes it */                              \
            int64_t xs = (int64_t) round((T) ne_rp_roi(cx, k, 1) * (T) cx->scale);                            \
            int64_t ys = (int64_t) round((T) ne_rp_roi(cx, k, 2) * (T) cx->scale);                            \
            int64_t xe = (int64_t) round((T) ne_rp_roi(cx, k, 3) * (T) cx->scale);                            \
            int64_t ye = (int64_t) round((T) ne_rp_roi(cx, k, 4) * (T) cx->scale);                            \
            int64_t rw = xe - xs + 1 > 1 ? xe - xs + 1 : 1, rh = ye - ys + 1 > 1 ? ye - ys + 1 : 1;           \
            T bh = (T) rh / (T) PH, bw = (T) rw / (T) PW;                                                     \
            for (int64_t ph = 0; ph < PH; ph++) {                                                             \
                int64_t hs = ne_rp_clip((int64_t) floor((T) ph * bh) + ys, H);                                \
                int64_t he = ne_rp_clip((int64_t) ceil((T) (ph + 1) * bh) + ys, H);                           \
                for (int64_t pw = 0; pw < PW; pw++) {                                                         \
                    int64_t ws = ne_rp_clip((int64_t) floor((T) pw * bw) + xs, W);                            \
                    int64_t we = ne_rp_clip((int64_t) ceil((T) (pw + 1) * bw) + xs, W);                       \
                    int empty = he <= hs || we <= ws;                                                         \
                    for (int64_t c = 0; c < C; c++) {                                                         \
                        const T* plane = in + (b * C + c) * H * W;                                            \
                        T best = empty ? (T) 0 : -MINV;                                                       \
                        int32_t arg = -1;                                                                     \
                        for (int64_t y = hs; y < he; y++)                                                     \
                            for (int64_t x = ws; x < we; x++)                                                 \
                                if (plane[y * W + x] > best) {                                                \
                                    best = plane[y * W + x];                                                  \
                                    arg = (int32_t) (y * W + x);                                              \
                                }                                                                             \
                        int64_t o = ((k * C + c) * PH + ph) * PW + pw;                                        \
                        out[o] = best;                                                                        \
                        cx->argmax[o] = arg;                                                                  \
                    }                                                                                         \
                }                                                                                             \
            }                                                                                                 \
        }                                                                                                     \
    }                                                                                                         \
    static void ne_rp_backward_##SFX(const ne_rp_ctx* cx, int64_t p0, int64_t p1) {                          \
        const T* g = (const T*) cx->gout;                                                                     \
        T* gin = (T*) cx->out;                                                                                \
        const int64_t C = cx->c, P = cx->ph * cx->pw, HW = cx->h * cx->w;                                     \
        for (int64_t k = 0; k < cx->k; k++) {                                                                 \
            int64_t b = (int64_t) ne_rp_roi(cx, k, 0);                                                        \
            for (int64_t c = 0; c < C; c++) {                                                                 \
                int64_t plane = b * C + c;                                                                    \
                if (plane < p0 || plane >= p1) continue;                                                      \
                const int64_t o = (k * C + c) * P;                                                            \
                for (int64_t i = 0; i < P; i++) {                                                             \
                    int32_t a = cx->argmax_in[o + i];                                                         \
                    if (a >= 0 && a < HW) gin[plane * HW + a] += g[o + i];                                    \
                }                                                                                             \
            }                                                                                                 \
        }                                                                                                     \
    }

NE_RP_FORWARD(float, f32, FLT_MAX)
NE_RP_FORWARD(double, f64, DBL_MAX)

static int32_t ne_rp_forward_task(void* ctx, int64_t begin, int64_t end) {
    ne_rp_ctx* cx = (ne_rp_ctx*) ctx;
    if (cx->dtype == 0) ne_rp_forward_f32(cx, begin, end);
    else ne_rp_forward_f64(cx, begin, end);
    return NE_OK;
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
                                void* output, int32_t* argmax, int32_t threads) {
    if (dtype != 0 && dtype != 1) return NE_ERR_UNSUPPORTED_DTYPE;
    if (n < 0 || c < 0 || h < 0 || w < 0 || k < 0 || ph <= 0 || pw <= 0 || !(spatial_scale > 0)) return NE_ERR_INVALID_ARGUMENT;
    if (k == 0 || c == 0) return NE_OK;
    if (rois == NULL || output == NULL || argmax == NULL || (input == NULL && h * w > 0)) return NE_ERR_INVALID_ARGUMENT;
    ne_rp_ctx cx = {dtype, n, c, h, w, k, ph, pw, spatial_scale, input, rois, NULL, NULL, output, argmax};
    int32_t st = ne_rp_check(&cx);
    if (st != NE_OK) return st;
    return ne_parallel_for(k, threads, ne_rp_forward_task, &cx);
}

int32_t ne_roi_pool_backward_cpu(int32_t dtype, const void* grad_output, const int32_t* argmax, const void* rois,
                                 int64_t k, int64_t n, int64_t c, int64_t h, int64_t w, int64_t ph, int64_t pw,
                                 void* grad_input, int32_t threads) {
    if (dtype != 0 && dtype != 1) return NE_ERR_UNSUPPORTED_DTYPE;
    if (n < 0 || c < 0 || h < 0 || w < 0 || k < 0 || ph <= 0 || pw <= 0) return NE_ERR_INVALID_ARGUMENT;
    if (n * c * h * w == 0) return NE_OK;
    if (grad_input == NULL) return NE_ERR_INVALID_ARGUMENT;
    memset(grad_input, 0, (size_t) (n * c * h * w) * (dtype == 0 ? 4 : 8));
    if (k == 0) return NE_OK;
    if (rois == NULL || grad_output == NULL || argmax == NULL) return NE_ERR_INVALID_ARGUMENT;
    ne_rp_ctx cx = {dtype, n, c, h, w, k, ph, pw, 1.0, NULL, rois, grad_output, argmax, grad_input, NULL};
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
