/* Element-wise activations on the CPU and on CUDA: op 0 ReLU (max(x, 0); NaN stays NaN, as
 * torch.relu), op 1 sigmoid (1 / (1 + e^-x), computed without overflow for any x). dtype 0
 * float32, 1 float64; count elements, contiguous; out may be x (in place, as relu_ / sigmoid_).
 * Every element is computed on its own: identical results for any thread count and isa. */
#ifndef NE_ACTIVATION_H
#define NE_ACTIVATION_H
#include <stdint.h>

int32_t ne_activation_cpu(int32_t op, int32_t dtype, int64_t count, const void* x, void* out, int32_t threads,
                          int32_t isa);

int32_t ne_activation_cuda(int32_t op, int32_t dtype, int64_t count, const void* x, void* out, void* stream);

#endif
