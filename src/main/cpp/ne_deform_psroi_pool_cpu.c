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
#include "ne_deform_psroi_pool_driver.h"
#undef NE_T
#undef NE_S
#define NE_T double
#define NE_S f64
#include "ne_deform_psroi_pool_kernels.h"
#include "ne_deform_psroi_pool_driver.h"
#undef NE_T
#undef NE_S

static int32_t ne_dps_read(int64_t n, int64_t c, int64_t h, int64_t w, int64_t k, int64_t odim, int64_t p, int64_t part,
                           int64_t gs, int64_t spp, int64_t ncls, ne_dps_geom* g) {
    *g = (ne_dps_geom) {n, c, h, w, k, odim, p, part, gs, spp, ncls};
    if (g->n < 0 || g->c < 1 || g->h < 1 || g->w < 1 || g->k < 0 || g->odim < 1 || g->p < 1 || g->part < 1 || g->gs < 1
        || g->spp < 1 || g->ncls < 1 || g->odim % g->ncls || g->c != g->odim * g->gs * g->gs)
        return NE_ERR_INVALID_ARGUMENT;
    return NE_OK;
}

int32_t ne_deform_psroi_pool_forward_cpu(int32_t dtype, const void* data, int64_t n, int64_t c, int64_t h, int64_t w,
                                         const void* rois, int64_t k, const void* trans, int64_t num_classes,
                                         int64_t output_dim, int64_t pooled, int64_t part_size, int64_t group_size,
                                         int64_t sample_per_part, double spatial_scale, double trans_std,
                                         void* output, void* top_count, int32_t threads, int32_t isa) {
    ne_dps_geom g;
    int32_t s = ne_dps_read(n, c, h, w, k, output_dim, pooled, part_size, group_size, sample_per_part, num_classes, &g);
    if (s != NE_OK) return s;
    if (g.k == 0) return NE_OK;
    if (!data || !rois || !output || !top_count) return NE_ERR_INVALID_ARGUMENT;
    isa = ne_isa_resolve(isa);
    if (dtype == 0)
        return ne_dps_forward_run_f32(&g, (const float*) data, (const float*) rois, (const float*) trans, (float*) output,
                                      (float*) top_count, spatial_scale, trans_std, threads, isa);
    if (dtype == 1)
        return ne_dps_forward_run_f64(&g, (const double*) data, (const double*) rois, (const double*) trans,
                                      (double*) output, (double*) top_count, spatial_scale, trans_std, threads, isa);
    return NE_ERR_UNSUPPORTED_DTYPE;
}

int32_t ne_deform_psroi_pool_backward_cpu(int32_t dtype, const void* grad_output, const void* data, int64_t n,
                                          int64_t c, int64_t h, int64_t w, const void* rois, int64_t k,
                                          const void* trans, int64_t num_classes, int64_t output_dim, int64_t pooled,
                                          int64_t part_size, int64_t group_size, int64_t sample_per_part,
                                          double spatial_scale, double trans_std, const void* top_count,
                                          void* grad_data, void* grad_trans, int32_t threads, int32_t isa) {
    ne_dps_geom g;
    int32_t s = ne_dps_read(n, c, h, w, k, output_dim, pooled, part_size, group_size, sample_per_part, num_classes, &g);
    if (s != NE_OK) return s;
    if (g.k == 0) return NE_OK;
    if (!grad_output || !data || !rois || !top_count || !grad_data) return NE_ERR_INVALID_ARGUMENT;
    if ((trans == NULL) != (grad_trans == NULL)) return NE_ERR_INVALID_ARGUMENT;
    isa = ne_isa_resolve(isa);
    if (dtype == 0)
        return ne_dps_backward_run_f32(&g, (const float*) grad_output, (const float*) data, (const float*) rois,
                                       (const float*) trans, (const float*) top_count, (float*) grad_data,
                                       (float*) grad_trans, spatial_scale, trans_std, threads, isa);
    if (dtype == 1)
        return ne_dps_backward_run_f64(&g, (const double*) grad_output, (const double*) data, (const double*) rois,
                                       (const double*) trans, (const double*) top_count, (double*) grad_data,
                                       (double*) grad_trans, spatial_scale, trans_std, threads, isa);
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
