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
 * CPU paths (algo): 0 auto, 1 the GEMM path (the project's own deterministic GEMM on im2col
 * columns, or straight on the input for 1x1 stride-1 unpadded convolutions), 2 Winograd
 * F(4x4,3x3) (float32, 3x3, stride 1, dilation 1, groups 1 only; NE_ERR_INVALID_ARGUMENT
 * otherwise), 3 the direct kernel (float32, groups 1, and either a 1x1 kernel with no padding
 * (any stride), or C_in <= 4 with stride_w <= 2 and dilation_w 1 (the RGB stem; for kernels 7
 * wide at stride_w 2 its rows run 1-D Winograd F(4,4) over the two column phases, float32 error
 * within 2e-6 of (sum |w x| + 1)); NE_ERR_INVALID_ARGUMENT otherwise). Auto picks Winograd for float32 3x3 stride-1 dilation-1
 * ungrouped convolutions with >= 16 channels in and out on planes of enough 4x4 tiles, else the
 * direct kernel where it fits (and, for 1x1, where the plane fills its 48-position blocks), else
 * the GEMM path. Results are bit-identical for any thread count and isa, and between the
 * prepared and the unprepared entry points for the same path. Every CPU entry point uses
 * `threads` threads of its own and the SIMD variant `isa` (ne_parallel.h's codes). */
#ifndef NE_CONV2D_H
#define NE_CONV2D_H
#include <stdint.h>

int32_t ne_conv2d_forward_cpu(int32_t dtype, const void* input, const void* weight, const void* bias,
                              const void* scale, const void* shift, const void* residual, int32_t relu,
                              void* output, const int64_t* dims, const int64_t* conv, int32_t algo,
                              int32_t threads, int32_t isa);

/* Prepared weights: the weights of one convolution laid out once as one CPU path reads them
 * (the scale folded in, packed for its kernel; Winograd's transform done), for a layer run many
 * times. The layout depends on dtype, path, C_out, C_in, kh, kw and groups only (not on the
 * plane size, stride or isa). The caller owns the memory:
 *   ne_conv2d_path_cpu           *path = the path algo selects for these shapes on isa: 1 GEMM,
 *                                2 Winograd, 3 direct; or'ed with 8 where the float32 GEMM or
 *                                pointwise path's product runs on AMX tiles (9, 11: see below),
 *                                with 16 where Winograd runs F(2x2) (18: 256-384 channels on
 *                                small planes), each with weights prepared for that route only;
 *   ne_conv2d_prepared_bytes_cpu *bytes = the size of path's prepared weights;
 *   ne_conv2d_prepare_cpu        writes them into `prepared` (bytes at least that size);
 *   ne_conv2d_forward_prepared_cpu runs the path they were prepared for on input, with the
 *                                epilogue's scale, shift and bias as they were at preparation.
 * A prepared buffer may be read by several calls at once. NE_ERR_INVALID_ARGUMENT for a buffer
 * not prepared by ne_conv2d_prepare_cpu, too small, or for other channel counts, kernel size,
 * groups or dtype than dims/dtype, a path that cannot run these shapes, or a path other than
 * the one ne_conv2d_path_cpu gives for these shapes on the forward's isa as to its route (8,
 * 16): which route runs, and so the bits, follow from the shapes and the isa only. */
/* 1 where this process may use AMX (the CPU has AMX-BF16 and Linux grants its tile state), else
 * 0. Then the float32 GEMM and pointwise paths run their product on AMX tiles (float32 accuracy,
 * other bits than the AVX-512 chain) for isa AMX (4), and for AUTO (0) on the shapes where that
 * measured faster; ne_conv2d_path_cpu then gives the path with 8, whose prepared weights hold
 * that route's weights only (bf16x3, 1.5x the float32 ones). */
int32_t ne_conv2d_amx_usable_cpu(void);

int32_t ne_conv2d_path_cpu(int32_t dtype, const int64_t* dims, const int64_t* conv, int32_t algo, int32_t isa, int32_t* path);

int32_t ne_conv2d_prepared_bytes_cpu(int32_t dtype, const int64_t* dims, const int64_t* conv, int32_t path,
                                     int64_t* bytes);

int32_t ne_conv2d_prepare_cpu(int32_t dtype, const void* weight, const void* bias, const void* scale, const void* shift,
                              const int64_t* dims, const int64_t* conv, int32_t path, void* prepared, int64_t bytes,
                              int32_t threads, int32_t isa);

int32_t ne_conv2d_forward_prepared_cpu(int32_t dtype, const void* input, const void* prepared, int64_t bytes,
                                       const void* residual, int32_t relu, void* output, const int64_t* dims,
                                       const int64_t* conv, int32_t threads, int32_t isa);

/* conv2d on prepared weights with max_pool2d fused after its epilogue (the ResNet stem: conv
 * 7x7/2 + folded BN + ReLU, then max-pool 3x3/2 padding 1): output [N, C_out, pool_out[0],
 * pool_out[1]] = max_pool2d(relu?(conv(input) * scale + shift)), with pool = {kh, kw, sh, sw,
 * ph, pw, dh, dw} (kh <= 64) and pool_out the pooled size (ceil_mode or not: the caller's;
 * padding is -inf), without writing the convolution's output to memory. Bit-identical to
 * ne_conv2d_forward_prepared_cpu then ne_max_pool2d_cpu, for any thread count and isa. Only the
 * direct kernel's shapes (float32, groups 1, C_in <= 4, stride_w <= 2, dilation_w 1) prepared for
 * path 3; NE_ERR_INVALID_ARGUMENT otherwise (the caller runs the two ops then). No residual. */
int32_t ne_conv2d_forward_prepared_max_pool_cpu(int32_t dtype, const void* input, const void* prepared, int64_t bytes,
                                                int32_t relu, void* output, const int64_t* dims, const int64_t* conv,
                                                const int64_t* pool, const int64_t* pool_out, int32_t threads, int32_t isa);

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
