// ReLU and sigmoid on CUDA, mirroring ne_activation_cpu.c: one thread per element; float32's
// sigmoid takes e^-|x| from the same ne_fl_expf as the CPU kernel. out may be x.
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>
extern "C" {
#include "ne_activation.h"
#include "ne_status.h"
}
#include "ne_cuda.cuh"
#include "../cpp/ne_sigmoid_focal_loss_math.h"

namespace {

constexpr int kBlock = 256;

unsigned grid_for(int64_t n) {
    return ne_cuda_blocks(n, kBlock, 65535);
}

__device__ float neg_abs_exp(float v) { return ne_fl_expf(-fabsf(v)); }
__device__ double neg_abs_exp(double v) { return exp(-fabs(v)); }

template <typename T>
__global__ void activation_kernel(int32_t op, const T* x, T* out, int64_t count) {
    NE_GRID_LOOP(i, count) {
        T v = x[i];
        if (op == 0) {
            out[i] = v < (T) 0 ? (T) 0 : v;
        } else {
            // 1/(1+u) for v >= 0, u/(1+u) below, u = e^-|v| in (0, 1]: no overflow.
            T u = neg_abs_exp(v);
            out[i] = v >= (T) 0 ? (T) 1 / ((T) 1 + u) : u / ((T) 1 + u);
        }
    }
}

template <typename T>
int32_t launch(int32_t op, const void* x, void* out, int64_t count, cudaStream_t s) {
    activation_kernel<T><<<grid_for(count), kBlock, 0, s>>>(op, (const T*) x, (T*) out, count);
    return ne_cuda_launch_status();
}

}  // namespace

extern "C" int32_t ne_activation_cuda(int32_t op, int32_t dtype, int64_t count, const void* x, void* out, void* stream) {
    if (dtype != 0 && dtype != 1) return NE_ERR_UNSUPPORTED_DTYPE;
    if (op < 0 || op > 1 || count < 0) return NE_ERR_INVALID_ARGUMENT;
    if (count == 0) return NE_OK;
    if (x == nullptr || out == nullptr) return NE_ERR_INVALID_ARGUMENT;
    cudaStream_t s = (cudaStream_t) stream;
    return dtype == 0 ? launch<float>(op, x, out, count, s) : launch<double>(op, x, out, count, s);
}
