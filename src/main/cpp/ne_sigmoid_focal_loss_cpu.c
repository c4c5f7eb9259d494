/* Sigmoid focal loss on the CPU: one task per row range (ne_parallel_for), each element computed
 * on its own by ne_sigmoid_focal_loss_math.h, so results are bit-identical for any thread count.
 *
 * Rows whose targets are all hard (every row of the label convention; dense rows of 0s and 1s)
 * run a branch-free loop over the row that the compiler vectorises, built for baseline x86-64,
 * AVX2 and AVX-512 and chosen at run time (isa); the float32 math has no libm calls, so the
 * variants agree to the bit. Rows with soft targets take the scalar per-element path (powf). */
#include <math.h>
#include "ne_parallel.h"
#include "ne_sigmoid_focal_loss.h"
#include "ne_sigmoid_focal_loss_math.h"
#include "ne_status.h"

typedef struct {
    int32_t dtype, convention, backward, isa;
    int64_t c;
    const void* logits;
    const void* targets;
    const void* grad_loss;
    double gamma, alpha;
    void* out;
} ne_fl_ctx;

/* The hard-target row loop per (dtype, SIMD variant): ne_sigmoid_focal_loss_kernel.h. float64
 * calls libm's exp and log1p, so its loop does not vectorise: one baseline build serves every isa. */
#define NE_T float
#define NE_FL_HARD ne_fl_hard_f32
#define NE_S f32
#define NE_KERNEL "ne_sigmoid_focal_loss_kernel.h"
#include "ne_each_isa.h"
#undef NE_KERNEL
#undef NE_S
#undef NE_T
#undef NE_FL_HARD
#define NE_T double
#define NE_FL_HARD ne_fl_hard_f64
#define NE_SFX f64_base
#define NE_TARGET
#include "ne_sigmoid_focal_loss_kernel.h"
#undef NE_SFX
#undef NE_TARGET
#undef NE_T
#undef NE_FL_HARD
#define ne_fl_hard_row_f64_avx2 ne_fl_hard_row_f64_base
#define ne_fl_hard_row_f64_avx512 ne_fl_hard_row_f64_base

#define NE_FL_ROWS(T, SFX)                                                                          \
    static void ne_fl_rows_##SFX(const ne_fl_ctx* k, int64_t begin, int64_t end) {                \
        const T* x = (const T*) k->logits;                                                         \
        const T* g = (const T*) k->grad_loss;                                                      \
        T* out = (T*) k->out;                                                                      \
        const T gamma = (T) k->gamma, alpha = (T) k->alpha;                                        \
        const int64_t c = k->c;                                                                    \
        for (int64_t i = begin; i < end; i++) {                                                    \
            const T* t = NULL;                                                                     \
            int64_t pos = -1;                                                                      \
            int soft = 0;                                                                          \
            if (k->convention == 0) {                                                              \
                int64_t label = ((const int64_t*) k->targets)[i];                                  \
                if (label < 0) { /* ignored: loss and gradient 0 */                                \
                    for (int64_t j = 0; j < c; j++) out[i * c + j] = (T) 0;                        \
                    continue;                                                                      \
                }                                                                                  \
                pos = label - 1;                                                                   \
            } else { /* no early exit, so the test vectorises */                                   \
                t = (const T*) k->targets + i * c;                                                 \
                for (int64_t j = 0; j < c; j++) soft |= (t[j] != (T) 0) & (t[j] != (T) 1);          \
            }                                                                                      \
            const T* gr = k->backward ? g + i * c : NULL;                                          \
            T* o = out + i * c;                                                                    \
            if (!soft) {                                                                           \
                if (k->isa == NE_ISA_AVX512) ne_fl_hard_row_##SFX##_avx512(x + i * c, t, pos, c, gamma, alpha, gr, o); \
                else if (k->isa == NE_ISA_AVX2) ne_fl_hard_row_##SFX##_avx2(x + i * c, t, pos, c, gamma, alpha, gr, o); \
                else ne_fl_hard_row_##SFX##_base(x + i * c, t, pos, c, gamma, alpha, gr, o);       \
                continue;                                                                          \
            }                                                                                      \
            for (int64_t j = 0; j < c; j++) {                                                      \
                T v = ne_fl_elem_##SFX(x[i * c + j], t[j], gamma, alpha, k->backward);             \
                o[j] = gr ? gr[j] * v : v;                                                         \
            }                                                                                      \
        }                                                                                          \
    }

NE_FL_ROWS(float, f32)
NE_FL_ROWS(double, f64)

static int32_t ne_fl_range(void* ctx, int64_t begin, int64_t end) {
    const ne_fl_ctx* k = (const ne_fl_ctx*) ctx;
    if (k->dtype == 0) ne_fl_rows_f32(k, begin, end);
    else ne_fl_rows_f64(k, begin, end);
    return NE_OK;
}

static int32_t ne_fl_run(ne_fl_ctx* k, int64_t n, int32_t threads) {
    if (n < 0 || k->c < 0 || (k->convention != 0 && k->convention != 1)) return NE_ERR_INVALID_ARGUMENT;
    if (k->dtype != 0 && k->dtype != 1) return NE_ERR_UNSUPPORTED_DTYPE;
    if (n == 0 || k->c == 0) return NE_OK;
    if (!k->logits || !k->targets || !k->out || (k->backward && !k->grad_loss)) return NE_ERR_INVALID_ARGUMENT;
    k->isa = ne_isa_resolve(k->isa);
    /* Small problems are not worth a thread start (~20 us). */
    int64_t per = 16384 / (k->c > 0 ? k->c : 1) + 1;
    if (threads > n / per + 1) threads = (int32_t) (n / per + 1);
    return ne_parallel_for(n, threads, ne_fl_range, k);
}

int32_t ne_sigmoid_focal_loss_forward_cpu(int32_t dtype, int64_t n, int64_t c, const void* logits, const void* targets,
                                          int32_t convention, double gamma, double alpha, int32_t threads, int32_t isa,
                                          void* loss) {
    ne_fl_ctx k = {dtype, convention, 0, isa, c, logits, targets, NULL, gamma, alpha, loss};
    return ne_fl_run(&k, n, threads);
}

int32_t ne_sigmoid_focal_loss_backward_cpu(int32_t dtype, int64_t n, int64_t c, const void* logits, const void* targets,
                                           int32_t convention, double gamma, double alpha, const void* grad_loss,
                                           int32_t threads, int32_t isa, void* grad_logits) {
    ne_fl_ctx k = {dtype, convention, 1, isa, c, logits, targets, grad_loss, gamma, alpha, grad_logits};
    return ne_fl_run(&k, n, threads);
}

/* Blocks of 4096 are scanned without an early exit (so the test vectorises); the first block
 * with a bad value is then searched element by element. */
#define NE_FL_CHECK(T, SFX)                                                                         \
    static int64_t ne_fl_first_bad_##SFX(const T* t, int64_t count) {                               \
        for (int64_t b = 0; b < count; b += 4096) {                                                \
            int64_t e = count - b < 4096 ? count - b : 4096;                                       \
            int bad = 0;                                                                           \
            for (int64_t i = 0; i < e; i++) bad |= !(t[b + i] >= (T) 0 && t[b + i] <= (T) 1);      \
            if (bad)                                                                               \
                for (int64_t i = 0; i < e; i++)                                                    \
                    if (!(t[b + i] >= (T) 0 && t[b + i] <= (T) 1)) return b + i;                    \
        }                                                                                          \
        return -1;                                                                                 \
    }
NE_FL_CHECK(float, f32)
NE_FL_CHECK(double, f64)

int32_t ne_sigmoid_focal_loss_check_targets(int32_t dtype, int64_t count, const void* targets, int64_t* first_bad) {
    if (count < 0 || first_bad == NULL || (count > 0 && targets == NULL)) return NE_ERR_INVALID_ARGUMENT;
    if (dtype != 0 && dtype != 1) return NE_ERR_UNSUPPORTED_DTYPE;
    *first_bad = dtype == 0 ? ne_fl_first_bad_f32((const float*) targets, count)
                            : ne_fl_first_bad_f64((const double*) targets, count);
    return *first_bad < 0 ? NE_OK : NE_ERR_INVALID_ARGUMENT;
}

#ifndef WITH_CUDA
/* The CPU build's CUDA entry points say so instead of being absent. */
int32_t ne_sigmoid_focal_loss_forward_cuda(int32_t dtype, int64_t n, int64_t c, const void* logits, const void* targets,
                                           int32_t convention, double gamma, double alpha, void* loss, void* stream) {
    (void) dtype; (void) n; (void) c; (void) logits; (void) targets; (void) convention; (void) gamma; (void) alpha;
    (void) loss; (void) stream;
    return NE_ERR_NOT_BUILT_WITH_CUDA;
}

int32_t ne_sigmoid_focal_loss_backward_cuda(int32_t dtype, int64_t n, int64_t c, const void* logits, const void* targets,
                                            int32_t convention, double gamma, double alpha, const void* grad_loss,
                                            void* grad_logits, void* stream) {
    (void) dtype; (void) n; (void) c; (void) logits; (void) targets; (void) convention; (void) gamma; (void) alpha;
    (void) grad_loss; (void) grad_logits; (void) stream;
    return NE_ERR_NOT_BUILT_WITH_CUDA;
}
#endif
