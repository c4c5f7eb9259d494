#include <cuda_runtime.h>
#include <stdint.h>

static __global__ void vs_scale_kernel(int64_t n, float k, float* x) {
    int64_t i = (int64_t) blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[i] *= k;
}

/* Copies x to the device, scales it, copies it back; 0 or the first CUDA error. */
extern "C" int32_t vs_scale_cuda(int64_t n, float k, float* x) {
    float* d = NULL;
    size_t bytes = (size_t) n * sizeof(float);
    cudaError_t e = cudaMalloc((void**) &d, bytes);
    if (e != cudaSuccess) return (int32_t) e;
    e = cudaMemcpy(d, x, bytes, cudaMemcpyHostToDevice);
    if (e == cudaSuccess) {
        vs_scale_kernel<<<(unsigned) ((n + 255) / 256), 256>>>(n, k, d);
        e = cudaGetLastError();
    }
    if (e == cudaSuccess) e = cudaMemcpy(x, d, bytes, cudaMemcpyDeviceToHost);
    cudaFree(d);
    return (int32_t) e;
}

extern "C" const char* vs_cuda_status_string(int32_t status) {
    return cudaGetErrorString((cudaError_t) status);
}
