/* Broadcast binary arithmetic on the CPU. Axes that are contiguous for every operand are merged
 * first, so that the common cases (same shape; a tensor plus a per-channel scalar) become one
 * long inner loop that the compiler vectorises: contiguous + contiguous, contiguous + scalar,
 * scalar + contiguous. */
#include <stddef.h>
#include <stdint.h>
#if defined(__x86_64__)
#include <emmintrin.h>
#endif
#include "ne_elementwise.h"
#include "ne_status.h"

typedef struct {
    int32_t ndim;
    int64_t shape[NE_MAX_DIMS];
    int64_t sa[NE_MAX_DIMS];
    int64_t sb[NE_MAX_DIMS];
} ne_layout;

/* Drops axes of size 1 and merges axis d into d+1 when both operands step through them as one. */
static void ne_collapse(ne_layout* l) {
    ne_layout c = {0};
    for (int32_t d = 0; d < l->ndim; d++) {
        if (l->shape[d] == 1) continue;
        if (c.ndim > 0) {
            int32_t k = c.ndim - 1;
            if (c.sa[k] == l->sa[d] * l->shape[d] && c.sb[k] == l->sb[d] * l->shape[d]) {
                c.shape[k] *= l->shape[d];
                c.sa[k] = l->sa[d];
                c.sb[k] = l->sb[d];
                continue;
            }
        }
        c.shape[c.ndim] = l->shape[d];
        c.sa[c.ndim] = l->sa[d];
        c.sb[c.ndim] = l->sb[d];
        c.ndim++;
    }
    if (c.ndim == 0) {
        c.ndim = 1;
        c.shape[0] = 1;
    }
    *l = c;
}

#define NE_DIV_F(x, y) ((x) / (y))
#define NE_DIV_I(x, y) ((y) == 0 ? 0 : (x) / (y))

/* One function per dtype and op: the inner loop's three vectorisable cases and the strided one. */
#define NE_DEFINE(T, NAME, OPX)                                                                   \
    static void NAME(const ne_layout* l, const T* a, const T* b, T* out) {                        \
        int32_t last = l->ndim - 1;                                                               \
        int64_t n = l->shape[last], sa = l->sa[last], sb = l->sb[last];                          \
        int64_t outer = 1;                                                                        \
        for (int32_t d = 0; d < last; d++) outer *= l->shape[d];                                  \
        for (int64_t o = 0; o < outer; o++) {                                                     \
            int64_t rem = o, oa = 0, ob = 0;                                                      \
            for (int32_t d = last - 1; d >= 0; d--) {                                             \
                int64_t i = rem % l->shape[d];                                                    \
                rem /= l->shape[d];                                                               \
                oa += i * l->sa[d];                                                               \
                ob += i * l->sb[d];                                                               \
            }                                                                                     \
            /* no restrict: out may be a or b (in place, element i read before written) */        \
            const T* pa = a + oa;                                                                 \
            const T* pb = b + ob;                                                                 \
            T* po = out + o * n;                                                                  \
            if (sa == 1 && sb == 1) {                                                             \
                for (int64_t i = 0; i < n; i++) po[i] = OPX(pa[i], pb[i]);                        \
            } else if (sa == 1 && sb == 0) {                                                      \
                const T y = pb[0];                                                                \
                for (int64_t i = 0; i < n; i++) po[i] = OPX(pa[i], y);                            \
            } else if (sa == 0 && sb == 1) {                                                      \
                const T x = pa[0];                                                                \
                for (int64_t i = 0; i < n; i++) po[i] = OPX(x, pb[i]);                            \
            } else {                                                                              \
                for (int64_t i = 0; i < n; i++) po[i] = OPX(pa[i * sa], pb[i * sb]);              \
            }                                                                                     \
        }                                                                                         \
    }

#define NE_ADD(x, y) ((x) + (y))
#define NE_SUB(x, y) ((x) - (y))
#define NE_MUL(x, y) ((x) * (y))

#define NE_DEFINE_ALL(T, SUFFIX, DIV)              \
    NE_DEFINE(T, ne_add_##SUFFIX, NE_ADD)          \
    NE_DEFINE(T, ne_sub_##SUFFIX, NE_SUB)          \
    NE_DEFINE(T, ne_mul_##SUFFIX, NE_MUL)          \
    NE_DEFINE(T, ne_div_##SUFFIX, DIV)

NE_DEFINE_ALL(float, f32, NE_DIV_F)
NE_DEFINE_ALL(double, f64, NE_DIV_F)
NE_DEFINE_ALL(int32_t, i32, NE_DIV_I)
NE_DEFINE_ALL(int64_t, i64, NE_DIV_I)
NE_DEFINE_ALL(uint8_t, u8, NE_DIV_I)

#if defined(__x86_64__)
/* float32 outputs larger than the caches are written with non-temporal stores (SSE2, so every
 * x86-64 has them): a normal store first reads the line it writes, which costs a third of the
 * memory traffic of a streaming op. Same IEEE operations as the scalar loops, so same bits. */
#define NE_STREAM_BYTES (8L << 20)

static __m128 ne_op_ps(int32_t op, __m128 x, __m128 y) {
    switch (op) {
        case 0: return _mm_add_ps(x, y);
        case 1: return _mm_sub_ps(x, y);
        case 2: return _mm_mul_ps(x, y);
        default: return _mm_div_ps(x, y);
    }
}

static float ne_op_f(int32_t op, float x, float y) {
    switch (op) {
        case 0: return x + y;
        case 1: return x - y;
        case 2: return x * y;
        default: return x / y;
    }
}

/* out[i] = a[i*sa] op b[i*sb] for sa, sb in {0, 1} (not both 0). */
static void ne_stream_row_f32(int32_t op, const float* a, int64_t sa, const float* b, int64_t sb, float* out, int64_t n) {
    int64_t i = 0;
    while (i < n && ((uintptr_t) (out + i) & 15) != 0) {
        out[i] = ne_op_f(op, a[i * sa], b[i * sb]);
        i++;
    }
    __m128 xa = _mm_set1_ps(a[0]), xb = _mm_set1_ps(b[0]);
    for (; i + 4 <= n; i += 4) {
        __m128 x = sa ? _mm_loadu_ps(a + i) : xa;
        __m128 y = sb ? _mm_loadu_ps(b + i) : xb;
        _mm_stream_ps(out + i, ne_op_ps(op, x, y));
    }
    for (; i < n; i++) out[i] = ne_op_f(op, a[i * sa], b[i * sb]);
}

/* The streaming variant of the float32 loops, for the layouts the inner loop can vectorise. */
static int ne_stream_f32(int32_t op, const ne_layout* l, const float* a, const float* b, float* out) {
    int32_t last = l->ndim - 1;
    int64_t n = l->shape[last], sa = l->sa[last], sb = l->sb[last];
    if (sa < 0 || sa > 1 || sb < 0 || sb > 1 || (sa == 0 && sb == 0)) return 0;
    int64_t outer = 1;
    for (int32_t d = 0; d < last; d++) outer *= l->shape[d];
    for (int64_t o = 0; o < outer; o++) {
        int64_t rem = o, oa = 0, ob = 0;
        for (int32_t d = last - 1; d >= 0; d--) {
            int64_t i = rem % l->shape[d];
            rem /= l->shape[d];
            oa += i * l->sa[d];
            ob += i * l->sb[d];
        }
        ne_stream_row_f32(op, a + oa, sa, b + ob, sb, out + o * n, n);
    }
    _mm_sfence();
    return 1;
}
#endif

#define NE_DISPATCH(T, SUFFIX)                                                                   \
    switch (op) {                                                                                \
        case 0: ne_add_##SUFFIX(&l, (const T*) a, (const T*) b, (T*) out); return NE_OK;          \
        case 1: ne_sub_##SUFFIX(&l, (const T*) a, (const T*) b, (T*) out); return NE_OK;          \
        case 2: ne_mul_##SUFFIX(&l, (const T*) a, (const T*) b, (T*) out); return NE_OK;          \
        case 3: ne_div_##SUFFIX(&l, (const T*) a, (const T*) b, (T*) out); return NE_OK;          \
        default: return NE_ERR_INVALID_ARGUMENT;                                                 \
    }

int32_t ne_binary_cpu(int32_t op, int32_t dtype, int32_t ndim, const int64_t* shape,
                      const void* a, const int64_t* a_strides,
                      const void* b, const int64_t* b_strides,
                      void* out) {
    if (ndim < 0 || ndim > NE_MAX_DIMS || shape == NULL || a_strides == NULL || b_strides == NULL) {
        return NE_ERR_INVALID_ARGUMENT;
    }
    ne_layout l = {0};
    l.ndim = ndim;
    int64_t count = 1;
    for (int32_t d = 0; d < ndim; d++) {
        if (shape[d] < 0) return NE_ERR_INVALID_ARGUMENT;
        l.shape[d] = shape[d];
        l.sa[d] = a_strides[d];
        l.sb[d] = b_strides[d];
        count *= shape[d];
    }
    if (count == 0) return NE_OK;
    if (a == NULL || b == NULL || out == NULL) return NE_ERR_INVALID_ARGUMENT;
    ne_collapse(&l);
#if defined(__x86_64__)
    if (dtype == 0 && op >= 0 && op <= 3 && count * (int64_t) sizeof(float) >= NE_STREAM_BYTES
            && ne_stream_f32(op, &l, (const float*) a, (const float*) b, (float*) out)) {
        return NE_OK;
    }
#endif
    switch (dtype) {
        case 0: NE_DISPATCH(float, f32)
        case 1: NE_DISPATCH(double, f64)
        case 2: NE_DISPATCH(int32_t, i32)
        case 3: NE_DISPATCH(int64_t, i64)
        case 4: NE_DISPATCH(uint8_t, u8)
        default: return NE_ERR_UNSUPPORTED_DTYPE;
    }
}

#ifndef WITH_CUDA
/* The CPU build's CUDA entry point says so instead of being absent (the library links with
 * --no-undefined, and a CUDA call fails with a clear status). */
int32_t ne_binary_cuda(int32_t op, int32_t dtype, int32_t ndim, const int64_t* shape,
                       const void* a, const int64_t* a_strides,
                       const void* b, const int64_t* b_strides,
                       void* out, void* stream) {
    (void) op; (void) dtype; (void) ndim; (void) shape; (void) a; (void) a_strides;
    (void) b; (void) b_strides; (void) out; (void) stream;
    return NE_ERR_NOT_BUILT_WITH_CUDA;
}
#endif
