/* Deformable position-sensitive ROI pooling, maskrcnn-benchmark's DeformRoIPoolingFunction
 * (docs/ops.md §6.1, DP sampler of §1), on the CPU and CUDA; dtype 0 float32 / 1 float64.
 *
 * dims (10): N, C, H, W, K, output_dim, pooled (P), part_size, group_size (G), sample_per_part.
 * data [N,C,H,W] with C = output_dim*G*G; rois [K,5] = (batch, x1, y1, x2, y2) in image pixels;
 * trans [K, 2*num_classes, part, part] (channel 2*cls = dx, 2*cls+1 = dy) or NULL (no_trans,
 * num_classes = 1); output and top_count [K, output_dim, P, P]. Outputs caller-allocated and
 * zero-filled. The backward takes the forward's top_count; grad_trans may be NULL (no_trans). */
#ifndef NE_DEFORM_PSROI_POOL_H
#define NE_DEFORM_PSROI_POOL_H
#include <stdint.h>

int32_t ne_deform_psroi_pool_forward_cpu(int32_t dtype, const void* data, const void* rois, const void* trans,
                                         void* output, void* top_count, const int64_t* dims, int64_t num_classes,
                                         double spatial_scale, double trans_std, int32_t threads);

int32_t ne_deform_psroi_pool_backward_cpu(int32_t dtype, const void* grad_output, const void* data, const void* rois,
                                          const void* trans, const void* top_count, void* grad_data, void* grad_trans,
                                          const int64_t* dims, int64_t num_classes, double spatial_scale,
                                          double trans_std, int32_t threads);

int32_t ne_deform_psroi_pool_forward_cuda(int32_t dtype, const void* data, const void* rois, const void* trans,
                                          void* output, void* top_count, const int64_t* dims, int64_t num_classes,
                                          double spatial_scale, double trans_std, void* stream);

int32_t ne_deform_psroi_pool_backward_cuda(int32_t dtype, const void* grad_output, const void* data, const void* rois,
                                           const void* trans, const void* top_count, void* grad_data, void* grad_trans,
                                           const int64_t* dims, int64_t num_classes, double spatial_scale,
                                           double trans_std, void* stream);

#endif
