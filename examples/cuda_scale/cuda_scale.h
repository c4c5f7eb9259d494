/* A CUDA extension: C99 host code in cuda_scale.c, the kernel in cuda_scale_kernel.cu. */
#ifndef CUDA_SCALE_H
#define CUDA_SCALE_H
#include <stdint.h>

/* Every function returns 0 or a cudaError_t value; cs_error_string names it. */

/* y[i] = k * x[i] for n floats in host memory (copied to the device and back). */
int32_t cs_scale_host(int64_t n, float k, const float* x, float* y);

/* The same on device memory (e.g. a cuda Tensor), on the given stream (NULL: default stream). */
int32_t cs_scale_device(int64_t n, float k, const float* x, float* y, void* stream);

int32_t cs_device_count(int32_t* count);

const char* cs_error_string(int32_t status);

#endif
