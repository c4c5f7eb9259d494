/* ROIAlign (torchvision semantics, with the `aligned` flag) on the CPU and on CUDA.
 *
 * input [N,C,H,W] and output [K,C,PH,PW] contiguous NCHW; rois [K,5] rows
 * (batch index, x1, y1, x2, y2) in input-image pixels, of the same dtype (0 float32, 1 float64).
 * The caller has validated every roi (finite, batch index integral in [0,N)); the kernels still
 * reject a batch index outside [0,N) with NE_ERR_INDEX_OUT_OF_RANGE rather than read out of
 * bounds. sampling_ratio <= 0 means adaptive (ceil(roi size / bins)). Outputs are written in full
 * (the forward overwrites `output`, the backward overwrites `grad_input`).
 * threads: CPU threads (results are bit-identical for any count); isa: ne_parallel.h codes. */
#ifndef NE_ROI_ALIGN_H
#define NE_ROI_ALIGN_H
#include <stdint.h>

int32_t ne_roi_align_forward_cpu(int32_t dtype, const void* input, int64_t n, int64_t c, int64_t h, int64_t w,
                                 const void* rois, int64_t k, int64_t ph, int64_t pw, double spatial_scale,
                                 int32_t sampling_ratio, int32_t aligned, void* output,
                                 int32_t threads, int32_t isa);

/* grad_output [K,C,PH,PW] -> grad_input [N,C,H,W]. Deterministic by construction: each task owns
 * a channel block of grad_input and walks the rois in a fixed order. */
int32_t ne_roi_align_backward_cpu(int32_t dtype, const void* grad_output, const void* rois, int64_t k,
                                  int64_t n, int64_t c, int64_t h, int64_t w, int64_t ph, int64_t pw,
                                  double spatial_scale, int32_t sampling_ratio, int32_t aligned,
                                  void* grad_input, int32_t threads, int32_t isa);

/* The same on device pointers, on a CUDA stream (NULL: the default stream); never synchronises.
 * NE_ERR_NOT_BUILT_WITH_CUDA in a library built without CUDA. The batch index is not range
 * checked on the device (the Java layer has). */
int32_t ne_roi_align_forward_cuda(int32_t dtype, const void* input, int64_t n, int64_t c, int64_t h, int64_t w,
                                  const void* rois, int64_t k, int64_t ph, int64_t pw, double spatial_scale,
                                  int32_t sampling_ratio, int32_t aligned, void* output, void* stream);

/* deterministic != 0: a gather formulation, each grad_input element summed by one thread over the
 * rois in index order (no atomics, bit-reproducible); 0: torchvision's atomicAdd scatter.
 * grad_input must be zero-filled by the caller for the atomic path. */
int32_t ne_roi_align_backward_cuda(int32_t dtype, const void* grad_output, const void* rois, int64_t k,
                                   int64_t n, int64_t c, int64_t h, int64_t w, int64_t ph, int64_t pw,
                                   double spatial_scale, int32_t sampling_ratio, int32_t aligned,
                                   int32_t deterministic, void* grad_input, void* stream);

#endif
