/* Deformable PS-ROI pooling on the CPU (docs/ops.md §6.1). maskrcnn-benchmark has only a CUDA kernel
 * with atomics; here the forward is split by ROI and the backward by output-channel block (grad
 * data, on a channels-last copy) and by ROI (grad trans), so that results are bit-identical for
 * any thread count. Geometry once per (ROI, class, bin): see ne_deform_psroi_pool_kernels.h. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include "ne_deform_psroi_pool.h"
#include "ne_parallel.h"
#include "ne_status.h"

typedef struct {
    int64_t n, c, h, w, k, odim, p, part, gs, spp, ncls;
} ne_dps_geom;

#define NE_T float
#define NE_S f32
#include "ne_deform_psroi_pool_kernels.h"
#undef NE_T
#undef NE_S
#define NE_T double
#define NE_S f64
#include "ne_deform_psroi_pool_kernels.h"
#undef NE_T
#undef NE_S

static int32_t ne_dps_read(const int64_t* dims, int64_t ncls, ne_dps_geom* g) {
    if (!dims) return NE_ERR_INVALID_ARGUMENT;
    *g = (ne_dps_geom) {dims[0], dims[1], dims[2], dims[3], dims[4], dims[5], dims[6], dims[7], dims[8], dims[9], ncls};
    if (g->n < 0 || g->c < 1 || g->h < 1 || g->w < 1 || g->k < 0 || g->odim < 1 || g->p < 1 || g->part < 1 || g->gs < 1
        || g->spp < 1 || g->ncls < 1 || g->odim % g->ncls || g->c != g->odim * g->gs * g->gs)
        return NE_ERR_INVALID_ARGUMENT;
    return NE_OK;
}

/* Batch indices are checked in Java; checked again here so a direct caller cannot read past data. */
#define NE_DPS_CHECK_ROIS(T)                                                                      \
    for (int64_t k = 0; k < g.k; k++) {                                                           \
        const T b = ((const T*) rois)[k * 5];                                                     \
        if (!(b >= 0 && (int64_t) b < g.n)) return NE_ERR_INDEX_OUT_OF_RANGE;                     \
    }

/* data [N][odim*G²][H*W] into dt [N][G²][H*W][odim] (see ne_deform_psroi_pool_kernels.h), or
 * back (to_nchw) from gdt into grad data. */
#define NE_DPS_RELAYOUT(S, T, from, to, to_nchw)                                                   \
    {                                                                                             \
        const int64_t plane_ = g.h * g.w, g2_ = g.gs * g.gs;                                      \
        for (int64_t n_ = 0; n_ < g.n; n_++)                                                      \
            for (int64_t p_ = 0; p_ < g2_; p_++) {                                                \
                const T* cf_ = (const T*) (from);                                                 \
                T* ct_ = (T*) (to);                                                               \
                if (to_nchw) {                                                                    \
                    ne_dps_tr_ctx_##S tc_ = {cf_ + (n_ * g2_ + p_) * plane_ * g.odim, ct_ + n_ * g.c * plane_ + p_ * plane_, \
                                             g.odim, g.odim, g2_ * plane_};                       \
                    ne_parallel_for(plane_, threads, ne_dps_transpose_##S, &tc_);                 \
                } else {                                                                          \
                    ne_dps_tr_ctx_##S tc_ = {cf_ + n_ * g.c * plane_ + p_ * plane_, ct_ + (n_ * g2_ + p_) * plane_ * g.odim, \
                                             plane_, g2_ * plane_, g.odim};                       \
                    ne_parallel_for(g.odim, threads, ne_dps_transpose_##S, &tc_);                 \
                }                                                                                 \
            }                                                                                     \
    }

#define NE_DPS_FORWARD(S, T)                                                                      \
    {                                                                                             \
        NE_DPS_CHECK_ROIS(T)                                                                      \
        T* dt = malloc((size_t) (g.n * g.c * g.h * g.w) * sizeof(T));                             \
        if (!dt) return NE_ERR_OUT_OF_MEMORY;                                                     \
        NE_DPS_RELAYOUT(S, T, data, dt, 0)                                                        \
        ne_dps_ctx_##S c = {&g, rois, trans, NULL, NULL, dt, output, top_count, NULL, NULL,       \
                            (T) spatial_scale, (T) trans_std, isa};                               \
        s = ne_parallel_for(g.k, threads, ne_dps_forward_##S, &c);                                \
        free(dt);                                                                                 \
        return s;                                                                                 \
    }

int32_t ne_deform_psroi_pool_forward_cpu(int32_t dtype, const void* data, int64_t n, int64_t c, int64_t h, int64_t w,
                                         const void* rois, int64_t k, const void* trans, int64_t num_classes,
                                         int64_t output_dim, int64_t pooled, int64_t part_size, int64_t group_size,
                                         int64_t sample_per_part, double spatial_scale, double trans_std,
                                         void* output, void* top_count, int32_t threads, int32_t isa) {
    const int64_t dims[10] = {n, c, h, w, k, output_dim, pooled, part_size, group_size, sample_per_part};
    ne_dps_geom g;
    int32_t s = ne_dps_read(dims, num_classes, &g);
    if (s != NE_OK) return s;
    if (g.k == 0) return NE_OK;
    if (!data || !rois || !output || !top_count) return NE_ERR_INVALID_ARGUMENT;
    isa = ne_isa_resolve(isa);
    if (dtype == 0) NE_DPS_FORWARD(f32, float)
    if (dtype == 1) NE_DPS_FORWARD(f64, double)
    return NE_ERR_UNSUPPORTED_DTYPE;
}

/* grad data in dt's layout by output-channel blocks, then back to NCHW; grad trans by ROI. */
#define NE_DPS_BACKWARD(S, T)                                                                     \
    {                                                                                             \
        NE_DPS_CHECK_ROIS(T)                                                                      \
        const size_t len = (size_t) (g.n * g.c * g.h * g.w);                                      \
        T* dt = malloc(len * sizeof(T));                                                          \
        T* gdt = calloc(len, sizeof(T));                                                          \
        if (!dt || !gdt) {                                                                        \
            free(dt);                                                                             \
            free(gdt);                                                                            \
            return NE_ERR_OUT_OF_MEMORY;                                                          \
        }                                                                                         \
        NE_DPS_RELAYOUT(S, T, data, dt, 0)                                                        \
        ne_dps_ctx_##S c = {&g, rois, trans, grad_output, top_count, dt, NULL, NULL, gdt, grad_trans, \
                            (T) spatial_scale, (T) trans_std, isa};                               \
        s = ne_parallel_for((g.odim + 15) / 16, threads, ne_dps_backward_data_##S, &c);           \
        if (s == NE_OK) NE_DPS_RELAYOUT(S, T, gdt, grad_data, 1)                                  \
        if (s == NE_OK && trans) s = ne_parallel_for(g.k, threads, ne_dps_backward_trans_##S, &c); \
        free(dt);                                                                                 \
        free(gdt);                                                                                \
        return s;                                                                                 \
    }

int32_t ne_deform_psroi_pool_backward_cpu(int32_t dtype, const void* grad_output, const void* data, int64_t n,
                                          int64_t c, int64_t h, int64_t w, const void* rois, int64_t k,
                                          const void* trans, int64_t num_classes, int64_t output_dim, int64_t pooled,
                                          int64_t part_size, int64_t group_size, int64_t sample_per_part,
                                          double spatial_scale, double trans_std, const void* top_count,
                                          void* grad_data, void* grad_trans, int32_t threads, int32_t isa) {
    const int64_t dims[10] = {n, c, h, w, k, output_dim, pooled, part_size, group_size, sample_per_part};
    ne_dps_geom g;
    int32_t s = ne_dps_read(dims, num_classes, &g);
    if (s != NE_OK) return s;
    if (g.k == 0) return NE_OK;
    if (!grad_output || !data || !rois || !top_count || !grad_data) return NE_ERR_INVALID_ARGUMENT;
    if ((trans == NULL) != (grad_trans == NULL)) return NE_ERR_INVALID_ARGUMENT;
    isa = ne_isa_resolve(isa);
    if (dtype == 0) NE_DPS_BACKWARD(f32, float)
    if (dtype == 1) NE_DPS_BACKWARD(f64, double)
    return NE_ERR_UNSUPPORTED_DTYPE;
}

#ifndef WITH_CUDA
int32_t ne_deform_psroi_pool_forward_cuda(int32_t dtype, const void* data, int64_t n, int64_t c, int64_t h, int64_t w,
                                          const void* rois, int64_t k, const void* trans, int64_t num_classes,
                                          int64_t output_dim, int64_t pooled, int64_t part_size, int64_t group_size,
                                          int64_t sample_per_part, double spatial_scale, double trans_std,
                                          void* output, void* top_count, void* stream) {
    (void) dtype; (void) data; (void) n; (void) c; (void) h; (void) w; (void) rois; (void) k; (void) trans;
    (void) num_classes; (void) output_dim; (void) pooled; (void) part_size; (void) group_size; (void) sample_per_part;
    (void) spatial_scale; (void) trans_std; (void) output; (void) top_count; (void) stream;
    return NE_ERR_NOT_BUILT_WITH_CUDA;
}

int32_t ne_deform_psroi_pool_backward_cuda(int32_t dtype, const void* grad_output, const void* data, int64_t n,
                                           int64_t c, int64_t h, int64_t w, const void* rois, int64_t k,
                                           const void* trans, int64_t num_classes, int64_t output_dim, int64_t pooled,
                                           int64_t part_size, int64_t group_size, int64_t sample_per_part,
                                           double spatial_scale, double trans_std, const void* top_count,
                                           void* grad_data, void* grad_trans, void* stream) {
    (void) dtype; (void) grad_output; (void) data; (void) n; (void) c; (void) h; (void) w; (void) rois; (void) k;
    (void) trans; (void) num_classes; (void) output_dim; (void) pooled; (void) part_size; (void) group_size;
    (void) sample_per_part; (void) spatial_scale; (void) trans_std; (void) top_count; (void) grad_data;
    (void) grad_trans; (void) stream;
    return NE_ERR_NOT_BUILT_WITH_CUDA;
}
#endif
