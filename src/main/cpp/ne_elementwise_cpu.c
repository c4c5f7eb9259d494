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
#include "ne_parallel.h"
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

/* The rows of the collapsed layout that output elements [e0, e1) touch: row o covers
 * [o * n, (o + 1) * n), of which [lo, hi) is in the range; oa and ob are the row's first
 * element in a and b. A task's range may start and end inside a row. */
#define NE_ROWS_BEGIN(l, e0, e1)                                                                  \
    const int32_t last = (l)->ndim - 1;                                                          \
    const int64_t n = (l)->shape[last], sa = (l)->sa[last], sb = (l)->sb[last];                  \
    for (int64_t o = (e0) / n; o * n < (e1); o++) {                                               \
        const int64_t lo = (e0) > o * n ? (e0) - o * n : 0;                                       \
        const int64_t hi = (e1) < (o + 1) * n ? (e1) - o * n : n;                                 \
        int64_t rem = o, oa = 0, ob = 0;                                                          \
        for (int32_t d = last - 1; d >= 0; d--) {                                                 \
            int64_t i = rem % (l)->shape[d];                                                      \
            rem /= (l)->shape[d];                                                                 \
            oa += i * (l)->sa[d];                                                                 \
            ob += i * (l)->sb[d];                                                                 \
        }
#define NE_ROWS_END }

/* One function per dtype and op: the inner loop's three vectorisable cases and the strided one. */
#define NE_DEFINE(T, NAME, OPX)                                                                   \
    static int32_t NAME(const ne_layout* l, const T* a, const T* b, T* out, int64_t e0, int64_t e1) { \
        NE_ROWS_BEGIN(l, e0, e1)                                                                  \
            /* no restrict: out may be a or b (in place, element i read before written) */        \
            const T* pa = a + oa;                                                                 \
            const T* pb = b + ob;                                                                 \
            T* po = out + o * n;                                                                  \
            if (sa == 1 && sb == 1) {                                                             \
                for (int64_t i = lo; i < hi; i++) po[i] = OPX(pa[i], pb[i]);                      \
            } else if (sa == 1 && sb == 0) {                                                      \
                const T y = pb[0];                                                                \
                for (int64_t i = lo; i < hi; i++) po[i] = OPX(pa[i], y);                          \
            } else if (sa == 0 && sb == 1) {                                                      \
                const T x = pa[0];                                                                \
                for (int64_t i = lo; i < hi; i++) po[i] = OPX(x, pb[i]);                          \
            } else {                                                                              \
                for (int64_t i = lo; i < hi; i++) po[i] = OPX(pa[i * sa], pb[i * sb]);            \
            }                                                                                     \
        NE_ROWS_END                                                                               \
        return NE_OK;                                                                             \
    }

#define NE_ADD(x, y) ((x) + (y))
#define NE_SUB(x, y) ((x) - (y))
#define NE_MUL(x, y) ((x) * (y))

#define NE_DEFINE_ALL(T, SUFFIX, DIV)              \
    NE_DEFINE(T, ne_add_##SUFFIX, NE_ADD)          \
    NE_DEFINE(T, ne_sub_##SUFFIX, NE_SUB)          \
    NE_DEFINE(T, ne_mul_##SUFFIX, NE_MUL)          \
    NE_DEFINE(T, ne_div_##SUFFIX, DIV)

#define NE_DEFINE_ARITH(T, SUFFIX)                 \
    NE_DEFINE(T, ne_add_##SUFFIX, NE_ADD)          \
    NE_DEFINE(T, ne_sub_##SUFFIX, NE_SUB)          \
    NE_DEFINE(T, ne_mul_##SUFFIX, NE_MUL)

NE_DEFINE_ALL(float, f32, NE_DIV_F)
NE_DEFINE_ALL(double, f64, NE_DIV_F)
NE_DEFINE_ARITH(int32_t, i32)
NE_DEFINE_ARITH(int64_t, i64)
NE_DEFINE_ARITH(uint8_t, u8)

/* Integer division truncates toward zero like C and PyTorch. Two inputs trap in the hardware
 * (SIGFPE, which kills the JVM): a zero divisor, an error here as in PyTorch, reported as a
 * status after the whole output is written (0 where the divisor was 0); and MIN / -1, whose
 * true quotient does not fit, which wraps to MIN as PyTorch's result does: x / -1 is computed as
 * the two's-complement negation, in unsigned arithmetic so that the wrap is defined. Integer
 * division does not vectorise on x86, so the branch costs nothing measurable. */
#define NE_DEFINE_IDIV(T, U, SUFFIX)                                                              \
    static int32_t ne_div_##SUFFIX(const ne_layout* l, const T* a, const T* b, T* out, int64_t e0, int64_t e1) { \
        int zero = 0;                                                                             \
        NE_ROWS_BEGIN(l, e0, e1)                                                                  \
            const T* pa = a + oa;                                                                 \
            const T* pb = b + ob;                                                                 \
            T* po = out + o * n;                                                                  \
            for (int64_t i = lo; i < hi; i++) {                                                   \
                T x = pa[i * sa], y = pb[i * sb];                                                 \
                if (y == 0) {                                                                     \
                    zero = 1;                                                                     \
                    po[i] = 0;                                                                    \
                } else if ((T) -1 < 0 && y == (T) -1) {                                           \
                    po[i] = (T) (U) (0u - (U) x);                                                 \
                } else {                                                                          \
                    po[i] = x / y;                                                                \
                }                                                                                 \
            }                                                                                     \
        NE_ROWS_END                                                                               \
        return zero ? NE_ERR_DIVISION_BY_ZERO : NE_OK;                                           \
    }

NE_DEFINE_IDIV(int32_t, uint32_t, i32)
NE_DEFINE_IDIV(int64_t, uint64_t, i64)
NE_DEFINE_IDIV(uint8_t, uint8_t, u8)

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

/* Whether the streaming variant serves this layout: the ones the inner loop can vectorise. */
static int ne_stream_fits(const ne_layout* l) {
    int64_t sa = l->sa[l->ndim - 1], sb = l->sb[l->ndim - 1];
    return sa >= 0 && sa <= 1 && sb >= 0 && sb <= 1 && !(sa == 0 && sb == 0);
}

/* The streaming variant of the float32 loops over output elements [e0, e1). */
static void ne_stream_f32(int32_t op, const ne_layout* l, const float* a, const float* b, float* out, int64_t e0,
                          int64_t e1) {
    NE_ROWS_BEGIN(l, e0, e1)
        ne_stream_row_f32(op, a + oa + lo * sa, sa, b + ob + lo * sb, sb, out + o * n + lo, hi - lo);
    NE_ROWS_END
    _mm_sfence();
}
#endif

typedef struct {
    int32_t op, dtype, stream;
    ne_layout l;
    const void* a;
    const void* b;
    void* out;
} ne_bin_ctx;

/* Output elements [begin, end) of the op: each element is computed on its own, so the partition
 * (the thread count) does not change a bit. Integer division reports a zero divisor after its
 * whole range is written. */
#define NE_BIN_RUN(T, SFX)                                                                        \
    switch (cx->op) {                                                                             \
        case 0: return ne_add_##SFX(&cx->l, (const T*) cx->a, (const T*) cx->b, (T*) cx->out, begin, end); \
        case 1: return ne_sub_##SFX(&cx->l, (const T*) cx->a, (const T*) cx->b, (T*) cx->out, begin, end); \
        case 2: return ne_mul_##SFX(&cx->l, (const T*) cx->a, (const T*) cx->b, (T*) cx->out, begin, end); \
        default: return ne_div_##SFX(&cx->l, (const T*) cx->a, (const T*) cx->b, (T*) cx->out, begin, end); \
    }

static int32_t ne_bin_task_f32(const ne_bin_ctx* cx, int64_t begin, int64_t end) { NE_BIN_RUN(float, f32) }
static int32_t ne_bin_task_f64(const ne_bin_ctx* cx, int64_t begin, int64_t end) { NE_BIN_RUN(double, f64) }
static int32_t ne_bin_task_i32(const ne_bin_ctx* cx, int64_t begin, int64_t end) { NE_BIN_RUN(int32_t, i32) }
static int32_t ne_bin_task_i64(const ne_bin_ctx* cx, int64_t begin, int64_t end) { NE_BIN_RUN(int64_t, i64) }
static int32_t ne_bin_task_u8(const ne_bin_ctx* cx, int64_t begin, int64_t end) { NE_BIN_RUN(uint8_t, u8) }

static int32_t ne_bin_task(void* ctx, int64_t begin, int64_t end) {
    const ne_bin_ctx* cx = (const ne_bin_ctx*) ctx;
#if defined(__x86_64__)
    if (cx->stream) {
        ne_stream_f32(cx->op, &cx->l, (const float*) cx->a, (const float*) cx->b, (float*) cx->out, begin, end);
        return NE_OK;
    }
#endif
    switch (cx->dtype) {
        case 0: return ne_bin_task_f32(cx, begin, end);
        case 1: return ne_bin_task_f64(cx, begin, end);
        case 2: return ne_bin_task_i32(cx, begin, end);
        case 3: return ne_bin_task_i64(cx, begin, end);
        default: return ne_bin_task_u8(cx, begin, end);
    }
}

int32_t ne_binary_cpu(int32_t op, int32_t dtype, int32_t ndim, const int64_t* shape,
                      const void* a, const int64_t* a_strides,
                      const void* b, const int64_t* b_strides,
                      void* out, int32_t threads, int32_t isa) {
    /* One variant: the compiler vectorises the contiguous cases for baseline x86-64, and the
     * loops are bound by memory, not arithmetic; isa is taken like every CPU entry point's. */
    (void) isa;
    if (ndim < 0 || ndim > NE_MAX_DIMS || shape == NULL || a_strides == NULL || b_strides == NULL) {
        return NE_ERR_INVALID_ARGUMENT;
    }
    ne_bin_ctx cx = {op, dtype, 0, {0}, a, b, out};
    ne_layout* l = &cx.l;
    l->ndim = ndim;
    int64_t count = 1;
    for (int32_t d = 0; d < ndim; d++) {
        if (shape[d] < 0) return NE_ERR_INVALID_ARGUMENT;
        l->shape[d] = shape[d];
        l->sa[d] = a_strides[d];
        l->sb[d] = b_strides[d];
        count *= shape[d];
    }
    if (count == 0) return NE_OK;
    if (a == NULL || b == NULL || out == NULL) return NE_ERR_INVALID_ARGUMENT;
    if (dtype < 0 || dtype > 4) return NE_ERR_UNSUPPORTED_DTYPE;
    if (op < 0 || op > 3) return NE_ERR_INVALID_ARGUMENT;
    ne_collapse(l);
#if defined(__x86_64__)
    cx.stream = dtype == 0 && count * (int64_t) sizeof(float) >= NE_STREAM_BYTES && ne_stream_fits(l);
#endif
    /* At least 1M elements per thread: the op is bound by memory, and below that a second thread
     * cost more than it saved (measured on 2 cores: 1M float adds 10-17% slower with 2 threads,
     * 2M and more about twice as fast). */
    int64_t t = (count - 1) / (1 << 20) + 1;
    return ne_parallel_for(count, threads < t ? threads : (int32_t) t, ne_bin_task, &cx);
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
