// Deformable PS-ROI pooling on CUDA (docs/ops.md §6.1), mirroring ne_deform_psroi_pool_kernels.h:
// one thread per output bin; the backward scatters with atomicAdd as maskrcnn-benchmark does
// (non-deterministic summation order; the CPU backward is the deterministic one).
#include <cuda_runtime.h>
#include <stdint.h>
extern "C" {
#include "ne_deform_psroi_pool.h"
#include "ne_status.h"
}
#include "ne_cuda.cuh"

namespace {

struct Geom {
    int64_t n, c, h, w, k, odim, p, part, gs, spp, ncls;
};

template <typename T>
struct Bin {
    int64_t batch, c, tidx;
    T rw, rh, wstart, hstart, subw, subh;
};

template <typename T>
__device__ Bin<T> bin_geom(const Geom& g, const T* rois, const T* trans, T trans_std, T scale, int64_t k, int64_t ctop,
                           int64_t ph, int64_t pw) {
    Bin<T> b;
    const T* r = rois + k * 5;
    b.batch = (int64_t) r[0];
    const T xs = (T) round(r[1]) * scale - (T) 0.5, ys = (T) round(r[2]) * scale - (T) 0.5;
    const T xe = (T) (round(r[3]) + 1) * scale - (T) 0.5, ye = (T) (round(r[4]) + 1) * scale - (T) 0.5;
    b.rw = xe - xs > (T) 0.1 ? xe - xs : (T) 0.1;
    b.rh = ye - ys > (T) 0.1 ? ye - ys : (T) 0.1;
    const T bw = b.rw / (T) g.p, bh = b.rh / (T) g.p;
    b.subw = bw / (T) g.spp;
    b.subh = bh / (T) g.spp;
    const int64_t part_h = (int64_t) floor((T) ph / (T) g.p * (T) g.part);
    const int64_t part_w = (int64_t) floor((T) pw / (T) g.p * (T) g.part);
    const int64_t cls = ctop / (g.odim / g.ncls);
    b.tidx = ((k * g.ncls + cls) * 2 * g.part + part_h) * g.part + part_w;
    const T tx = trans ? trans[b.tidx] * trans_std : T(0);
    const T ty = trans ? trans[b.tidx + g.part * g.part] * trans_std : T(0);
    b.wstart = (T) pw * bw + xs + tx * b.rw;
    b.hstart = (T) ph * bh + ys + ty * b.rh;
    int64_t gw = (int64_t) floor((T) pw * (T) g.gs / (T) g.p);
    int64_t gh = (int64_t) floor((T) ph * (T) g.gs / (T) g.p);
    gw = gw < 0 ? 0 : (gw > g.gs - 1 ? g.gs - 1 : gw);
    gh = gh < 0 ? 0 : (gh > g.gs - 1 ? g.gs - 1 : gh);
    b.c = (ctop * g.gs + gh) * g.gs + gw;
    return b;
}

template <typename T>
__device__ bool inside(const Geom& g, T* w, T* h) {
    if (*w < (T) -0.5 || *w > (T) g.w - (T) 0.5 || *h < (T) -0.5 || *h > (T) g.h - (T) 0.5) return false;
    if (!(*w == *w) || !(*h == *h)) return false;
    *w = *w < 0 ? T(0) : (*w > (T) (g.w - 1) ? (T) (g.w - 1) : *w);
    *h = *h < 0 ? T(0) : (*h > (T) (g.h - 1) ? (T) (g.h - 1) : *h);
    return true;
}

template <typename T>
__global__ void forward_kernel(Geom g, const T* data, const T* rois, const T* trans, T* out, T* cnt, T scale, T std) {
    NE_GRID_LOOP(o, g.k * g.odim * g.p * g.p) {
        const int64_t pw = o % g.p, ph = (o / g.p) % g.p, ct = (o / (g.p * g.p)) % g.odim, k = o / (g.p * g.p * g.odim);
        Bin<T> b = bin_geom(g, rois, trans, std, scale, k, ct, ph, pw);
        const T* x = data + (b.batch * g.c + b.c) * g.h * g.w;
        T sum = 0;
        int64_t count = 0;
        for (int64_t ih = 0; ih < g.spp; ih++)
            for (int64_t iw = 0; iw < g.spp; iw++) {
                T w = b.wstart + (T) iw * b.subw, h = b.hstart + (T) ih * b.subh;
                if (!inside(g, &w, &h)) continue;
                const int64_t x1 = (int64_t) floor(w), x2 = (int64_t) ceil(w), y1 = (int64_t) floor(h), y2 = (int64_t) ceil(h);
                const T dx = w - (T) x1, dy = h - (T) y1;
                sum += (1 - dx) * (1 - dy) * x[y1 * g.w + x1] + (1 - dx) * dy * x[y2 * g.w + x1]
                     + dx * (1 - dy) * x[y1 * g.w + x2] + dx * dy * x[y2 * g.w + x2];
                count++;
            }
        out[o] = count == 0 ? T(0) : sum / (T) count;
        cnt[o] = (T) count;
    }
}

template <typename T>
__global__ void backward_kernel(Geom g, const T* gout, const T* data, const T* rois, const T* trans, const T* cnt,
                                T* gdata, T* gtrans, T scale, T std) {
    NE_GRID_LOOP(o, g.k * g.odim * g.p * g.p) {
        if (cnt[o] <= 0) continue;
        const int64_t pw = o % g.p, ph = (o / g.p) % g.p, ct = (o / (g.p * g.p)) % g.odim, k = o / (g.p * g.p * g.odim);
        Bin<T> b = bin_geom(g, rois, trans, std, scale, k, ct, ph, pw);
        const T diff = gout[o] / cnt[o];
        const T* x = data + (b.batch * g.c + b.c) * g.h * g.w;
        T* gd = gdata + (b.batch * g.c + b.c) * g.h * g.w;
        T tx = 0, ty = 0;
        for (int64_t ih = 0; ih < g.spp; ih++)
            for (int64_t iw = 0; iw < g.spp; iw++) {
                T w = b.wstart + (T) iw * b.subw, h = b.hstart + (T) ih * b.subh;
                if (!inside(g, &w, &h)) continue;
                const int64_t x0 = (int64_t) floor(w), x1 = (int64_t) ceil(w), y0 = (int64_t) floor(h), y1 = (int64_t) ceil(h);
                const T dx = w - (T) x0, dy = h - (T) y0;
                atomicAdd(gd + y0 * g.w + x0, (1 - dx) * (1 - dy) * diff);
                atomicAdd(gd + y1 * g.w + x0, (1 - dx) * dy * diff);
                atomicAdd(gd + y0 * g.w + x1, dx * (1 - dy) * diff);
                atomicAdd(gd + y1 * g.w + x1, dx * dy * diff);
                if (gtrans) {
                    const T u00 = x[y0 * g.w + x0], u01 = x[y1 * g.w + x0], u10 = x[y0 * g.w + x1], u11 = x[y1 * g.w + x1];
                    tx += (u11 * dy + u10 * (1 - dy) - u01 * dy - u00 * (1 - dy)) * std * diff * b.rw;
                    ty += (u11 * dx + u01 * (1 - dx) - u10 * dx - u00 * (1 - dx)) * std * diff * b.rh;
                }
            }
        if (gtrans) {
            atomicAdd(gtrans + b.tidx, tx);
            atomicAdd(gtrans + b.tidx + g.part * g.part, ty);
        }
    }
}

unsigned blocks_for(int64_t n) {
    return ne_cuda_blocks(n, 256, 65535);
}

int32_t read(const int64_t* dims, int64_t ncls, Geom* g) {
    if (!dims) return NE_ERR_INVALID_ARGUMENT;
    *g = Geom{dims[0], dims[1], dims[2], dims[3], dims[4], dims[5], dims[6], dims[7], dims[8], dims[9], ncls};
    if (g->n < 0 || g->c < 1 || g->h < 1 || g->w < 1 || g->k < 0 || g->odim < 1 || g->p < 1 || g->part < 1 || g->gs < 1
        || g->spp < 1 || g->ncls < 1 || g->odim % g->ncls || g->c != g->odim * g->gs * g->gs)
        return NE_ERR_INVALID_ARGUMENT;
    return NE_OK;
}

}  // namespace

extern "C" int32_t ne_deform_psroi_pool_forward_cuda(int32_t dtype, const void* data, int64_t n, int64_t c, int64_t h,
                                                     int64_t w, const void* rois, int64_t k, const void* trans,
                                                     int64_t num_classes, int64_t output_dim, int64_t pooled,
                                                     int64_t part_size, int64_t group_size, int64_t sample_per_part,
                                                     double spatial_scale, double trans_std, void* output,
                                                     void* top_count, void* stream) {
    const int64_t dims[10] = {n, c, h, w, k, output_dim, pooled, part_size, group_size, sample_per_part};
    Geom g;
    int32_t s = read(dims, num_classes, &g);
    if (s != NE_OK) return s;
    if (g.k == 0) return NE_OK;
    if (!data || !rois || !output || !top_count) return NE_ERR_INVALID_ARGUMENT;
    cudaStream_t st = (cudaStream_t) stream;
    const int64_t total = g.k * g.odim * g.p * g.p;
    if (dtype == 0) {
        forward_kernel<float><<<blocks_for(total), 256, 0, st>>>(g, (const float*) data, (const float*) rois, (const float*) trans,
                                                            (float*) output, (float*) top_count, (float) spatial_scale,
                                                            (float) trans_std);
        return ne_cuda_launch_status();
    }
    if (dtype == 1) {
        forward_kernel<double><<<blocks_for(total), 256, 0, st>>>(g, (const double*) data, (const double*) rois,
                                                             (const double*) trans, (double*) output, (double*) top_count,
                                                             spatial_scale, trans_std);
        return ne_cuda_launch_status();
    }
    return NE_ERR_UNSUPPORTED_DTYPE;
}

extern "C" int32_t ne_deform_psroi_pool_backward_cuda(int32_t dtype, const void* grad_output, const void* data,
                                                      int64_t n, int64_t c, int64_t h, int64_t w, const void* rois,
                                                      int64_t k, const void* trans, int64_t num_classes,
                                                      int64_t output_dim, int64_t pooled, int64_t part_size,
                                                      int64_t group_size, int64_t sample_per_part, double spatial_scale,
                                                      double trans_std, const void* top_count, void* grad_data,
                                                      void* grad_trans, void* stream) {
    const int64_t dims[10] = {n, c, h, w, k, output_dim, pooled, part_size, group_size, sample_per_part};
    Geom g;
    int32_t s = read(dims, num_classes, &g);
    if (s != NE_OK) return s;
    if (g.k == 0) return NE_OK;
    if (!grad_output || !data || !rois || !top_count || !grad_data) return NE_ERR_INVALID_ARGUMENT;
    if ((trans == NULL) != (grad_trans == NULL)) return NE_ERR_INVALID_ARGUMENT;
    cudaStream_t st = (cudaStream_t) stream;
    const int64_t total = g.k * g.odim * g.p * g.p;
    if (dtype == 0) {
        backward_kernel<float><<<blocks_for(total), 256, 0, st>>>(g, (const float*) grad_output, (const float*) data,
                                                             (const float*) rois, (const float*) trans,
                                                             (const float*) top_count, (float*) grad_data,
                                                             (float*) grad_trans, (float) spatial_scale, (float) trans_std);
        return ne_cuda_launch_status();
    }
    if (dtype == 1) {
        backward_kernel<double><<<blocks_for(total), 256, 0, st>>>(g, (const double*) grad_output, (const double*) data,
                                                              (const double*) rois, (const double*) trans,
                                                              (const double*) top_count, (double*) grad_data,
                                                              (double*) grad_trans, spatial_scale, trans_std);
        return ne_cuda_launch_status();
    }
    return NE_ERR_UNSUPPORTED_DTYPE;
}
