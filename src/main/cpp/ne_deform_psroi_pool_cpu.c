/* Deformable PS-ROI pooling on the CPU (ops.md §6.1). maskrcnn-benchmark has only a CUDA kernel
 * with atomics; here the forward is split by ROI and the backward by input channel (grad data)
 * and by ROI (grad trans), so that results are bit-identical for any thread count. */
#include <math.h>
#include <stddef.h>
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

int32_t ne_deform_psroi_pool_forward_cpu(int32_t dtype, const void* data, const void* rois, const void* trans,
                                         void* output, void* top_count, const int64_t* dims, int64_t num_classes,
                                         double spatial_scale, double trans_std, int32_t threads) {
    ne_dps_geom g;
    int32_t s = ne_dps_read(dims, num_classes, &g);
    if (s != NE_OK) return s;
    if (g.k == 0) return NE_OK;
    if (!data || !rois || !output || !top_count) return NE_ERR_INVALID_ARGUMENT;
    if (dtype == 0) {
        NE_DPS_CHECK_ROIS(float)
        ne_dps_ctx_f32 c = {&g, data, rois, trans, NULL, NULL, output, top_count, NULL, NULL, (float) spatial_scale, (float) trans_std};
        return ne_parallel_for(g.k, threads, ne_dps_forward_f32, &c);
    }
    if (dtype == 1) {
        NE_DPS_CHECK_ROIS(double)
        ne_dps_ctx_f64 c = {&g, data, rois, trans, NULL, NULL, output, top_count, NULL, NULL, spatial_scale, trans_std};
        return ne_parallel_for(g.k, threads, ne_dps_forward_f64, &c);
    }
    return NE_ERR_UNSUPPORTED_DTYPE;
}

int32_t ne_deform_psroi_pool_backward_cpu(int32_t dtype, const void* grad_output, const void* data, const void* rois,
                                          const void* trans, const void* top_count, void* grad_data, void* grad_trans,
                                          const int64_t* dims, int64_t num_classes, double spatial_scale,
                                          double trans_std, int32_t threads) {
    ne_dps_geom g;
    int32_t s = ne_dps_read(dims, num_classes, &g);
    if (s != NE_OK) return s;
    if (g.k == 0) return NE_OK;
    if (!grad_output || !data || !rois || !top_count || !grad_data) return NE_ERR_INVALID_ARGUMENT;
    if ((trans == NULL) != (grad_trans == NULL)) return NE_ERR_INVALID_ARGUMENT;
    if (dtype == 0) {
        NE_DPS_CHECK_ROIS(float)
        ne_dps_ctx_f32 c = {&g, data, rois, trans, grad_output, top_count, NULL, NULL, grad_data, grad_trans,
                            (float) spatial_scale, (float) trans_std};
        s = ne_parallel_for(g.c, threads, ne_dps_backward_data_f32, &c);
        if (s == NE_OK && trans) s = ne_parallel_for(g.k, threads, ne_dps_backward_trans_f32, &c);
        return s;
    }
    if (dtype == 1) {
        NE_DPS_CHECK_ROIS(double)
        ne_dps_ctx_f64 c = {&g, data, rois, trans, grad_output, top_count, NULL, NULL, grad_data, grad_trans,
                            spatial_scale, trans_std};
        s = ne_parallel_for(g.c, threads, ne_dps_backward_data_f64, &c);
        if (s == NE_OK && trans) s = ne_parallel_for(g.k, threads, ne_dps_backward_trans_f64, &c);
        return s;
    }
    return NE_ERR_UNSUPPORTED_DTYPE;
}

#ifndef WITH_CUDA
int32_t ne_deform_psroi_pool_forward_cuda(int32_t dtype, const void* data, const void* rois, const void* trans,
                                          void* output, void* top_count, const int64_t* dims, int64_t num_classes,
                                          double spatial_scale, double trans_std, void* stream) {
    (void) dtype; (void) data; (void) rois; (void) trans; (void) output; (void) top_count; (void) dims;
    (void) num_classes; (void) spatial_scale; (void) trans_std; (void) stream;
    return NE_ERR_NOT_BUILT_WITH_CUDA;
}

int32_t ne_deform_psroi_pool_backward_cuda(int32_t dtype, const void* grad_output, const void* data, const void* rois,
                                           const void* trans, const void* top_count, void* grad_data, void* grad_trans,
                                           const int64_t* dims, int64_t num_classes, double spatial_scale,
                                           double trans_std, void* stream) {
    (void) dtype; (void) grad_output; (void) data; (void) rois; (void) trans; (void) top_count; (void) grad_data;
    (void) grad_trans; (void) dims; (void) num_classes; (void) spatial_scale; (void) trans_std; (void) stream;
    return NE_ERR_NOT_BUILT_WITH_CUDA;
}
#endif
