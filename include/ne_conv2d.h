/* 2-D convolution (PyTorch's conv2d: cross-correlation, zero padding) with a fused epilogue.
 * NCHW, contiguous, dtype 0 float32 / 1 float64.
 *
 * dims (10): N, C_in, H, W, C_out, kh, kw, H_out, W_out, groups.
 * conv (6):  stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w.
 * input [N,C_in,H,W]; weight [C_out, C_in/groups, kh, kw]; bias [C_out] or NULL; scale and
 * shift [C_out] or NULL (NULL scale: 1, NULL shift: 0); residual [N,C_out,H_out,W_out] or NULL;
 * relu 0 or 1. In this order:
 *   y = (bias[co] + sum_{ci in group(co), i, j} weight[co,ci',i,j] * x[n,ci,oy*s_h-p_h+i*d_h,ox*s_w-p_w+j*d_w])
 *   y = y * scale[co] + shift[co]     (computed as y*scale + (bias*scale + shift))
 *   y = y + residual[n,co,oy,ox]
 *   y = relu ? max(y, 0) : y          (NaN stays NaN)
 * output must not overlap input, weight, bias, scale or shift; residual may be output itself
 * (an in-place accumulate) but must not overlap it otherwise.
 *
 * The CPU entry point takes `gemm`, the address of cblas_sgemm (float32) or cblas_dgemm (float64)
 * of a loaded CBLAS (no link-time dependency on a BLAS), called from `threads` threads at once
 * (the caller runs that BLAS single-threaded). algo: 0 auto, 1 the GEMM path (1x1 convolutions
 * straight on the input, im2col otherwise), 2 Winograd F(4x4,3x3) (float32, 3x3, stride 1,
 * dilation 1, groups 1 only; NE_ERR_INVALID_ARGUMENT otherwise), 3 the direct kernel (float32,
 * groups 1, and either a 1x1 kernel with stride 1 and no padding, or C_in <= 4 with stride_w <= 2
 * and dilation_w 1 (the RGB stem); NE_ERR_INVALID_ARGUMENT otherwise; it does not call `gemm`).
 * Auto picks Winograd for float32 3x3 stride-1 dilation-1 ungrouped convolutions with >= 16
 * channels in and out, else the direct kernel where it fits, else the GEMM path. Results are
 * bit-identical for any thread count and isa. */
#ifndef NE_CONV2D_H
#define NE_CONV2D_H
#include <stdint.h>

int32_t ne_conv2d_forward_cpu(int32_t dtype, const void* input, const void* weight, const void* bias,
                              const void* scale, const void* shift, const void* residual, int32_t relu,
                              void* output, const int64_t* dims, const int64_t* conv, int32_t algo,
                              int64_t gemm, int32_t threads, int32_t isa);

/* CUDA: device pointers, the same arguments; never synchronises. NE_ERR_NOT_BUILT_WITH_CUDA in
 * the CPU build. */
int32_t ne_conv2d_forward_cuda(int32_t dtype, const void* input, const void* weight, const void* bias,
                               const void* scale, const void* shift, const void* residual, int32_t relu,
                               void* output, const int64_t* dims, const int64_t* conv, void* stream);

/* Selects the CUDA convolution: library is cuDNN's file name (searched as dlopen searches) or
 * path; NULL searches libcudnn.so.9, .so.8, .so; "" selects the project's direct kernel. Writes a
 * one-line description of the choice (NUL-terminated, at most capacity bytes). Returns NE_OK, or
 * NE_ERR_LIBRARY_UNAVAILABLE when a named library cannot be used (the direct kernel is selected
 * then). Until it is called, the first CUDA call searches. NE_ERR_NOT_BUILT_WITH_CUDA in the
 * CPU build. */
int32_t ne_conv2d_cuda_dnn(const char* library, char* description, int64_t capacity);

#endif
