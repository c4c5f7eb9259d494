/* Sigmoid focal loss on the CPU: one task per row range (ne_parallel_for), each element computed
 * on its own by ne_sigmoid_focal_loss_math.h, so results are bit-identical for any thread count.
 * No SIMD variants: the time goes to exp/log1p/pow from libm, which the compiler does not
 * vectorise without -ffast-math (which would break the stable forms). */
#include <math.h>
#include "ne_parallel.h"
#include "ne_sigmoid_focal_loss.h"
#include "ne_sigmoid_focal_loss_math.h"
#include "ne_status.h"

typedef struct {
    int32_t dtype, convention, backward;
    int64_t c;
    const void* logits;
    const void* targets;
    const void* grad_loss;
    double gamma, alpha;
    void* out;
} ne_fl_ctx;

#define NE_FL_ROWS(T, SFX)                                                                          \
    static void ne_fl_rows_##SFX(const ne_fl_ctx* k, int64_t begin, int64_t end) {                \
        const T* x = (const T*) k->logits;                                                         \
        const T* g = (const T*) k->grad_loss;                                                      \
        T* out = (T*) k->out;                                                                      \
        T gamma = (T) k->gamma, alpha = (T) k->alpha;                                              \
        for (int64_t i = begin; i < end; i++) {                                                    \
            for (int64_t j = 0; j < k->c; j++) {                                                   \
                int64_t o = i * k->c + j;                                                          \
                int keep;                                                                          \
                T t = ne_fl_target_##SFX(k->targets, k->convention, i, j, k->c, &keep);            \
                T v = keep ? ne_fl_elem_##SFX(x[o], t, gamma, alpha, k->backward) : (T) 0;         \
                out[o] = k->backward ? (keep ? g[o] * v : (T) 0) : v;                              \
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
    /* Small problems are not worth a thread start (~20 us). */
    int64_t per = 16384 / (k->c > 0 ? k->c : 1) + 1;
    if (threads > n / per + 1) threads = (int32_t) (n / per + 1);
    return ne_parallel_for(n, threads, ne_fl_range, k);
}

int32_t ne_sigmoid_focal_loss_forward_cpu(int32_t dtype, int64_t n, int64_t c, const void* logits, const void* targets,
                                          int32_t convention, double gamma, double alpha, int32_t threads, void* loss) {
    ne_fl_ctx k = {dtype, convention, 0, c, logits, targets, NULL, gamma, alpha, loss};
    return ne_fl_run(&k, n, threads);
}

int32_t ne_sigmoid_focal_loss_backward_cpu(int32_t dtype, int64_t n, int64_t c, const void* logits, const void* targets,
                                           int32_t convention, double gamma, double alpha, const void* grad_loss,
                                           int32_t threads, void* grad_logits) {
    ne_fl_ctx k = {dtype, convention, 1, c, logits, targets, grad_loss, gamma, alpha, grad_logits};
    return ne_fl_run(&k, n, threads);
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
