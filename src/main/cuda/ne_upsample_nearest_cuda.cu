// Nearest upsampling by integer factors on CUDA, mirroring ne_upsample_nearest_cpu.c: one thread
// per output element reads x[b, ch, y / fh, x / fw].
#include <cuda_runtime.h>
#include <stdint.h>
extern "C" {
#include "ne_upsample_nearest.h"
#include "ne_status.h"
}
#include "ne_cuda.cuh"

namespace {

constexpr int kBlock = 256;

unsigned grid_for(int64_t n) {
    return ne_cuda_blocks(n, kBlock, 65535);
}

template <typename T>
__global__ void upsample_kernel(const T* x, int64_t h, int64_t w, int64_t fh, int64_t fw, T* out, int64_t total) {
    const int64_t ow = w * fw, oh = h * fh;
    NE_GRID_LOOP(i, total) {
        int64_t ox = i % ow, oy = (i / ow) % oh, p = i / (ow * oh);
        out[i] = x[(p * h + oy / fh) * w + ox / fw];
    }
}

template <typename T>
int32_t launch(const void* x, int64_t h, int64_t w, int64_t fh, int64_t fw, void* out, int64_t total, cudaStream_t s) {
    upsample_kernel<T><<<grid_for(total), kBlock, 0, s>>>((const T*) x, h, w, fh, fw, (T*) out, total);
    return ne_cuda_launch_status();
}

}  // namespace

extern "C" int32_t ne_upsample_nearest_cuda(int32_t dtype, const void* x, int64_t n, int64_t c, int64_t h, int64_t w,
                                            int64_t fh, int64_t fw, void* out, void* stream) {
    if (dtype != 0 && dtype != 1) return NE_ERR_UNSUPPORTED_DTYPE;
    if (n < 0 || c < 0 || h < 0 || w < 0 || fh < 1 || fw < 1) return NE_ERR_INVALID_ARGUMENT;
    const int64_t total = n * c * h * fh * w * fw;
    if (total == 0) return NE_OK;
    if (x == nullptr || out == nullptr) return NE_ERR_INVALID_ARGUMENT;
    cudaStream_t s = (cudaStream_t) stream;
    return dtype == 0 ? launch<float>(x, h, w, fh, fw, out, total, s) : launch<double>(x, h, w, fh, fw, out, total, s);
}
