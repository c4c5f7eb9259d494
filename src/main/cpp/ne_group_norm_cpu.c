/* GroupNorm forward on the CPU (include/ne_group_norm.h), in two passes over memory:
 *
 * 1. Statistics. Each (b, group) is one contiguous run of c/groups * hw elements, cut into
 *    chunks of NE_GN_CHUNK elements (fixed, whatever the thread count); a task sums d = x - K and
 *    d*d in float64 over its chunks, K the group's first element (the shifted-data algorithm: a
 *    mean far from 0 does not cancel the variance), in 16 lanes fixed by the source (explicit
 *    vector types), combined in a fixed order. The chunks of all groups are spread over the threads, so even one group
 *    uses every core.
 * 2. Normalisation. Per channel, m = mean and a = weight * rstd (float64, then rounded), and
 *    out = relu?((x - m) * a + bias) in the tensor's dtype: x - m is exact for x near the mean,
 *    and a constant plane gives exactly the bias (PyTorch's x * a + (bias - mean * a) does not);
 *    tasks own whole (b, c) planes, in 64-byte blocks (out may be x), streamed past the caches
 *    (non-temporal stores) when the output is large.
 * Bit-identical for any thread count and isa. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif
#include "ne_group_norm.h"
#include "ne_parallel.h"
#include "ne_layers_simd.h"
#include "ne_status.h"

#define NE_GN_CHUNK 32768

typedef struct {
    int32_t dtype, relu, isa, stream;
    int64_t c, hw, groups, glen, chunks; /* glen: elements per group; chunks: per group */
    const void* x;
    void* out;
    double* part; /* [n*groups*chunks][2]: sum and sum of squares of x - K per chunk */
    double* ab;   /* [n*c][3]: m, a and bias per plane */
} ne_gn_ctx;

/* The statistics kernel (ne_group_norm_kernel.h) sums in 16 lanes, two vectors of 8 doubles;
 * GCC's vector types fix the lanes in the source, so every isa computes the same sums.
 * NE_GN_LOAD_<dtype>_<variant>(p) accumulates the 16 elements at p. */
typedef double ne_gn_v8d __attribute__((vector_size(64)));
typedef float ne_gn_v8f __attribute__((vector_size(32)));

#define NE_GN_ACC(a, b)                                                                                     \
    do {                                                                                                    \
        ne_gn_v8d d0 = (a) - kv, d1 = (b) - kv;                                                             \
        s0 += d0;                                                                                           \
        s1 += d1;                                                                                           \
        q0 += d0 * d0;                                                                                      \
        q1 += d1 * d1;                                                                                      \
    } while (0)

#define NE_GN_LOAD_f32_base(p)                                                                              \
    do {                                                                                                    \
        ne_gn_v8f a, b;                                                                                     \
        memcpy(&a, (p), sizeof a);                                                                          \
        memcpy(&b, (p) + 8, sizeof b);                                                                      \
        NE_GN_ACC(__builtin_convertvector(a, ne_gn_v8d), __builtin_convertvector(b, ne_gn_v8d));           \
    } while (0)
#define NE_GN_LOAD_f32_avx2 NE_GN_LOAD_f32_base
#if defined(__x86_64__) && defined(__GNUC__)
/* One vcvtps2pd zmm per 8 floats (GCC splits the generic conversion into 4-wide halves); an exact
 * conversion, so the same bits as the other variants. */
#define NE_GN_LOAD_f32_avx512(p)                                                                            \
    do {                                                                                                    \
        __m512d a_ = _mm512_cvtps_pd(_mm256_loadu_ps(p)), b_ = _mm512_cvtps_pd(_mm256_loadu_ps((p) + 8));   \
        ne_gn_v8d a, b;                                                                                     \
        memcpy(&a, &a_, sizeof a);                                                                          \
        memcpy(&b, &b_, sizeof b);                                                                          \
        NE_GN_ACC(a, b);                                                                                    \
    } while (0)
#else
#define NE_GN_LOAD_f32_avx512 NE_GN_LOAD_f32_base
#endif
#define NE_GN_LOAD_f64_base(p)                                                                              \
    do {                                                                                                    \
        ne_gn_v8d a, b;                                                                                     \
        memcpy(&a, (p), sizeof a);                                                                          \
        memcpy(&b, (p) + 8, sizeof b);                                                                      \
        NE_GN_ACC(a, b);                                                                                    \
    } while (0)
#define NE_GN_LOAD_f64_avx2 NE_GN_LOAD_f64_base
#define NE_GN_LOAD_f64_avx512 NE_GN_LOAD_f64_base

/* The kernels per (dtype, variant): ne_group_norm_kernel.h; NE_GN_LOAD is the variant's own
 * NE_GN_LOAD_<dtype>_<variant>, picked by the NE_SFX of each inclusion. */
#define NE_GN_LOAD(p) NE_CAT(NE_GN_LOAD, NE_SFX)(p)
#define NE_KERNEL "ne_group_norm_kernel.h"
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
#undef NE_GN_LOAD

static void ne_gn_sums_f32(int32_t isa, const float* x, int64_t len, double k, double* out2) {
    if (isa == NE_ISA_AVX512) ne_gn_sums_f32_avx512(x, len, k, out2);
    else if (isa == NE_ISA_AVX2) ne_gn_sums_f32_avx2(x, len, k, out2);
    else ne_gn_sums_f32_base(x, len, k, out2);
}

static void ne_gn_plane_f32(int32_t isa, const float* x, int64_t hw, float m, float a, float b, int32_t relu, float* out,
                           int32_t stream) {
    if (isa == NE_ISA_AVX512) ne_gn_plane_f32_avx512(x, hw, m, a, b, relu, out, stream);
    else if (isa == NE_ISA_AVX2) ne_gn_plane_f32_avx2(x, hw, m, a, b, relu, out, stream);
    else ne_gn_plane_f32_base(x, hw, m, a, b, relu, out, stream);
}

static void ne_gn_sums_f64(int32_t isa, const double* x, int64_t len, double k, double* out2) {
    if (isa == NE_ISA_AVX512) ne_gn_sums_f64_avx512(x, len, k, out2);
    else if (isa == NE_ISA_AVX2) ne_gn_sums_f64_avx2(x, len, k, out2);
    else ne_gn_sums_f64_base(x, len, k, out2);
}

static void ne_gn_plane_f64(int32_t isa, const double* x, int64_t hw, double m, double a, double b, int32_t relu, double* out,
                           int32_t stream) {
    if (isa == NE_ISA_AVX512) ne_gn_plane_f64_avx512(x, hw, m, a, b, relu, out, stream);
    else if (isa == NE_ISA_AVX2) ne_gn_plane_f64_avx2(x, hw, m, a, b, relu, out, stream);
    else ne_gn_plane_f64_base(x, hw, m, a, b, relu, out, stream);
}

/* Pass 1 over chunk indices [begin, end) of all groups. */
static int32_t ne_gn_stats_task(void* ctx, int64_t begin, int64_t end) {
    const ne_gn_ctx* cx = (const ne_gn_ctx*) ctx;
    for (int64_t j = begin; j < end; j++) {
        int64_t g = j / cx->chunks, off = (j % cx->chunks) * NE_GN_CHUNK;
        int64_t len = cx->glen - off < NE_GN_CHUNK ? cx->glen - off : NE_GN_CHUNK;
        if (cx->dtype == 0) {
            const float* x = (const float*) cx->x + g * cx->glen;
            ne_gn_sums_f32(cx->isa, x + off, len, (double) x[0], cx->part + 2 * j);
        } else {
            const double* x = (const double*) cx->x + g * cx->glen;
            ne_gn_sums_f64(cx->isa, x + off, len, x[0], cx->part + 2 * j);
        }
    }
    return NE_OK;
}

/* Pass 2 over planes [begin, end). */
static int32_t ne_gn_norm_task(void* ctx, int64_t begin, int64_t end) {
    const ne_gn_ctx* cx = (const ne_gn_ctx*) ctx;
    for (int64_t p = begin; p < end; p++) {
        const double m = cx->ab[3 * p], a = cx->ab[3 * p + 1], b = cx->ab[3 * p + 2];
        if (cx->dtype == 0) {
            ne_gn_plane_f32(cx->isa, (const float*) cx->x + p * cx->hw, cx->hw, (float) m, (float) a, (float) b, cx->relu,
                        (float*) cx->out + p * cx->hw, cx->stream && NE_CAN_STREAM((float*) cx->out + p * cx->hw));
        } else {
            ne_gn_plane_f64(cx->isa, (const double*) cx->x + p * cx->hw, cx->hw, m, a, b, cx->relu,
                        (double*) cx->out + p * cx->hw, cx->stream && NE_CAN_STREAM((double*) cx->out + p * cx->hw));
        }
    }
    if (cx->stream) ne_stream_fence();
    return NE_OK;
}

static double ne_gn_param(int32_t dtype, const void* v, int64_t i, double dflt) {
    if (v == NULL) return dflt;
    return dtype == 0 ? (double) ((const float*) v)[i] : ((const double*) v)[i];
}

int32_t ne_group_norm_cpu(int32_t dtype, const void* x, int64_t n, int64_t c, int64_t hw, int64_t groups, double eps,
                          const void* weight, const void* bias, int32_t relu, void* out, int32_t threads, int32_t isa) {
    if (dtype != 0 && dtype != 1) return NE_ERR_UNSUPPORTED_DTYPE;
    if (n < 0 || c < 0 || hw < 0 || groups < 1 || c % groups != 0 || !(eps >= 0) || (relu != 0 && relu != 1))
        return NE_ERR_INVALID_ARGUMENT;
    if (n == 0 || c == 0 || hw == 0) return NE_OK;
    if (x == NULL || out == NULL) return NE_ERR_INVALID_ARGUMENT;
    const int64_t glen = c / groups * hw, chunks = (glen + NE_GN_CHUNK - 1) / NE_GN_CHUNK;
    double* part = (double*) malloc(sizeof(double) * 2 * (size_t) (n * groups * chunks));
    double* ab = (double*) malloc(sizeof(double) * 3 * (size_t) (n * c));
    if (part == NULL || ab == NULL) {
        free(part);
        free(ab);
        return NE_ERR_OUT_OF_MEMORY;
    }
    const int32_t stream = n * c * hw * (dtype == 0 ? 4 : 8) >= NE_STREAM_MIN_BYTES;
    ne_gn_ctx cx = {dtype, relu, ne_isa_resolve(isa), stream, c, hw, groups, glen, chunks, x, out, part, ab};
    const int32_t t = ne_threads_for(n * c * hw, threads);
    int32_t st = ne_parallel_for(n * groups * chunks, t, ne_gn_stats_task, &cx);
    if (st == NE_OK) {
        const int64_t cpg = c / groups;
        for (int64_t g = 0; g < n * groups; g++) {
            double s = 0, q = 0;
            for (int64_t j = 0; j < chunks; j++) {
                s += part[2 * (g * chunks + j)];
                q += part[2 * (g * chunks + j) + 1];
            }
            const double k = dtype == 0 ? (double) ((const float*) x)[g * glen] : ((const double*) x)[g * glen];
            const double md = s / (double) glen;
            double var = q / (double) glen - md * md;
            if (var < 0) var = 0;
            const double mean = k + md, rstd = 1.0 / sqrt(var + eps);
            for (int64_t j = 0; j < cpg; j++) {
                const int64_t ch = (g % groups) * cpg + j, p = g * cpg + j;
                ab[3 * p] = mean;
                ab[3 * p + 1] = ne_gn_param(dtype, weight, ch, 1.0) * rstd;
                ab[3 * p + 2] = ne_gn_param(dtype, bias, ch, 0.0);
            }
        }
        st = ne_parallel_for(n * c, t, ne_gn_norm_task, &cx);
    }
    free(part);
    free(ab);
    return st;
}

#ifndef WITH_CUDA
int32_t ne_group_norm_cuda(int32_t dtype, const void* x, int64_t n, int64_t c, int64_t hw, int64_t groups, double eps,
                           const void* weight, const void* bias, int32_t relu, void* out, void* stream) {
    (void) dtype; (void) x; (void) n; (void) c; (void) hw; (void) groups; (void) eps; (void) weight; (void) bias;
    (void) relu; (void) out; (void) stream;
    return NE_ERR_NOT_BUILT_WITH_CUDA;
}
#endif
