// GroupNorm forward on CUDA, mirroring ne_group_norm_cpu.c: one block per (b, group). Its
// threads sum d = x - K and d*d in float64 (K the group's first element, as on the CPU), reduce
// them in shared memory, and then normalise the group with m = mean and a = weight * rstd
// computed in float64 and rounded to T, out = relu?((x - m) * a + bias) in T, as the CPU kernel
// does. Every read of the statistics pass precedes the barriers of the reduction,
// so out may be x.
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>
extern "C" {
#include "ne_group_norm.h"
#include "ne_status.h"
}
#include "ne_cuda.cuh"

namespace {

constexpr int kBlock = 256;

template <typename T>
__global__ void group_norm_kernel(const T* x, int64_t groups, int64_t cpg, int64_t hw, double eps, const T* weight,
                                  const T* bias, int32_t relu, T* out) {
    __shared__ double sum[kBlock];
    __shared__ double sq[kBlock];
    const int64_t g = blockIdx.x, glen = cpg * hw;
    const T* in = x + g * glen;
    const double k = (double) in[0];
    double s = 0, q = 0;
    for (int64_t i = threadIdx.x; i < glen; i += blockDim.x) {
        double d = (double) in[i] - k;
        s += d;
        q += d * d;
    }
    sum[threadIdx.x] = s;
    sq[threadIdx.x] = q;
    __syncthreads();
    for (int stride = kBlock / 2; stride > 0; stride /= 2) {
        if (threadIdx.x < stride) {
            sum[threadIdx.x] += sum[threadIdx.x + stride];
            sq[threadIdx.x] += sq[threadIdx.x + stride];
        }
        __syncthreads();
    }
    const double md = sum[0] / (double) glen;
    double var = sq[0] / (double) glen - md * md;
    if (var < 0) var = 0;
    const double rstd = 1.0 / sqrt(var + eps);
    const T m = (T) (k + md);
    T* o = out + g * glen;
    for (int64_t i = threadIdx.x; i < glen; i += blockDim.x) {
        const int64_t ch = (g % groups) * cpg + i / hw;
        const T a = (T) ((weight ? (double) weight[ch] : 1.0) * rstd), b = bias ? bias[ch] : (T) 0;
        T t = (in[i] - m) * a + b;
        o[i] = relu && t < (T) 0 ? (T) 0 : t;
    }
}

template <typename T>
int32_t launch(const void* x, int64_t n, int64_t c, int64_t hw, int64_t groups, double eps, const void* weight,
               const void* bias, int32_t relu, void* out, cudaStream_t s) {
    group_norm_kernel<T><<<(unsigned) (n * groups), kBlock, 0, s>>>((const T*) x, groups, c / groups, hw, eps,
                                                                     (const T*) weight, (const T*) bias, relu, (T*) out);
    return ne_cuda_launch_status();
}

}  // namespace

extern "C" int32_t ne_group_norm_cuda(int32_t dtype, const void* x, int64_t n, int64_t c, int64_t hw, int64_t groups,
                                      double eps, const void* weight, const void* bias, int32_t relu, void* out,
                                      void* stream) {
    if (dtype != 0 && dtype != 1) return NE_ERR_UNSUPPORTED_DTYPE;
    if (n < 0 || c < 0 || hw < 0 || groups < 1 || c % groups != 0 || !(eps >= 0) || (relu != 0 && relu != 1))
        return NE_ERR_INVALID_ARGUMENT;
    if (n == 0 || c == 0 || hw == 0) return NE_OK;
    if (x == nullptr || out == nullptr || n * groups > 2147483647LL) return NE_ERR_INVALID_ARGUMENT;
    cudaStream_t s = (cudaStream_t) stream;
    return dtype == 0 ? launch<float>(x, n, c, hw, groups, eps, weight, bias, relu, out, s)
                      : launch<double>(x, n, c, hw, groups, eps, weight, bias, relu, out, s);
}
