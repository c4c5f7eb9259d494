/* Deformable convolution v1 and modulated v2 (DCNv2), torchvision's deform_conv2d semantics
 * (ops.md §5): NCHW, contiguous, dtype 0 float32 / 1 float64.
 *
 * dims (11): N, C_in, H, W, C_out, kh, kw, H_out, W_out, groups, offset_groups.
 * conv (6):  stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w.
 * input [N,C_in,H,W]; offset [N, 2*offset_groups*kh*kw, H_out, W_out], channel
 * 2*(gd*kh*kw + i*kw + j) + axis with axis 0 = dy (row), 1 = dx (col); mask (NULL: v1)
 * [N, offset_groups*kh*kw, H_out, W_out]; weight [C_out, C_in/groups, kh, kw]; bias (NULL: none)
 * [C_out]. im2col_step: images per column buffer (bounds it to C_in*kh*kw*step*H_out*W_out).
 *
 * The CPU entry points take `gemm`, the address of cblas_sgemm (float32) or cblas_dgemm
 * (float64) of a loaded CBLAS, so that this library has no link-time dependency on a BLAS.
 * Outputs are caller-allocated and zero-filled. */
#ifndef NE_DEFORM_CONV_H
#define NE_DEFORM_CONV_H
#include <stdint.h>

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
 * (forward) or twice that (backward). GEMM is cuBLAS-free (a tiled shared-memory kernel).
 * Never synchronises. NE_ERR_NOT_BUILT_WITH_CUDA in the CPU build. */
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

#endif
