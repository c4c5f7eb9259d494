/* ReLU and sigmoid on the CPU (include/ne_activation.h): contiguous ranges per thread, blocks of
 * 16 through a local tile (so out may be x), each element on its own. float32's sigmoid takes
 * e^-|x| from ne_fl_expf (the focal loss's branch-free exp, within 1 ulp): it vectorises, where
 * libm's expf does not, and every isa variant gives the same bits. */
#include <math.h>
#include <stddef.h>
#include "ne_activation.h"
#include "ne_parallel.h"
#include "ne_layers_simd.h"
#include "ne_sigmoid_focal_loss_math.h"
#include "ne_status.h"

typedef struct {
    int32_t op, dtype, isa;
    const void* x;
    void* out;
} ne_act_ctx;

/* sigmoid(v) = 1/(1+u) for v >= 0, u/(1+u) below, with u = e^-|v| in (0, 1]: no overflow. */
#define NE_ACT_SIGMOID(T, v, u) ((v) >= (T) 0 ? (T) 1 / ((T) 1 + (u)) : (u) / ((T) 1 + (u)))

/* The kernel per (dtype, variant): ne_activation_kernel.h. float32 has the three variants;
 * float64 calls libm's exp, which does not vectorise: its baseline serves every isa. */
#define NE_T float
#define NE_EXP ne_fl_expf
#define NE_FABS fabsf
#define NE_S f32
#define NE_KERNEL "ne_activation_kernel.h"
#include "ne_each_isa.h"
#undef NE_KERNEL
#undef NE_S
#undef NE_T
#undef NE_EXP
#undef NE_FABS
#define NE_T double
#define NE_EXP exp
#define NE_FABS fabs
#define NE_SFX f64_base
#define NE_TARGET
#include "ne_activation_kernel.h"
#undef NE_SFX
#undef NE_TARGET
#undef NE_T
#undef NE_EXP
#undef NE_FABS

static void ne_act_range_f32(int32_t isa, int32_t op, const float* x, float* out, int64_t n) {
    if (isa == NE_ISA_AVX512) ne_act_range_f32_avx512(op, x, out, n);
    else if (isa == NE_ISA_AVX2) ne_act_range_f32_avx2(op, x, out, n);
    else ne_act_range_f32_base(op, x, out, n);
}

static int32_t ne_act_task(void* ctx, int64_t begin, int64_t end) {
    const ne_act_ctx* cx = (const ne_act_ctx*) ctx;
    if (cx->dtype == 0) {
        ne_act_range_f32(cx->isa, cx->op, (const float*) cx->x + begin, (float*) cx->out + begin, end - begin);
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
