/* Per-channel affine + residual + ReLU on the CPU (include/ne_channel_affine.h): tasks own whole
 * (b, c) planes; each plane runs in 64-byte blocks, each read in full before it is written, so
 * out may be x or residual; outputs over NE_STREAM_MIN_BYTES are streamed past the caches. */
#include <stddef.h>
#include <string.h>
#include "ne_channel_affine.h"
#include "ne_layers_simd.h"
#include "ne_parallel.h"
#include "ne_status.h"

typedef struct {
    int32_t dtype, relu, isa, stream;
    int64_t c, hw;
    const void* x;
    const void* scale;
    const void* shift;
    const void* residual;
    void* out;
} ne_ca_ctx;

/* One plane: 64-byte vectors (GCC vector types, so every isa computes the same lanes), loaded
 * whole before the store of the same block (so out may be x or r), the flags hoisted out of the
 * loop (four specialised loops), a scalar tail with the same operations. ReLU keeps NaN and -0:
 * lanes where t < 0 are cleared. */
#define NE_CA_LOOP(T, V, I, HAS_R, RELU)                                                                    \
    for (; i + L <= hw; i += L) {                                                                           \
        V t, v;                                                                                             \
        memcpy(&v, x + i, sizeof v);                                                                        \
        t = v * sv + bv;                                                                                    \
        if (HAS_R) {                                                                                        \
            memcpy(&v, r + i, sizeof v);                                                                    \
            t = t + v;                                                                                      \
        }                                                                                                   \
        if (RELU) t = (V) ((I) t & ~(t < zero));                                                            \
        NE_STORE64(out + i, t, stream);                                                                     \
    }

#define NE_CA_PLANE(T, SFX, VAR, TARGET)                                                                    \
    TARGET static void ne_ca_plane_##SFX##_##VAR(const T* x, const T* r, int64_t hw, T s, T b, int32_t relu, \
                                                  T* out, int32_t stream) {                                 \
        typedef T V __attribute__((vector_size(64)));                                                       \
        typedef NE_CA_INT_##SFX I __attribute__((vector_size(64)));                                         \
        enum { L = 64 / sizeof(T) };                                                                        \
        const V sv = (V) {0} + s, bv = (V) {0} + b, zero = {0};                                             \
        int64_t i = 0;                                                                                      \
        if (r && relu) NE_CA_LOOP(T, V, I, 1, 1)                                                            \
        else if (r) NE_CA_LOOP(T, V, I, 1, 0)                                                               \
        else if (relu) NE_CA_LOOP(T, V, I, 0, 1)                                                            \
        else NE_CA_LOOP(T, V, I, 0, 0)                                                                      \
        for (; i < hw; i++) {                                                                               \
            T t = x[i] * s + b;                                                                             \
            if (r) t = t + r[i];                                                                            \
            if (relu) t = t < (T) 0 ? (T) 0 : t;                                                            \
            out[i] = t;                                                                                     \
        }                                                                                                   \
    }
#define NE_CA_INT_f32 int32_t
#define NE_CA_INT_f64 int64_t

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
            NE_ISA_CALL(cx->isa, ne_ca_plane_##SFX, x, r, cx->hw, s, b, cx->relu, o,                         \
                        cx->stream && NE_CAN_STREAM(o));                                                    \
        }                                                                                                   \
    }

NE_CA_RANGE(float, f32)
NE_CA_RANGE(double, f64)

static int32_t ne_ca_task(void* ctx, int64_t begin, int64_t end) {
    const ne_ca_ctx* cx = (const ne_ca_ctx*) ctx;
    if (cx->dtype == 0) ne_ca_range_f32(cx, begin, end);
    else ne_ca_range_f64(cx, begin, end);
    if (cx->stream) ne_stream_fence();
    return NE_OK;
}

int32_t ne_channel_affine_cpu(int32_t dtype, const void* x, int64_t n, int64_t c, int64_t hw, const void* scale,
                              const void* shift, const void* residual, int32_t relu, void* out, int32_t threads,
                              int32_t isa) {
    if (dtype != 0 && dtype != 1) return NE_ERR_UNSUPPORTED_DTYPE;
    if (n < 0 || c < 0 || hw < 0 || (relu != 0 && relu != 1)) return NE_ERR_INVALID_ARGUMENT;
    if (n == 0 || c == 0 || hw == 0) return NE_OK;
    if (x == NULL || out == NULL) return NE_ERR_INVALID_ARGUMENT;
    const int32_t stream = n * c * hw * (dtype == 0 ? 4 : 8) >= NE_STREAM_MIN_BYTES;
    ne_ca_ctx cx = {dtype, relu, ne_isa_resolve(isa), stream, c, hw, x, scale, shift, residual, out};
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
