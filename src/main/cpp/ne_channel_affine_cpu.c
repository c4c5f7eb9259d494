/* Per-channel affine + residual + ReLU on the CPU (include/ne_channel_affine.h): tasks own whole
 * (b, c) planes; each plane runs in 64-byte blocks, each read in full before it is written, so
 * out may be x or residual; outputs over NE_STREAM_MIN_BYTES are streamed past the caches. */
#include <stddef.h>
#include <string.h>
#include "ne_channel_affine.h"
#include "ne_parallel.h"
#include "ne_layers_simd.h"
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

/* One 64-byte block loop of the plane kernel (ne_channel_affine_kernel.h), for one setting of its flags. */
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

/* The plane kernel per (dtype, variant): ne_channel_affine_kernel.h. */
#define NE_KERNEL "ne_channel_affine_kernel.h"
#define NE_T float
#define NE_I int32_t
#define NE_S f32
#include "ne_each_isa.h"
#undef NE_T
#undef NE_I
#undef NE_S
#define NE_T double
#define NE_I int64_t
#define NE_S f64
#include "ne_each_isa.h"
#undef NE_T
#undef NE_I
#undef NE_S
#undef NE_KERNEL

static void ne_ca_plane_f32(int32_t isa, const float* x, const float* r, int64_t hw, float s, float b, int32_t relu,
                           float* out, int32_t stream) {
    if (isa == NE_ISA_AVX512) ne_ca_plane_f32_avx512(x, r, hw, s, b, relu, out, stream);
    else if (isa == NE_ISA_AVX2) ne_ca_plane_f32_avx2(x, r, hw, s, b, relu, out, stream);
    else ne_ca_plane_f32_base(x, r, hw, s, b, relu, out, stream);
}

static void ne_ca_plane_f64(int32_t isa, const double* x, const double* r, int64_t hw, double s, double b, int32_t relu,
                           double* out, int32_t stream) {
    if (isa == NE_ISA_AVX512) ne_ca_plane_f64_avx512(x, r, hw, s, b, relu, out, stream);
    else if (isa == NE_ISA_AVX2) ne_ca_plane_f64_avx2(x, r, hw, s, b, relu, out, stream);
    else ne_ca_plane_f64_base(x, r, hw, s, b, relu, out, stream);
}

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
            ne_ca_plane_##SFX(cx->isa, x, r, cx->hw, s, b, cx->relu, o, cx->stream && NE_CAN_STREAM(o));     \
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
