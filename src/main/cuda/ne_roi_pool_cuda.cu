// ROIPool on CUDA, mirroring ne_roi_pool_cpu.c and torchvision's cuda/roi_pool_kernel.cu: one
// thread per output element (pw fastest, then ph, c, k); the backward scatters with atomicAdd.
#include <cuda_runtime.h>
#include <float.h>
#include <stdint.h>
extern "C" {
#include "ne_roi_pool.h"
#include "ne_status.h"
}
#include "ne_cuda.cuh"

namespace {

constexpr int kBlock = 512;

unsigned grid_for(int64_t n) {
    return ne_cuda_blocks(n, kBlock, 4096);
}

template <typename T> __device__ T lowest();
template <> __device__ float lowest<float>() { return -FLT_MAX; }
template <> __device__ double lowest<double>() { return -DBL_MAX; }

__device__ int64_t clip(int64_t v, int64_t hi) { return v < 0 ? 0 : v > hi ? hi : v; }

template <typename T>
__global__ void forward_kernel(const T* in, int64_t C, int64_t H, int64_t W, const T* rois, int64_t PH, int64_t PW,
                               double scale, T* out, int32_t* argmax, int64_t total) {
    NE_GRID_LOOP(i, total) {
        int64_t pw = i % PW, ph = (i / PW) % PH, c = (i / (PW * PH)) % C, k = i / (PW * PH * C);
        const T* r = rois + k * 5;
        int64_t b = (int64_t) r[0];
        int64_t xs = (int64_t) round(r[1] * (T) scale), ys = (int64_t) round(r[2] * (T) scale);
        int64_t xe = (int64_t) round(r[3] * (T) scale), ye = (int64_t) round(r[4] * (T) scale);
        int64_t rw = xe - xs + 1 > 1 ? xe - xs + 1 : 1, rh = ye - ys + 1 > 1 ? ye - ys + 1 : 1;
        T bh = (T) rh / (T) PH, bw = (T) rw / (T) PW;
        int64_t hs = clip((int64_t) floor((T) ph * bh) + ys, H), he = clip((int64_t) ceil((T) (ph + 1) * bh) + ys, H);
        int64_t ws = clip((int64_t) floor((T) pw * bw) + xs, W), we = clip((int64_t) ceil((T) (pw + 1) * bw) + xs, W);
        bool empty = he <= hs || we <= ws;
        const T* plane = in + (b * C + c) * H * W;
        T best = empty ? (T) 0 : lowest<T>();
        int32_t arg = -1;
        for (int64_t y = hs; y < he; y++)
            for (int64_t x = ws; x < we; x++)
                if (plane[y * W + x] > best) {
                    best = plane[y * W + x];
                    arg = (int32_t) (y * W + x);
                }
        out[i] = best;
        argmax[i] = arg;
    }
}

template <typename T>
__global__ void backward_kernel(const T* g, const int32_t* argmax, const T* rois, int64_t C, int64_t HW, int64_t P,
                                T* gin, int64_t total) {
    NE_GRID_LOOP(i, total) {
        int64_t c = (i / P) % C, k = i / (P * C);
        int32_t a = argmax[i];
        if (a < 0 || a >= HW) continue;
        int64_t b = (int64_t) rois[k * 5];
        atomicAdd(gin + (b * C + c) * HW + a, g[i]);
    }
}

}  // namespace

extern "C" int32_t ne_roi_pool_forward_cuda(int32_t dtype, const void* input, int64_t n, int64_t c, int64_t h, int64_t w,
                                            const void* rois, int64_t k, int64_t ph, int64_t pw, double spatial_scale,
                                            void* output, int32_t* argmax, void* stream) {
    if (n < 0 || c < 0 || h < 0 || w < 0 || k < 0 || ph <= 0 || pw <= 0 || !(spatial_scale > 0)) return NE_ERR_INVALID_ARGUMENT;
    if (dtype != 0 && dtype != 1) return NE_ERR_UNSUPPORTED_DTYPE;  /* as the CPU entry point, even with nothing to do */
    int64_t total = k * c * ph * pw;
    if (total == 0) return NE_OK;
    cudaStream_t s = (cudaStream_t) stream;
    if (dtype == 0)
        forward_kernel<float><<<grid_for(total), kBlock, 0, s>>>((const float*) input, c, h, w, (const float*) rois, ph, pw,
                                                                 spatial_scale, (float*) output, argmax, total);
    else if (dtype == 1)
        forward_kernel<double><<<grid_for(total), kBlock, 0, s>>>((const double*) input, c, h, w, (const double*) rois, ph,
                                                                  pw, spatial_scale, (double*) output, argmax, total);
    else
        return NE_ERR_UNSUPPORTED_DTYPE;
    return ne_cuda_launch_status();
}

extern "C" int32_t ne_roi_pool_backward_cuda(int32_t dtype, const void* grad_output, const int32_t* argmax,
                                             const void* rois, int64_t k, int64_t n, int64_t c, int64_t h, int64_t w,
                                             int64_t ph, int64_t pw, void* grad_input, void* stream) {
    if (n < 0 || c < 0 || h < 0 || w < 0 || k < 0 || ph <= 0 || pw <= 0) return NE_ERR_INVALID_ARGUMENT;
    int64_t total = k * c * ph * pw;
    if (total == 0 || h * w == 0) return NE_OK;
    cudaStream_t s = (cudaStream_t) stream;
    if (dtype == 0)
        backward_kernel<float><<<grid_for(total), kBlock, 0, s>>>((const float*) grad_output, argmax, (const float*) rois, c,
                                                                  h * w, ph * pw, (float*) grad_input, total);
    else if (dtype == 1)
        backward_kernel<double><<<grid_for(total), kBlock, 0, s>>>((const double*) grad_output, argmax,
                                                                   (const double*) rois, c, h * w, ph * pw,
                                                                   (double*) grad_input, total);
    else
        return NE_ERR_UNSUPPORTED_DTYPE;
    return ne_cuda_launch_status();
}
