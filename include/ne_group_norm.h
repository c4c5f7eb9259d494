/* GroupNorm forward (torch.nn.functional.group_norm, maskrcnn-benchmark's group_norm), with an
 * optional fused ReLU, on the CPU and on CUDA.
 *
 * x [n, c, hw] contiguous NCHW, dtype 0 float32 / 1 float64; groups divides c; each (b, group)
 * of c/groups channels is normalised by its own mean and biased variance:
 *   out[b,ch,i] = relu?( (x - mean) / sqrt(var + eps) * weight[ch] + bias[ch] )
 * weight and bias [c] or NULL (1 and 0). out may be x. Statistics are accumulated in float64
 * about a shift (the group's first element), so a large mean does not cancel the variance; they
 * are summed in fixed chunks in a fixed order: identical results for any thread count and isa. */
#ifndef NE_GROUP_NORM_H
#define NE_GROUP_NORM_H
#include <stdint.h>

int32_t ne_group_norm_cpu(int32_t dtype, const void* x, int64_t n, int64_t c, int64_t hw, int64_t groups, double eps,
                          const void* weight, const void* bias, int32_t relu, void* out, int32_t threads, int32_t isa);

int32_t ne_group_norm_cuda(int32_t dtype, const void* x, int64_t n, int64_t c, int64_t hw, int64_t groups, double eps,
                           const void* weight, const void* bias, int32_t relu, void* out, void* stream);

#endif
