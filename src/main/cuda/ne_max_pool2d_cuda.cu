// 2-D max pooling and global average pooling on CUDA, mirroring ne_max_pool2d_cpu.c: one thread
// per output element scans its window (rows, then columns) with the same NaN-propagating max.
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>
extern "C" {
#include "ne_max_pool2d.h"
#include "ne_status.h"
}
#include "ne_cuda.cuh"

namespace {

constexpr int kBlock = 256;

unsigned grid_for(int64_t n) {
    return ne_cuda_blocks(n, kBlock, 65535);
}

struct Geom {
    int64_t h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
};

template <typename T>
__global__ void max_pool_kernel(const T* x, Geom g, T* out, int64_t total) {
    NE_GRID_LOOP(i, total) {
        int64_t ox = i % g.ow, oy = (i / g.ow) % g.oh, p = i / (g.ow * g.oh);
        const T* in = x + p * g.h * g.w;
        T m = (T) -INFINITY;
        for (int64_t a = 0; a < g.kh; a++) {
            int64_t y = oy * g.sh - g.ph + a * g.dh;
            if (y < 0 || y >= g.h) continue;
            for (int64_t b = 0; b < g.kw; b++) {
                int64_t xx = ox * g.sw - g.pw + b * g.dw;
                if (xx < 0 || xx >= g.w) continue;
                T v = in[y * g.w + xx];
                if (v > m || v != v) m = v;
            }
        }
        out[i] = m;
    }
}

// Global average pooling: one thread per plane, its sum in index order then one division (the
// CPU's operations in the CPU's order: the same bits).
template <typename T>
__global__ void global_avg_pool_kernel(const T* x, int64_t planes, int64_t hw, T* out) {
    NE_GRID_LOOP(p, planes) {
        const T* b = x + p * hw;
        T s = 0;
        for (int64_t j = 0; j < hw; j++) s = s + b[j];
        out[p] = s / (T) hw;
    }
}

template <typename T>
int32_t launch(const void* x, const Geom& g, void* out, int64_t total, cudaStream_t s) {
    max_pool_kernel<T><<<grid_for(total), kBlock, 0, s>>>((const T*) x, g, (T*) out, total);
    return ne_cuda_launch_status();
}

}  // namespace

extern "C" int32_t ne_max_pool2d_cuda(int32_t dtype, const void* x, int64_t n, int64_t c, int64_t h, int64_t w,
                                      int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
                                      int64_t dh, int64_t dw, int64_t oh, int64_t ow, void* out, void* stream) {
    if (dtype != 0 && dtype != 1) return NE_ERR_UNSUPPORTED_DTYPE;
    if (n < 0 || c < 0 || h < 1 || w < 1 || kh < 1 || kw < 1 || sh < 1 || sw < 1 || ph < 0 || pw < 0 || dh < 1 || dw < 1
        || oh < 0 || ow < 0)
        return NE_ERR_INVALID_ARGUMENT;
    const int64_t total = n * c * oh * ow;
    if (total == 0) return NE_OK;
    if (x == nullptr || out == nullptr) return NE_ERR_INVALID_ARGUMENT;
    Geom g = {h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow};
    cudaStream_t s = (cudaStream_t) stream;
    return dtype == 0 ? launch<float>(x, g, out, total, s) : launch<double>(x, g, out, total, s);
}

extern "C" int32_t ne_global_avg_pool2d_cuda(int32_t dtype, const void* x, int64_t planes, int64_t hw, void* out, void* stream) {
    if (dtype != 0 && dtype != 1) return NE_ERR_UNSUPPORTED_DTYPE;
    if (planes < 0 || hw < 1) return NE_ERR_INVALID_ARGUMENT;
    if (planes == 0) return NE_OK;
    if (x == nullptr || out == nullptr) return NE_ERR_INVALID_ARGUMENT;
    cudaStream_t s = (cudaStream_t) stream;
    if (dtype == 0) global_avg_pool_kernel<float><<<grid_for(planes), kBlock, 0, s>>>((const float*) x, planes, hw, (float*) out);
    else global_avg_pool_kernel<double><<<grid_for(planes), kBlock, 0, s>>>((const double*) x, planes, hw, (double*) out);
    return ne_cuda_launch_status();
}
