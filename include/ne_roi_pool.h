/* ROIPool (torchvision semantics, docs/ops.md §3) on the CPU and on CUDA.
 *
 * input [N,C,H,W] contiguous NCHW; rois [K,5] rows (batch index, x1, y1, x2, y2) in image pixels, of
 * the input's dtype (0 float32, 1 float64); output [K,C,PH,PW] and argmax int32 [K,C,PH,PW] (the
 * flat h*W+w of the maximum within its (b,c) plane, -1 for an empty bin, whose output is 0).
 * Corners are rounded half away from zero after scaling; ends are inclusive. Max ties go to the
 * first pixel in row-major scan order; NaN is never selected. The caller validated the rois.
 * threads and isa as every CPU entry point (ne_parallel.h): results are identical for any of them;
 * outputs are written in full. */
#ifndef NE_ROI_POOL_H
#define NE_ROI_POOL_H
#include <stdint.h>

int32_t ne_roi_pool_forward_cpu(int32_t dtype, const void* input, int64_t n, int64_t c, int64_t h, int64_t w,
                                const void* rois, int64_t k, int64_t ph, int64_t pw, double spatial_scale,
                                void* output, int32_t* argmax, int32_t threads, int32_t isa);

/* grad_input[b,c].flat[argmax] += grad_output, skipping argmax -1; grad_input is overwritten.
 * Each task owns whole (b,c) planes and walks the rois in index order: deterministic. */
int32_t ne_roi_pool_backward_cpu(int32_t dtype, const void* grad_output, const int32_t* argmax, const void* rois,
                                 int64_t k, int64_t n, int64_t c, int64_t h, int64_t w, int64_t ph, int64_t pw,
                                 void* grad_input, int32_t threads, int32_t isa);

int32_t ne_roi_pool_forward_cuda(int32_t dtype, const void* input, int64_t n, int64_t c, int64_t h, int64_t w,
                                 const void* rois, int64_t k, int64_t ph, int64_t pw, double spatial_scale,
                                 void* output, int32_t* argmax, void* stream);

/* atomicAdd scatter (torchvision); grad_input must be zero-filled by the caller. */
int32_t ne_roi_pool_backward_cuda(int32_t dtype, const void* grad_output, const int32_t* argmax, const void* rois,
                                  int64_t k, int64_t n, int64_t c, int64_t h, int64_t w, int64_t ph, int64_t pw,
                                  void* grad_input, void* stream);

#endif
