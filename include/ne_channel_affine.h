/* Per-channel affine map with a residual and a ReLU, on NCHW tensors, on the CPU and on CUDA:
 *
 *   out[b,c,i] = relu?( x[b,c,i] * scale[c] + shift[c] + residual[b,c,i] )
 *
 * evaluated in that order in the tensor's dtype (0 float32, 1 float64): a frozen batch norm
 * (FrozenBatchNorm2d), and the epilogue of a convolution (conv2d's, DFConv2d's): scale and shift
 * a folded batch norm, then the identity branch of a bottleneck, then its ReLU. x and out are
 * [n, c, hw] contiguous; scale and shift [c], either may be NULL (1 and 0); residual NULL or
 * [n, c, hw]; relu 0 or 1 (max(v, 0), NaN stays NaN). out may be x or residual (in place).
 * Every element is computed on its own, so results are identical for any thread count and isa
 * (0 auto, 1 baseline, 2 AVX2, 3 AVX-512: see ne_parallel.h). */
#ifndef NE_CHANNEL_AFFINE_H
#define NE_CHANNEL_AFFINE_H
#include <stdint.h>

int32_t ne_channel_affine_cpu(int32_t dtype, const void* x, int64_t n, int64_t c, int64_t hw, const void* scale,
                              const void* shift, const void* residual, int32_t relu, void* out, int32_t threads,
                              int32_t isa);

/* The same on device pointers, on a CUDA stream (NULL: the default stream). */
int32_t ne_channel_affine_cuda(int32_t dtype, const void* x, int64_t n, int64_t c, int64_t hw, const void* scale,
                               const void* shift, const void* residual, int32_t relu, void* out, void* stream);

#endif
