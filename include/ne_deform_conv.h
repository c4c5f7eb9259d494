/* Deformable convolution v1 and modulated v2 (DCNv2), torchvision's deform_conv2d semantics
 * (docs/ops.md §5): NCHW, contiguous, dtype 0 float32 / 1 float64.
 *
 * dims (11): N, C_in, H, W, C_out, kh, kw, H_out, W_out, groups, offset_groups.
 * conv (7):  stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w, offset_grad: the offset
 *            gradient's convention for sample points exactly on -1 (row or column), where the
 *            bilinear weights are all 0 but the corners on row/column 0 exist.
 *            NE_DCN_OFFSET_GRAD_TORCHVISION (0) takes the gradient from those corners, as
 *            torchvision's kernels do; NE_DCN_OFFSET_GRAD_MASKRCNN_BENCHMARK (1) gives 0, as
 *            maskrcnn-benchmark's and mmcv's do. Forward results do not depend on it.
 * input [N,C_in,H,W]; offset [N, 2*offset_groups*kh*kw, H_out, W_out], channel
 * 2*(gd*kh*kw + i*kw + j) + axis with axis 0 = dy (row), 1 = dx (col); mask (NULL: v1)
 * [N, offset_groups*kh*kw, H_out, W_out]; weight [C_out, C_in/groups, kh, kw]; bias (NULL: none)
 * [C_out]. im2col_step: images per column buffer (bounds it to C_in*kh*kw*step*H_out*W_out).
 *
 * CPU: `gemm` is no longer used (it was the address of a CBLAS sgemm/dgemm; the CPU kernels now
 * run their own single-threaded GEMM on each of their threads, so that the results are the same
 * bits for any `threads` and `isa`); any value, 0 included, is accepted. threads: the number of
 * threads (the caller's and threads - 1 started per call); isa: 0 auto, 1 baseline, 2 AVX2,
 * 3 AVX-512 (ne_parallel.h). Outputs are caller-allocated and zero-filled. */
#ifndef NE_DEFORM_CONV_H
#define NE_DEFORM_CONV_H
#include <stdint.h>

#define NE_DCN_OFFSET_GRAD_TORCHVISION 0
#define NE_DCN_OFFSET_GRAD_MASKRCNN_BENCHMARK 1

int32_t ne_deform_conv_forward_cpu(int32_t dtype, const void* input, const void* offset, const void* mask,
                                   const void* weight, const void* bias, void* output,
                                   const int64_t* dims, const int64_t* conv, int64_t im2col_step,
                                   int64_t gemm, int32_t threads, int32_t isa);

/* grad_mask may be NULL (and must be when mask is NULL); grad_bias may be NULL. */
int32_t ne_deform_conv_backward_cpu(int32_t dtype, const void* grad_output, const void* input,
                                    const void* offset, const void* mask, const void* weight,
                                    void* grad_input, void* grad_offset, void* grad_mask,
                                    void* grad_weight, void* grad_bias,
                                    const int64_t* dims, const int64_t* conv, int64_t im2col_step,
                                    int64_t gemm, int32_t threads, int32_t isa);

/* CUDA: device pointers; workspace holds C_in*kh*kw*im2col_step*H_out*W_out elements of dtype
 * (forward) or twice that (backward). The GEMMs run in cuBLAS when one was found at run time
 * (see ne_deform_conv_cuda_gemm), else in a tiled shared-memory kernel. Never synchronises.
 * NE_ERR_NOT_BUILT_WITH_CUDA in the CPU build. */
int32_t ne_deform_conv_forward_cuda(int32_t dtype, const void* input, const void* offset, const void* mask,
                                    const void* weight, const void* bias, void* output,
                                    const int64_t* dims, const int64_t* conv, int64_t im2col_step,
                                    void* workspace, void* stream);

int32_t ne_deform_conv_backward_cuda(int32_t dtype, const void* grad_output, const void* input,
                                     const void* offset, const void* mask, const void* weight,
                                     void* grad_input, void* grad_offset, void* grad_mask,
                                     void* grad_weight, void* grad_bias,
                                     const int64_t* dims, const int64_t* conv, int64_t im2col_step,
                                     void* workspace, void* stream);

/* Chooses the GEMM of the CUDA entry points. library: the cuBLAS to dlopen (a file name, searched
 * as dlopen searches, or a path); NULL searches libcublas.so.13, .so.12, .so; "" selects the
 * tiled kernel. Until this is called, the first CUDA call searches as for NULL. Writes one line
 * saying which GEMM is in use (and, without cuBLAS, why) into description (capacity bytes,
 * NUL-terminated). Returns NE_OK (also when the NULL search finds nothing: the tiled kernel is
 * the normal case then), NE_ERR_LIBRARY_UNAVAILABLE when a named library cannot be loaded or
 * lacks a cuBLAS symbol (the tiled kernel is used), NE_ERR_NOT_BUILT_WITH_CUDA in the CPU build.
 * Call it before launching work on other threads: CUDA calls already running keep their GEMM. */
int32_t ne_deform_conv_cuda_gemm(const char* library, char* description, int64_t capacity);

#endif
