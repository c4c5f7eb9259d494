// Per-channel affine + residual + ReLU on CUDA, mirroring ne_channel_affine_cpu.c: one thread per
// element (grid-stride), the same operations in the same order. out may be x or residual (each
// element is read before it is written, by the same thread).
#include <cuda_runtime.h>
#include <stdint.h>
extern "C" {
#include "ne_channel_affine.h"
#include "ne_status.h"
}
#include "ne_cuda.cuh"

namespace {

constexpr int kBlock = 256;

unsigned grid_for(int64_t n) {
    return ne_cuda_blocks(n, kBlock, 65535);
}

template <typename T>
__global__ void affine_kernel(const T* x, int64_t c, int64_t hw, const T* scale, const T* shift, const T* residual,
                              int32_t relu, T* out, int64_t total) {
    NE_GRID_LOOP(i, total) {
        int64_t ch = (i / hw) % c;
        T s = scale ? scale[ch] : (T) 1, b = shift ? shift[ch] : (T) 0;
        T t = x[i] * s + b;
        if (residual) t = t + residual[i];
        if (relu) t = t < (T) 0 ? (T) 0 : t;
        out[i] = t;
    }
}

template <typename T>
int32_t launch(const void* x, int64_t c, int64_t hw, const void* scale, const void* shift, const void* residual,
               int32_t relu, void* out, int64_t total, cudaStream_t s) {
    affine_kernel<T><<<grid_for(total), kBlock, 0, s>>>((const T*) x, c, hw, (const T*) scale, (const T*) shift,
                                                        (const T*) residual, relu, (T*) out, total);
    return ne_cuda_launch_status();
}

}  // namespace

extern "C" int32_t ne_channel_affine_cuda(int32_t dtype, const void* x, int64_t n, int64_t c, int64_t hw,
                                          const void* scale, const void* shift, const void* residual, int32_t relu,
                                          void* out, void* stream) {
    if (dtype != 0 && dtype != 1) return NE_ERR_UNSUPPORTED_DTYPE;
    if (n < 0 || c < 0 || hw < 0 || (relu != 0 && relu != 1)) return NE_ERR_INVALID_ARGUMENT;
    const int64_t total = n * c * hw;
    if (total == 0) return NE_OK;
    if (x == nullptr || out == nullptr) return NE_ERR_INVALID_ARGUMENT;
    cudaStream_t s = (cudaStream_t) stream;
    return dtype == 0 ? launch<float>(x, c, hw, scale, shift, residual, relu, out, total, s)
                      : launch<double>(x, c, hw, scale, shift, residual, relu, out, total, s);
}
