// ROIAlign on CUDA, mirroring ne_roi_align_cpu.c and torchvision's cuda/roi_align_kernel.cu:
// one thread per output element (pw fastest, then ph, c, k), grid-stride, block 512, grid at most
// 4096. The backward has torchvision's atomicAdd scatter and a deterministic gather mode: one
// thread per grad_input element sums, over the rois of its image in index order, the samples whose
// bilinear footprint covers its pixel (separable weights: wy(row) * wx(col)), with plain stores.
#include <cuda_runtime.h>
#include <stdint.h>
extern "C" {
#include "ne_roi_align.h"
#include "ne_status.h"
}
#include "ne_cuda.cuh"

namespace {

constexpr int kBlock = 512;

unsigned grid_for(int64_t n) {
    return ne_cuda_blocks(n, kBlock, 4096);
}

template <typename T>
struct Geom {
    int64_t batch, gh, gw;
    T ys, xs, bh, bw, count;
};

// The roi's geometry exactly as the CPU computes it (docs/ops.md §2.2).
template <typename T>
__device__ Geom<T> geometry(const T* r, double scale, bool aligned, int64_t ph, int64_t pw, int32_t sr) {
    Geom<T> g;
    double off = aligned ? 0.5 : 0.0;
    g.batch = (int64_t) r[0];
    T xs = (T) (r[1] * scale - off), ys = (T) (r[2] * scale - off);
    T xe = (T) (r[3] * scale - off), ye = (T) (r[4] * scale - off);
    T rw = xe - xs, rh = ye - ys;
    if (!aligned) {  // force malformed rois to 1x1 (legacy behaviour)
        rw = rw > (T) 1 ? rw : (T) 1;
        rh = rh > (T) 1 ? rh : (T) 1;
    }
    g.xs = xs;
    g.ys = ys;
    g.bh = rh / (T) ph;
    g.bw = rw / (T) pw;
    g.gh = sr > 0 ? sr : (int64_t) ceil(rh / (T) ph);
    g.gw = sr > 0 ? sr : (int64_t) ceil(rw / (T) pw);
    if (g.gh < 0) g.gh = 0;
    if (g.gw < 0) g.gw = 0;
    g.count = (T) (g.gh * g.gw > 1 ? g.gh * g.gw : 1);
    return g;
}

// The RA sampler along one axis: false if the sample is outside [-1, size].
template <typename T>
__device__ bool axis(T v, int64_t size, int64_t* lo, int64_t* hi, T* wl, T* wh) {
    if (!(v >= (T) -1.0 && v <= (T) size)) return false;
    if (v <= 0) v = 0;
    *lo = (int64_t) v;
    if (*lo >= size - 1) {
        *hi = *lo = size - 1;
        v = (T) *lo;
    } else {
        *hi = *lo + 1;
    }
    T l = v - (T) *lo;
    *wh = l;
    *wl = (T) 1 - l;
    return true;
}

template <typename T>
__device__ T sample_pos(T start, int64_t p, T bin, int64_t i, int64_t grid) {
    return start + (T) p * bin + (T) ((T) i + (T) 0.5) * bin / (T) grid;
}

template <typename T>
__global__ void forward_kernel(const T* in, int64_t C, int64_t H, int64_t W, const T* rois, int64_t PH, int64_t PW,
                               double scale, int32_t sr, bool aligned, T* out, int64_t total) {
    NE_GRID_LOOP(i, total) {
        int64_t pw = i % PW, ph = (i / PW) % PH, c = (i / (PW * PH)) % C, k = i / (PW * PH * C);
        Geom<T> g = geometry<T>(rois + k * 5, scale, aligned, PH, PW, sr);
        const T* plane = in + (g.batch * C + c) * H * W;
        T acc = 0;
        for (int64_t iy = 0; iy < g.gh; iy++) {
            int64_t yl, yh;
            T wyl, wyh;
            bool vy = axis<T>(sample_pos<T>(g.ys, ph, g.bh, iy, g.gh), H, &yl, &yh, &wyl, &wyh);
            for (int64_t ix = 0; ix < g.gw; ix++) {
                int64_t xl, xh;
                T wxl, wxh;
                bool vx = axis<T>(sample_pos<T>(g.xs, pw, g.bw, ix, g.gw), W, &xl, &xh, &wxl, &wxh);
                if (!vy || !vx) continue;
                T w1 = wyl * wxl, w2 = wyl * wxh, w3 = wyh * wxl, w4 = wyh * wxh;
                acc += ((w1 * plane[yl * W + xl] + w2 * plane[yl * W + xh]) + w3 * plane[yh * W + xl]) + w4 * plane[yh * W + xh];
            }
        }
        out[i] = acc / g.count;
    }
}

template <typename T>
__global__ void backward_atomic_kernel(const T* gout, const T* rois, int64_t C, int64_t H, int64_t W, int64_t PH,
                                       int64_t PW, double scale, int32_t sr, bool aligned, T* gin, int64_t total) {
    NE_GRID_LOOP(i, total) {
        int64_t pw = i % PW, ph = (i / PW) % PH, c = (i / (PW * PH)) % C, k = i / (PW * PH * C);
        Geom<T> g = geometry<T>(rois + k * 5, scale, aligned, PH, PW, sr);
        T* plane = gin + (g.batch * C + c) * H * W;
        T gv = gout[i] / g.count;
        for (int64_t iy = 0; iy < g.gh; iy++) {
            int64_t yl, yh;
            T wyl, wyh;
            bool vy = axis<T>(sample_pos<T>(g.ys, ph, g.bh, iy, g.gh), H, &yl, &yh, &wyl, &wyh);
            for (int64_t ix = 0; ix < g.gw; ix++) {
                int64_t xl, xh;
                T wxl, wxh;
                bool vx = axis<T>(sample_pos<T>(g.xs, pw, g.bw, ix, g.gw), W, &xl, &xh, &wxl, &wxh);
                if (!vy || !vx) continue;
                atomicAdd(plane + yl * W + xl, gv * (wyl * wxl));
                atomicAdd(plane + yl * W + xh, gv * (wyl * wxh));
                atomicAdd(plane + yh * W + xl, gv * (wyh * wxl));
                atomicAdd(plane + yh * W + xh, gv * (wyh * wxh));
            }
        }
    }
}

// The weight of row (or column) `at` in a sample: the sum over its two corners that land there.
template <typename T>
__device__ T axis_weight(T v, int64_t size, int64_t at, bool* valid) {
    int64_t lo, hi;
    T wl, wh;
    *valid = axis<T>(v, size, &lo, &hi, &wl, &wh);
    if (!*valid) return 0;
    return (lo == at ? wl : (T) 0) + (hi == at ? wh : (T) 0);
}

template <typename T>
__global__ void backward_gather_kernel(const T* gout, const T* rois, int64_t K, int64_t C, int64_t H, int64_t W,
                                       int64_t PH, int64_t PW, double scale, int32_t sr, bool aligned, T* gin,
                                       int64_t total) {
    NE_GRID_LOOP(i, total) {
        int64_t x = i % W, y = (i / W) % H, c = (i / (W * H)) % C, n = i / (W * H * C);
        T sum = 0;
        for (int64_t k = 0; k < K; k++) {
            const T* r = rois + k * 5;
            if ((int64_t) r[0] != n) continue;
            Geom<T> g = geometry<T>(r, scale, aligned, PH, PW, sr);
            if (g.gh == 0 || g.gw == 0) continue;
            // Quick reject: every sample lies within the roi (plus the clamp to 0 and the
            // replicated border), so a pixel two rows/columns away from it gets nothing.
            T y0 = g.ys, y1 = g.ys + g.bh * (T) PH, x0 = g.xs, x1 = g.xs + g.bw * (T) PW;
            T ylo = y0 < y1 ? y0 : y1, yhi = y0 < y1 ? y1 : y0, xlo = x0 < x1 ? x0 : x1, xhi = x0 < x1 ? x1 : x0;
            if (ylo < 0) ylo = 0;
            if (xlo < 0) xlo = 0;
            if ((T) y < ylo - 2 || ((T) y > yhi + 2 && y < H - 1) || (T) x < xlo - 2 || ((T) x > xhi + 2 && x < W - 1)) continue;
            const T* go = gout + (k * C + c) * PH * PW;
            for (int64_t ph = 0; ph < PH; ph++) {
                for (int64_t iy = 0; iy < g.gh; iy++) {
                    bool vy;
                    T wy = axis_weight<T>(sample_pos<T>(g.ys, ph, g.bh, iy, g.gh), H, y, &vy);
                    if (wy == (T) 0) continue;
                    for (int64_t pw = 0; pw < PW; pw++) {
                        T gv = go[ph * PW + pw] / g.count;
                        for (int64_t ix = 0; ix < g.gw; ix++) {
                            bool vx;
                            T wx = axis_weight<T>(sample_pos<T>(g.xs, pw, g.bw, ix, g.gw), W, x, &vx);
                            if (wx != (T) 0) sum += gv * (wy * wx);
                        }
                    }
                }
            }
        }
        gin[i] = sum;
    }
}

}  // namespace

extern "C" int32_t ne_roi_align_forward_cuda(int32_t dtype, const void* input, int64_t n, int64_t c, int64_t h,
                                             int64_t w, const void* rois, int64_t k, int64_t ph, int64_t pw,
                                             double spatial_scale, int32_t sampling_ratio, int32_t aligned,
                                             void* output, void* stream) {
    if (n < 0 || c < 0 || h < 0 || w < 0 || k < 0 || ph <= 0 || pw <= 0 || !(spatial_scale > 0)) return NE_ERR_INVALID_ARGUMENT;
    if (dtype != 0 && dtype != 1) return NE_ERR_UNSUPPORTED_DTYPE;  /* as the CPU entry point, even with nothing to do */
    int64_t total = k * c * ph * pw;
    if (total == 0) return NE_OK;
    cudaStream_t s = (cudaStream_t) stream;
    if (h == 0 || w == 0) {
        return ne_cuda_status(cudaMemsetAsync(output, 0, (size_t) total * (dtype == 0 ? 4 : 8), s));
    }
    unsigned grid = (unsigned) grid_for(total);
    if (dtype == 0)
        forward_kernel<float><<<grid, kBlock, 0, s>>>((const float*) input, c, h, w, (const float*) rois, ph, pw,
                                                      spatial_scale, sampling_ratio, aligned != 0, (float*) output, total);
    else if (dtype == 1)
        forward_kernel<double><<<grid, kBlock, 0, s>>>((const double*) input, c, h, w, (const double*) rois, ph, pw,
                                                       spatial_scale, sampling_ratio, aligned != 0, (double*) output, total);
    else
        return NE_ERR_UNSUPPORTED_DTYPE;
    return ne_cuda_launch_status();
}

extern "C" int32_t ne_roi_align_backward_cuda(int32_t dtype, const void* grad_output, const void* rois, int64_t k,
                                              int64_t n, int64_t c, int64_t h, int64_t w, int64_t ph, int64_t pw,
                                              double spatial_scale, int32_t sampling_ratio, int32_t aligned,
                                              int32_t deterministic, void* grad_input, void* stream) {
    if (n < 0 || c < 0 || h < 0 || w < 0 || k < 0 || ph <= 0 || pw <= 0 || !(spatial_scale > 0)) return NE_ERR_INVALID_ARGUMENT;
    if (dtype != 0 && dtype != 1) return NE_ERR_UNSUPPORTED_DTYPE;
    cudaStream_t s = (cudaStream_t) stream;
    if (deterministic) {
        int64_t total = n * c * h * w;
        if (total == 0) return NE_OK;
        unsigned grid = (unsigned) grid_for(total);
        if (dtype == 0)
            backward_gather_kernel<float><<<grid, kBlock, 0, s>>>((const float*) grad_output, (const float*) rois, k, c, h,
                    w, ph, pw, spatial_scale, sampling_ratio, aligned != 0, (float*) grad_input, total);
        else
            backward_gather_kernel<double><<<grid, kBlock, 0, s>>>((const double*) grad_output, (const double*) rois, k, c,
                    h, w, ph, pw, spatial_scale, sampling_ratio, aligned != 0, (double*) grad_input, total);
        return ne_cuda_launch_status();
    }
    int64_t total = k * c * ph * pw;
    if (total == 0 || h == 0 || w == 0) return NE_OK;
    unsigned grid = (unsigned) grid_for(total);
    if (dtype == 0)
        backward_atomic_kernel<float><<<grid, kBlock, 0, s>>>((const float*) grad_output, (const float*) rois, c, h, w, ph,
                pw, spatial_scale, sampling_ratio, aligned != 0, (float*) grad_input, total);
    else
        backward_atomic_kernel<double><<<grid, kBlock, 0, s>>>((const double*) grad_output, (const double*) rois, c, h, w,
                ph, pw, spatial_scale, sampling_ratio, aligned != 0, (double*) grad_input, total);
    return ne_cuda_launch_status();
}
