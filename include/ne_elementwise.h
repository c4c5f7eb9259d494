/* Elementwise binary arithmetic with NumPy broadcasting, on the CPU and on CUDA.
 *
 * All tensors are described by a shape shared by the output (ndim <= NE_MAX_DIMS, sizes >= 0)
 * and per-operand element strides (0 on an axis an operand is broadcast along). The output is
 * contiguous. dtype: 0 float32, 1 float64, 2 int32, 3 int64, 4 uint8. op: 0 add, 1 sub,
 * 2 mul, 3 div. Integer division truncates toward zero; MIN / -1 wraps to MIN (PyTorch's result);
 * a zero divisor returns NE_ERR_DIVISION_BY_ZERO, after writing the whole output (0 where the
 * divisor was 0). Nothing traps. */
#ifndef NE_ELEMENTWISE_H
#define NE_ELEMENTWISE_H
#include <stdint.h>

#define NE_MAX_DIMS 8

/* threads: the most threads to use (each output element is computed on its own: the same bits
 * for any count; at least 1M elements per thread); isa: as every CPU entry point takes it (0 auto, 1 baseline, 2 AVX2, 3 AVX-512),
 * though this op has one variant. */
int32_t ne_binary_cpu(int32_t op, int32_t dtype, int32_t ndim, const int64_t* shape,
                      const void* a, const int64_t* a_strides,
                      const void* b, const int64_t* b_strides,
                      void* out, int32_t threads, int32_t isa);

/* The same on device pointers, on a CUDA stream (NULL: the default stream). Returns
 * NE_ERR_NOT_BUILT_WITH_CUDA in a library built without CUDA. */
int32_t ne_binary_cuda(int32_t op, int32_t dtype, int32_t ndim, const int64_t* shape,
                       const void* a, const int64_t* a_strides,
                       const void* b, const int64_t* b_strides,
                       void* out, void* stream);

#endif
