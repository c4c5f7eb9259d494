// Sigmoid focal loss on CUDA: one thread per element (grid-stride), the per-element math taken
// from the very header the CPU kernels use (ne_sigmoid_focal_loss_math.h), so CPU and CUDA
// differ only by the device's exp/log1p/pow (a few ulp).
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>
extern "C" {
#include "ne_sigmoid_focal_loss.h"
#include "ne_status.h"
}
#include "ne_cuda.cuh"
#include "../cpp/ne_sigmoid_focal_loss_math.h"

namespace {

template <typename T> struct Math;
template <> struct Math<float> {
    __device__ static float elem(float x, float t, float g, float a, int grad) { return ne_fl_elem_f32(x, t, g, a, grad); }
    __device__ static float target(const void* tg, int32_t conv, int64_t i, int64_t j, int64_t c, int* keep) {
        return ne_fl_target_f32(tg, conv, i, j, c, keep);
    }
};
template <> struct Math<double> {
    __device__ static double elem(double x, double t, double g, double a, int grad) { return ne_fl_elem_f64(x, t, g, a, grad); }
    __device__ static double target(const void* tg, int32_t conv, int64_t i, int64_t j, int64_t c, int* keep) {
        return ne_fl_target_f64(tg, conv, i, j, c, keep);
    }
};

template <typename T>
__global__ void focal_kernel(int64_t n, int64_t c, const T* x, const void* targets, int32_t conv, T gamma, T alpha,
                             const T* grad_loss, T* out) {
    const int64_t total = n * c;
    NE_GRID_LOOP(o, total) {
        const int64_t i = o / c, j = o % c;
        int keep;
        T t = Math<T>::target(targets, conv, i, j, c, &keep);
        T v = keep ? Math<T>::elem(x[o], t, gamma, alpha, grad_loss != nullptr) : (T) 0;
        out[o] = grad_loss ? (keep ? grad_loss[o] * v : (T) 0) : v;
    }
}

int32_t launch(int32_t dtype, int64_t n, int64_t c, const void* x, const void* targets, int32_t conv, double gamma,
               double alpha, const void* grad_loss, void* out, void* stream) {
    if (n < 0 || c < 0 || (conv != 0 && conv != 1)) return NE_ERR_INVALID_ARGUMENT;
    if (dtype != 0 && dtype != 1) return NE_ERR_UNSUPPORTED_DTYPE;
    if (n == 0 || c == 0) return NE_OK;
    if (!x || !targets || !out) return NE_ERR_INVALID_ARGUMENT;
    cudaStream_t s = (cudaStream_t) stream;
    const int64_t total = n * c;
    const unsigned blocks = ne_cuda_blocks(total, 256, 65535);
    if (dtype == 0) {
        focal_kernel<float><<<blocks, 256, 0, s>>>(n, c, (const float*) x, targets, conv, (float) gamma, (float) alpha,
                                                   (const float*) grad_loss, (float*) out);
    } else {
        focal_kernel<double><<<blocks, 256, 0, s>>>(n, c, (const double*) x, targets, conv, gamma, alpha,
                                                    (const double*) grad_loss, (double*) out);
    }
    return ne_cuda_launch_status();
}

}  // namespace

extern "C" int32_t ne_sigmoid_focal_loss_forward_cuda(int32_t dtype, int64_t n, int64_t c, const void* logits,
                                                      const void* targets, int32_t convention, double gamma, double alpha,
                                                      void* loss, void* stream) {
    return launch(dtype, n, c, logits, targets, convention, gamma, alpha, nullptr, loss, stream);
}

extern "C" int32_t ne_sigmoid_focal_loss_backward_cuda(int32_t dtype, int64_t n, int64_t c, const void* logits,
                                                       const void* targets, int32_t convention, double gamma, double alpha,
                                                       const void* grad_loss, void* grad_logits, void* stream) {
    if (grad_loss == NULL && n > 0 && c > 0) return NE_ERR_INVALID_ARGUMENT;
    return launch(dtype, n, c, logits, targets, convention, gamma, alpha, grad_loss, grad_logits, stream);
}
