/* Host side in C99: allocation, copies and error handling through the CUDA runtime API. */
#include <cuda_runtime_api.h>
#include "cuda_scale.h"

/* Declared by cuda_scale_kernel.cu. */
int32_t cs_launch_scale(int64_t n, float k, const float* x, float* y, void* stream);

int32_t cs_scale_device(int64_t n, float k, const float* x, float* y, void* stream) {
    if (n < 0) return (int32_t) cudaErrorInvalidValue;
    if (n == 0) return 0;
    return cs_launch_scale(n, k, x, y, stream);
}

int32_t cs_scale_host(int64_t n, float k, const float* x, float* y) {
    if (n < 0) return (int32_t) cudaErrorInvalidValue;
    if (n == 0) return 0;
    float* dx = NULL;
    float* dy = NULL;
    size_t bytes = (size_t) n * sizeof(float);
    cudaError_t e = cudaMalloc((void**) &dx, bytes);
    if (e == cudaSuccess) e = cudaMalloc((void**) &dy, bytes);
    if (e == cudaSuccess) e = cudaMemcpy(dx, x, bytes, cudaMemcpyHostToDevice);
    if (e == cudaSuccess) e = (cudaError_t) cs_launch_scale(n, k, dx, dy, NULL);
    if (e == cudaSuccess) e = cudaMemcpy(y, dy, bytes, cudaMemcpyDeviceToHost);
    cudaFree(dx);
    cudaFree(dy);
    return (int32_t) e;
}

int32_t cs_device_count(int32_t* count) {
    int c = 0;
    cudaError_t e = cudaGetDeviceCount(&c);
    *count = e == cudaSuccess ? c : 0;
    return (int32_t) e;
}

const char* cs_error_string(int32_t status) {
    return cudaGetErrorString((cudaError_t) status);
}
