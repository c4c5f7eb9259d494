/* Per-channel affine + residual + ReLU on the CPU (include/ne_channel_affine.h): tasks own whole
 * (b, c) planes; each plane runs in blocks of 16 elements through a local tile, so out may be x
 * or residual (every block is read in full before it is written) and the fixed-size loops
 * vectorise at any width. */
#include <stddef.h>
#include "ne_channel_affine.h"
#include "ne_layers_simd.h"
#include "ne_parallel.h"
#include "ne_status.h"

typedef struct {
    int32_t dtype, relu, isa;
    int64_t c, hw;
    const void* x;
    const void* scale;
    const void* shift;
    const void* residual;
    void* out;
} ne_ca_ctx;

#define NE_CA_PLANE(T, SFX, VAR, TARGET)                                                                    \
    TARGET static void ne_ca_plane_##SFX##_##VAR(const T* x, const T* r, int64_t hw, T s, T b, int32_t relu, \
                                                  T* out) {                                                 \
        int64_t i = 0;                                                                                      \
        for (; i + 16 <= hw; i += 16) {                                                                     \
            T t[16];                                                                                        \
            for (int k = 0; k < 16; k++) t[k] = x[i + k] * s + b;                                           \
            if (r)                                                                                          \
                for (int k = 0; k < 16; k++) t[k] = t[k] + r[i + k];                                        \
            if (relu)                                                                                       \
                for (int k = 0; k < 16; k++) t[k] = t[k] < (T) 0 ? (T) 0 : t[k];                            \
            for (int k = 0; k < 16; k++) out[i + k] = t[k];                                                 \
        }                                                                                                   \
        for (; i < hw; i++) {                                                                               \
            T t = x[i] * s + b;                                                                             \
            if (r) t = t + r[i];                                                                            \
            if (relu) t = t < (T) 0 ? (T) 0 : t;                                                            \
            out[i] = t;                                                                                     \
        }                                                                                                   \
    }

NE_FOR_EACH_ISA(NE_CA_PLANE, float, f32)
NE_FOR_EACH_ISA(NE_CA_PLANE, double, f64)

#define NE_CA_RANGE(T, SFX)                                                                                 \
    static void ne_ca_range_##SFX(const ne_ca_ctx* cx, int64_t begin, int64_t end) {                        \
        const T* sc = (const T*) cx->scale;                                                                 \
        const T* sh = (const T*) cx->shift;                                                                 \
        for (int64_t p = begin; p < end; p++) {                                                             \
            int64_t ch = p % cx->c;                                                                         \
            const T* x = (const T*) cx->x + p * cx->hw;                                                     \
            const T* r = cx->residual ? (const T*) cx->residual + p * cx->hw : NULL;                        \
            T* o = (T*) cx->out + p * cx->hw;                                                               \
            T s = sc ? sc[ch] : (T) 1, b = sh ? sh[ch] : (T) 0;                                             \
            NE_ISA_CALL(cx->isa, ne_ca_plane_##SFX, x, r, cx->hw, s, b, cx->relu, o);                       \
        }                                                                                                   \
    }

NE_CA_RANGE(float, f32)
NE_CA_RANGE(double, f64)

static int32_t ne_ca_task(void* ctx, int64_t begin, int64_t end) {
    const ne_ca_ctx* cx = (const ne_ca_ctx*) ctx;
    if (cx->dtype == 0) ne_ca_range_f32(cx, begin, end);
    else ne_ca_range_f64(cx, begin, end);
    return NE_OK;
}

int32_t ne_channel_affine_cpu(int32_t dtype, const void* x, int64_t n, int64_t c, int64_t hw, const void* scale,
                              const void* shift, const void* residual, int32_t relu, void* out, int32_t threads,
                              int32_t isa) {
    if (dtype != 0 && dtype != 1) return NE_ERR_UNSUPPORTED_DTYPE;
    if (n < 0 || c < 0 || hw < 0 || (relu != 0 && relu != 1)) return NE_ERR_INVALID_ARGUMENT;
    if (n == 0 || c == 0 || hw == 0) return NE_OK;
    if (x == NULL || out == NULL) return NE_ERR_INVALID_ARGUMENT;
    ne_ca_ctx cx = {dtype, relu, ne_isa_resolve(isa), c, hw, x, scale, shift, residual, out};
    return ne_parallel_for(n * c, ne_threads_for(n * c * hw, threads), ne_ca_task, &cx);
}

#ifndef WITH_CUDA
int32_t ne_channel_affine_cuda(int32_t dtype, const void* x, int64_t n, int64_t c, int64_t hw, const void* scale,
                               const void* shift, const void* residual, int32_t relu, void* out, void* stream) {
    (void) dtype; (void) x; (void) n; (void) c; (void) hw; (void) scale; (void) shift; (void) residual; (void) relu;
    (void) out; (void) stream;
    return NE_ERR_NOT_BUILT_WITH_CUDA;
}
#endif
