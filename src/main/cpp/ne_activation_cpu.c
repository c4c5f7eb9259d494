/* ReLU and sigmoid on the CPU (include/ne_activation.h): contiguous ranges per thread, blocks of
 * 16 through a local tile (so out may be x), each element on its own. float32's sigmoid takes
 * e^-|x| from ne_fl_expf (the focal loss's branch-free exp, within 1 ulp): it vectorises, where
 * libm's expf does not, and every isa variant gives the same bits. */
#include <math.h>
#include <stddef.h>
#include "ne_activation.h"
#include "ne_layers_simd.h"
#include "ne_parallel.h"
#include "ne_sigmoid_focal_loss_math.h"
#include "ne_status.h"

typedef struct {
    int32_t op, dtype, isa;
    const void* x;
    void* out;
} ne_act_ctx;

/* sigmoid(v) = 1/(1+u) for v >= 0, u/(1+u) below, with u = e^-|v| in (0, 1]: no overflow. */
#define NE_ACT_SIGMOID(T, EXP, FABS, v, u) ((v) >= (T) 0 ? (T) 1 / ((T) 1 + (u)) : (u) / ((T) 1 + (u)))

#define NE_ACT_RANGE(T, SFX, VAR, TARGET, EXP, FABS)                                                        \
    TARGET static void ne_act_range_##SFX##_##VAR(int32_t op, const T* x, T* out, int64_t n) {             \
        int64_t i = 0;                                                                                      \
        for (; i + 16 <= n; i += 16) {                                                                      \
            T t[16];                                                                                        \
            if (op == 0) {                                                                                  \
                for (int k = 0; k < 16; k++) t[k] = x[i + k] < (T) 0 ? (T) 0 : x[i + k];                    \
            } else {                                                                                        \
                for (int k = 0; k < 16; k++) {                                                              \
                    T v = x[i + k], u = EXP(-FABS(v));                                                      \
                    t[k] = NE_ACT_SIGMOID(T, EXP, FABS, v, u);                                              \
                }                                                                                           \
            }                                                                                               \
            for (int k = 0; k < 16; k++) out[i + k] = t[k];                                                 \
        }                                                                                                   \
        for (; i < n; i++) {                                                                                \
            T v = x[i], u = EXP(-FABS(v));                                                                  \
            out[i] = op == 0 ? (v < (T) 0 ? (T) 0 : v) : NE_ACT_SIGMOID(T, EXP, FABS, v, u);                \
        }                                                                                                   \
    }

#define NE_ACT_F32(T, SFX, VAR, TARGET) NE_ACT_RANGE(T, SFX, VAR, TARGET, ne_fl_expf, fabsf)
NE_FOR_EACH_ISA(NE_ACT_F32, float, f32)
/* float64 calls libm's exp, which does not vectorise: one build serves every isa. */
NE_ACT_RANGE(double, f64, base, , exp, fabs)

static int32_t ne_act_task(void* ctx, int64_t begin, int64_t end) {
    const ne_act_ctx* cx = (const ne_act_ctx*) ctx;
    if (cx->dtype == 0) {
        NE_ISA_CALL(cx->isa, ne_act_range_f32, cx->op, (const float*) cx->x + begin, (float*) cx->out + begin, end - begin);
    } else {
        ne_act_range_f64_base(cx->op, (const double*) cx->x + begin, (double*) cx->out + begin, end - begin);
    }
    return NE_OK;
}

int32_t ne_activation_cpu(int32_t op, int32_t dtype, int64_t count, const void* x, void* out, int32_t threads,
                          int32_t isa) {
    if (dtype != 0 && dtype != 1) return NE_ERR_UNSUPPORTED_DTYPE;
    if (op < 0 || op > 1 || count < 0) return NE_ERR_INVALID_ARGUMENT;
    if (count == 0) return NE_OK;
    if (x == NULL || out == NULL) return NE_ERR_INVALID_ARGUMENT;
    ne_act_ctx cx = {op, dtype, ne_isa_resolve(isa), x, out};
    /* The block loop and the tail compute an element alike: the partition does not change bits. */
    return ne_parallel_for(count, ne_threads_for(count, threads), ne_act_task, &cx);
}

#ifndef WITH_CUDA
int32_t ne_activation_cuda(int32_t op, int32_t dtype, int64_t count, const void* x, void* out, void* stream) {
    (void) op; (void) dtype; (void) count; (void) x; (void) out; (void) stream;
    return NE_ERR_NOT_BUILT_WITH_CUDA;
}
#endif
