/* 2-D max pooling and global average pooling on the CPU (include/ne_max_pool2d.h). Max
 * pooling: tasks own whole (b, c) planes. For
 * each output row the valid window rows are first reduced column by column into a row buffer
 * (a vertical max over contiguous memory, which vectorises), then the output row takes, one
 * kernel column at a time, the max with the buffer at its columns (a strided loop over the
 * outputs whose column is inside the input: no bounds test inside the loop). The max propagates NaN (PyTorch: v > m || isnan(v));
 * -0 and +0 compare equal and either may be kept. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include "ne_max_pool2d.h"
#include "ne_parallel.h"
#include "ne_layers_simd.h"
#include "ne_status.h"

typedef struct {
    int32_t dtype, isa;
    int64_t h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
    const void* x;
    void* out;
} ne_mp_ctx;

#define NE_MP_MAX(v, m) (((v) > (m) || (v) != (v)) ? (v) : (m))

/* The row kernels per (dtype, variant): ne_max_pool2d_kernel.h. */
#define NE_KERNEL "ne_max_pool2d_kernel.h"
#define NE_T float
#define NE_S f32
#include "ne_each_isa.h"
#undef NE_T
#undef NE_S
#define NE_T double
#define NE_S f64
#include "ne_each_isa.h"
#undef NE_T
#undef NE_S
#undef NE_KERNEL

static void ne_mp_vmax_f32(int32_t isa, float* buf, const float* row, int64_t w) {
    if (isa == NE_ISA_AVX512) ne_mp_vmax_f32_avx512(buf, row, w);
    else if (isa == NE_ISA_AVX2) ne_mp_vmax_f32_avx2(buf, row, w);
    else ne_mp_vmax_f32_base(buf, row, w);
}

static void ne_mp_hmax_f32(int32_t isa, float* o, const float* buf, int64_t lo, int64_t hi, int64_t sw, int64_t off) {
    if (isa == NE_ISA_AVX512) ne_mp_hmax_f32_avx512(o, buf, lo, hi, sw, off);
    else if (isa == NE_ISA_AVX2) ne_mp_hmax_f32_avx2(o, buf, lo, hi, sw, off);
    else ne_mp_hmax_f32_base(o, buf, lo, hi, sw, off);
}

static void ne_mp_vmax_f64(int32_t isa, double* buf, const double* row, int64_t w) {
    if (isa == NE_ISA_AVX512) ne_mp_vmax_f64_avx512(buf, row, w);
    else if (isa == NE_ISA_AVX2) ne_mp_vmax_f64_avx2(buf, row, w);
    else ne_mp_vmax_f64_base(buf, row, w);
}

static void ne_mp_hmax_f64(int32_t isa, double* o, const double* buf, int64_t lo, int64_t hi, int64_t sw, int64_t off) {
    if (isa == NE_ISA_AVX512) ne_mp_hmax_f64_avx512(o, buf, lo, hi, sw, off);
    else if (isa == NE_ISA_AVX2) ne_mp_hmax_f64_avx2(o, buf, lo, hi, sw, off);
    else ne_mp_hmax_f64_base(o, buf, lo, hi, sw, off);
}

static int64_t ne_mp_ceil_div(int64_t a, int64_t b) { /* b > 0 */
    return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

#define NE_MP_PLANES(T, SFX)                                                                                \
    static void ne_mp_planes_##SFX(const ne_mp_ctx* cx, T* buf, int64_t begin, int64_t end) {               \
        const int64_t H = cx->h, W = cx->w, OW = cx->ow;                                                    \
        for (int64_t p = begin; p < end; p++) {                                                             \
            const T* in = (const T*) cx->x + p * H * W;                                                     \
            T* out = (T*) cx->out + p * cx->oh * OW;                                                        \
            for (int64_t oy = 0; oy < cx->oh; oy++) {                                                       \
                for (int64_t i = 0; i < W; i++) buf[i] = (T) -INFINITY;                                     \
                for (int64_t i = 0; i < cx->kh; i++) {                                                      \
                    int64_t y = oy * cx->sh - cx->ph + i * cx->dh;                                          \
                    if (y >= 0 && y < H) ne_mp_vmax_##SFX(cx->isa, buf, in + y * W, W);                \
                }                                                                                           \
                T* o = out + oy * OW;                                                                       \
                for (int64_t ox = 0; ox < OW; ox++) o[ox] = (T) -INFINITY;                                  \
                for (int64_t j = 0; j < cx->kw; j++) {                                                      \
                    /* column x = ox * sw + off is inside [0, W) for ox in [lo, hi) */                       \
                    const int64_t off = j * cx->dw - cx->pw;                                                \
                    int64_t lo = ne_mp_ceil_div(-off, cx->sw), hi = ne_mp_ceil_div(W - off, cx->sw);        \
                    if (lo < 0) lo = 0;                                                                     \
                    if (hi > OW) hi = OW;                                                                   \
                    if (lo < hi) ne_mp_hmax_##SFX(cx->isa, o, buf, lo, hi, cx->sw, off);                    \
                }                                                                                           \
            }                                                                                               \
        }                                                                                                   \
    }
NE_MP_PLANES(float, f32)
NE_MP_PLANES(double, f64)

static int32_t ne_mp_task(void* ctx, int64_t begin, int64_t end) {
    const ne_mp_ctx* cx = (const ne_mp_ctx*) ctx;
    void* buf = malloc((size_t) cx->w * (cx->dtype == 0 ? 4 : 8));
    if (buf == NULL) return NE_ERR_OUT_OF_MEMORY;
    if (cx->dtype == 0) ne_mp_planes_f32(cx, (float*) buf, begin, end);
    else ne_mp_planes_f64(cx, (double*) buf, begin, end);
    free(buf);
    return NE_OK;
}

int32_t ne_max_pool2d_cpu(int32_t dtype, const void* x, int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh,
                          int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw,
                          int64_t oh, int64_t ow, void* out, int32_t threads, int32_t isa) {
    if (dtype != 0 && dtype != 1) return NE_ERR_UNSUPPORTED_DTYPE;
    if (n < 0 || c < 0 || h < 1 || w < 1 || kh < 1 || kw < 1 || sh < 1 || sw < 1 || ph < 0 || pw < 0 || dh < 1 || dw < 1
        || oh < 0 || ow < 0)
        return NE_ERR_INVALID_ARGUMENT;
    if (n == 0 || c == 0 || oh == 0 || ow == 0) return NE_OK;
    if (x == NULL || out == NULL) return NE_ERR_INVALID_ARGUMENT;
    ne_mp_ctx cx = {dtype, ne_isa_resolve(isa), h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, x, out};
    return ne_parallel_for(n * c, ne_threads_for(n * c * (h * w + oh * ow * kh * kw), threads), ne_mp_task, &cx);
}

/* ---- Global average pooling: eight planes at a time, each its own sum in index order (eight
 * independent chains: one plane alone waits on every addition's latency). ---- */
typedef struct {
    int32_t dtype;
    int64_t hw;
    const void* x;
    void* out;
} ne_gap_ctx;

#define NE_GAP_PLANES(T, SFX)                                                                              \
    static void ne_gap_planes_##SFX(const T* x, int64_t hw, T* out, int64_t begin, int64_t end) {           \
        const T n = (T) hw;                                                                                 \
        int64_t p = begin;                                                                                  \
        for (; p + 8 <= end; p += 8) {                                                                      \
            const T* b = x + p * hw;                                                                        \
            T s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;                               \
            for (int64_t j = 0; j < hw; j++) {                                                              \
                s0 += b[j];                                                                                 \
                s1 += b[hw + j];                                                                            \
                s2 += b[2 * hw + j];                                                                        \
                s3 += b[3 * hw + j];                                                                        \
                s4 += b[4 * hw + j];                                                                        \
                s5 += b[5 * hw + j];                                                                        \
                s6 += b[6 * hw + j];                                                                        \
                s7 += b[7 * hw + j];                                                                        \
            }                                                                                               \
            out[p] = s0 / n, out[p + 1] = s1 / n, out[p + 2] = s2 / n, out[p + 3] = s3 / n;                 \
            out[p + 4] = s4 / n, out[p + 5] = s5 / n, out[p + 6] = s6 / n, out[p + 7] = s7 / n;             \
        }                                                                                                   \
        for (; p < end; p++) {                                                                              \
            T s = 0;                                                                                        \
            for (int64_t j = 0; j < hw; j++) s += x[p * hw + j];                                            \
            out[p] = s / n;                                                                                 \
        }                                                                                                   \
    }
NE_GAP_PLANES(float, f32)
NE_GAP_PLANES(double, f64)

static int32_t ne_gap_task(void* ctx, int64_t begin, int64_t end) {
    const ne_gap_ctx* cx = (const ne_gap_ctx*) ctx;
    if (cx->dtype == 0) ne_gap_planes_f32((const float*) cx->x, cx->hw, (float*) cx->out, begin, end);
    else ne_gap_planes_f64((const double*) cx->x, cx->hw, (double*) cx->out, begin, end);
    return NE_OK;
}

int32_t ne_global_avg_pool2d_cpu(int32_t dtype, const void* x, int64_t planes, int64_t hw, void* out, int32_t threads) {
    if (dtype != 0 && dtype != 1) return NE_ERR_UNSUPPORTED_DTYPE;
    if (planes < 0 || hw < 1) return NE_ERR_INVALID_ARGUMENT;
    if (planes == 0) return NE_OK;
    if (x == NULL || out == NULL) return NE_ERR_INVALID_ARGUMENT;
    ne_gap_ctx cx = {dtype, hw, x, out};
    /* ResNet-50's 2048 x 7 x 7 is ~20 us on one thread: a second thread would cost its wake-up
     * (this library's workers sleep between calls) for nothing; large inputs are split */
    return ne_parallel_for(planes, ne_threads_for(planes * hw / 8, threads), ne_gap_task, &cx);
}

#ifndef WITH_CUDA
int32_t ne_global_avg_pool2d_cuda(int32_t dtype, const void* x, int64_t planes, int64_t hw, void* out, void* stream) {
    (void) dtype; (void) x; (void) planes; (void) hw; (void) out; (void) stream;
    return NE_ERR_NOT_BUILT_WITH_CUDA;
}

int32_t ne_max_pool2d_cuda(int32_t dtype, const void* x, int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh,
                           int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw,
                           int64_t oh, int64_t ow, void* out, void* stream) {
    (void) dtype; (void) x; (void) n; (void) c; (void) h; (void) w; (void) kh; (void) kw; (void) sh; (void) sw;
    (void) ph; (void) pw; (void) dh; (void) dw; (void) oh; (void) ow; (void) out; (void) stream;
    return NE_ERR_NOT_BUILT_WITH_CUDA;
}
#endif
