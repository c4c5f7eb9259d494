/* Deformable position-sensitive ROI pooling, maskrcnn-benchmark's DeformRoIPoolingFunction
 * (docs/ops.md §6.1, DP sampler of §1), on the CPU and CUDA; dtype 0 float32 / 1 float64.
 *
 * data [N,C,H,W] with C = output_dim*group_size^2; rois [K,5] = (batch, x1, y1, x2, y2) in image
 * pixels; trans [K, 2*num_classes, part_size, part_size] (channel 2*cls = dx, 2*cls+1 = dy) or
 * NULL (no_trans, num_classes = 1); output and top_count [K, output_dim, pooled, pooled].
 * Outputs caller-allocated and zero-filled. The backward takes the forward's top_count;
 * grad_trans may be NULL (no_trans). threads and isa as every CPU entry point (ne_parallel.h):
 * results are identical for any of them. */
#ifndef NE_DEFORM_PSROI_POOL_H
#define NE_DEFORM_PSROI_POOL_H
#include <stdint.h>

int32_t ne_deform_psroi_pool_forward_cpu(int32_t dtype, const void* data, int64_t n, int64_t c, int64_t h, int64_t w,
                                         const void* rois, int64_t k, const void* trans, int64_t num_classes,
                                         int64_t output_dim, int64_t pooled, int64_t part_size, int64_t group_size,
                                         int64_t sample_per_part, double spatial_scale, double trans_std,
                                         void* output, void* top_count, int32_t threads, int32_t isa);

int32_t ne_deform_psroi_pool_backward_cpu(int32_t dtype, const void* grad_output, const void* data, int64_t n,
                                          int64_t c, int64_t h, int64_t w, const void* rois, int64_t k,
                                          const void* trans, int64_t num_classes, int64_t output_dim, int64_t pooled,
                                          int64_t part_size, int64_t group_size, int64_t sample_per_part,
                                          double spatial_scale, double trans_std, const void* top_count,
                                          void* grad_data, void* grad_trans, int32_t threads, int32_t isa);

int32_t ne_deform_psroi_pool_forward_cuda(int32_t dtype, const void* data, int64_t n, int64_t c, int64_t h, int64_t w,
                                          const void* rois, int64_t k, const void* trans, int64_t num_classes,
                                          int64_t output_dim, int64_t pooled, int64_t part_size, int64_t group_size,
                                          int64_t sample_per_part, double spatial_scale, double trans_std,
                                          void* output, void* top_count, void* stream);

int32_t ne_deform_psroi_pool_backward_cuda(int32_t dtype, const void* grad_output, const void* data, int64_t n,
                                           int64_t c, int64_t h, int64_t w, const void* rois, int64_t k,
                                           const void* trans, int64_t num_classes, int64_t output_dim, int64_t pooled,
                                           int64_t part_size, int64_t group_size, int64_t sample_per_part,
                                           double spatial_scale, double trans_std, const void* top_count,
                                           void* grad_data, void* grad_trans, void* stream);

#endif
