// conv2d on CUDA, mirroring ne_conv2d_cpu.c's semantics (include/ne_conv2d.h): a direct
// convolution, one thread per output element (ox fastest, then oy, co, n), the sum over the
// group's input channels and kernel taps in the CPU reference order, then the same epilogue
// (y*s + t with s = scale, t = bias*scale + shift; + residual; ReLU keeping NaN).
#include <cuda_runtime.h>
#include <stdint.h>
extern "C" {
#include "ne_conv2d.h"
#include "ne_status.h"
}
#include "ne_cuda.cuh"

namespace {

constexpr int kBlock = 256;

unsigned grid_for(int64_t n) {
    return ne_cuda_blocks(n, kBlock, 65535);
}

struct Geom {
    int64_t n, cin, h, w, cout, kh, kw, ho, wo, groups;
    int64_t sh, sw, ph, pw, dh, dw;
};

template <typename T>
__global__ void forward_kernel(Geom g, const T* in, const T* wt, const T* bias, const T* scale, const T* shift, const T* res,
                               int32_t relu, T* out, int64_t total) {
    const int64_t cig = g.cin / g.groups, cog = g.cout / g.groups;
    NE_GRID_LOOP(i, total) {
        const int64_t ox = i % g.wo, oy = (i / g.wo) % g.ho, co = (i / (g.wo * g.ho)) % g.cout, b = i / (g.wo * g.ho * g.cout);
        const int64_t gr = co / cog;
        const T* x = in + (b * g.cin + gr * cig) * g.h * g.w;
        const T* wc = wt + co * cig * g.kh * g.kw;
        T acc = 0;
        for (int64_t ci = 0; ci < cig; ci++) {
            for (int64_t ki = 0; ki < g.kh; ki++) {
                const int64_t y = oy * g.sh - g.ph + ki * g.dh;
                if (y < 0 || y >= g.h) continue;
                for (int64_t kj = 0; kj < g.kw; kj++) {
                    const int64_t xx = ox * g.sw - g.pw + kj * g.dw;
                    if (xx < 0 || xx >= g.w) continue;
                    acc += wc[(ci * g.kh + ki) * g.kw + kj] * x[(ci * g.h + y) * g.w + xx];
                }
            }
        }
        const T s = scale ? scale[co] : (T) 1;
        const T t = (bias ? bias[co] * s : (T) 0) + (shift ? shift[co] : (T) 0);
        T v = acc * s + t;
        if (res) v = v + res[i];
        if (relu) v = v < 0 ? (T) 0 : v;
        out[i] = v;
    }
}

}  // namespace

extern "C" int32_t ne_conv2d_forward_cuda(int32_t dtype, const void* input, const void* weight, const void* bias,
                                          const void* scale, const void* shift, const void* residual, int32_t relu,
                                          void* output, const int64_t* dims, const int64_t* conv, void* stream) {
    if (!dims || !conv) return NE_ERR_INVALID_ARGUMENT;
    Geom g = {dims[0], dims[1], dims[2], dims[3], dims[4], dims[5], dims[6], dims[7], dims[8], dims[9],
              conv[0], conv[1], conv[2], conv[3], conv[4], conv[5]};
    if (g.n < 1 || g.cin < 1 || g.h < 1 || g.w < 1 || g.cout < 1 || g.kh < 1 || g.kw < 1) return NE_ERR_INVALID_ARGUMENT;
    if (g.groups < 1 || g.cin % g.groups || g.cout % g.groups) return NE_ERR_INVALID_ARGUMENT;
    if (g.sh < 1 || g.sw < 1 || g.dh < 1 || g.dw < 1 || g.ph < 0 || g.pw < 0) return NE_ERR_INVALID_ARGUMENT;
    if (g.h + 2 * g.ph < g.dh * (g.kh - 1) + 1 || g.w + 2 * g.pw < g.dw * (g.kw - 1) + 1) return NE_ERR_INVALID_ARGUMENT;
    if (g.ho != (g.h + 2 * g.ph - (g.dh * (g.kh - 1) + 1)) / g.sh + 1) return NE_ERR_INVALID_ARGUMENT;
    if (g.wo != (g.w + 2 * g.pw - (g.dw * (g.kw - 1) + 1)) / g.sw + 1) return NE_ERR_INVALID_ARGUMENT;
    if (dtype != 0 && dtype != 1) return NE_ERR_UNSUPPORTED_DTYPE;
    if (!input || !weight || !output) return NE_ERR_INVALID_ARGUMENT;
    const int64_t total = g.n * g.cout * g.ho * g.wo;
    cudaStream_t s = (cudaStream_t) stream;
    relu = relu != 0;
    if (dtype == 0)
        forward_kernel<float><<<grid_for(total), kBlock, 0, s>>>(g, (const float*) input, (const float*) weight,
                                                                 (const float*) bias, (const float*) scale, (const float*) shift,
                                                                 (const float*) residual, relu, (float*) output, total);
    else
        forward_kernel<double><<<grid_for(total), kBlock, 0, s>>>(g, (const double*) input, (const double*) weight,
                                                                  (const double*) bias, (const double*) scale,
                                                                  (const double*) shift, (const double*) residual, relu,
                                                                  (double*) output, total);
    return ne_cuda_launch_status();
}
