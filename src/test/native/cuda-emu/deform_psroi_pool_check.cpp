// CudaEmulationTest driver for deformable PS-ROI pooling: ne_deform_psroi_pool_{forward,backward}_cuda
// (emulated) against the CPU kernels: float32/float64, with and without trans (no_trans), 1 or 2
// classes, part size equal to or smaller than the pooled size, group size 1..3 (also != pooled),
// 1..4 samples per part, scales 1, 1/2, 1/4, rois partly or wholly outside the image (empty bins,
// count 0) and H or W = 1. top_count must match exactly; outputs and gradients within tolerance.
#include "emu_check.h"
extern "C" {
#include "ne_deform_psroi_pool.h"
}

using namespace emu_check;

namespace {

// The entry points take scalars; the cases below are written as dims arrays
// {N, C, H, W, K, output_dim, pooled, part_size, group_size, sample_per_part}.
int32_t fwd_cpu(int32_t dt, const void* data, const void* rois, const void* trans, void* out, void* cnt, const int64_t* d,
                int64_t ncls, double scale, double std_) {
    return ne_deform_psroi_pool_forward_cpu(dt, data, d[0], d[1], d[2], d[3], rois, d[4], trans, ncls, d[5], d[6], d[7], d[8],
                                            d[9], scale, std_, out, cnt, 1, 0);
}
int32_t fwd_cuda(int32_t dt, const void* data, const void* rois, const void* trans, void* out, void* cnt, const int64_t* d,
                 int64_t ncls, double scale, double std_) {
    return ne_deform_psroi_pool_forward_cuda(dt, data, d[0], d[1], d[2], d[3], rois, d[4], trans, ncls, d[5], d[6], d[7],
                                             d[8], d[9], scale, std_, out, cnt, nullptr);
}
int32_t bwd_cpu(int32_t dt, const void* gout, const void* data, const void* rois, const void* trans, const void* cnt, void* gd,
                void* gt, const int64_t* d, int64_t ncls, double scale, double std_) {
    return ne_deform_psroi_pool_backward_cpu(dt, gout, data, d[0], d[1], d[2], d[3], rois, d[4], trans, ncls, d[5], d[6], d[7],
                                             d[8], d[9], scale, std_, cnt, gd, gt, 1, 0);
}
int32_t bwd_cuda(int32_t dt, const void* gout, const void* data, const void* rois, const void* trans, const void* cnt, void* gd,
                 void* gt, const int64_t* d, int64_t ncls, double scale, double std_) {
    return ne_deform_psroi_pool_backward_cuda(dt, gout, data, d[0], d[1], d[2], d[3], rois, d[4], trans, ncls, d[5], d[6],
                                              d[7], d[8], d[9], scale, std_, cnt, gd, gt, nullptr);
}


struct Cfg {
    int64_t n, h, w, k, odim, p, part, gs, spp, ncls;
};

template <class T>
void run_case(int32_t dtype, const Cfg& g, bool with_trans, double scale, double std_, uint64_t seed) {
    set_case("deform_psroi_pool dtype=%d N=%ld H=%ld W=%ld K=%ld out_dim=%ld P=%ld part=%ld G=%ld spp=%ld classes=%ld trans=%d "
             "scale=%g std=%g seed=%lu", dtype, (long) g.n, (long) g.h, (long) g.w, (long) g.k, (long) g.odim, (long) g.p,
             (long) g.part, (long) g.gs, (long) g.spp, (long) g.ncls, with_trans, scale, std_, (unsigned long) seed);
    Rng r(seed);
    const int64_t c = g.odim * g.gs * g.gs;
    const int64_t dims[10] = {g.n, c, g.h, g.w, g.k, g.odim, g.p, g.part, g.gs, g.spp};
    const size_t in_n = (size_t) (g.n * c * g.h * g.w), out_n = (size_t) (g.k * g.odim * g.p * g.p);
    const size_t tr_n = (size_t) (g.k * 2 * g.ncls * g.part * g.part);
    Buf<T> data(in_n), rois((size_t) g.k * 5), trans(tr_n);
    fill_uniform(data, r, -2, 2);
    fill_uniform(trans, r, -1, 1);
    const double iw = (double) g.w / scale, ih = (double) g.h / scale;
    for (int64_t k = 0; k < g.k; k++) {
        T* q = &rois[k * 5];
        q[0] = (T) r.below(g.n);
        double x1 = r.uniform(-0.3 * iw, 1.05 * iw), y1 = r.uniform(-0.3 * ih, 1.05 * ih);
        double x2 = x1 + r.uniform(-0.1 * iw, 0.9 * iw), y2 = y1 + r.uniform(-0.1 * ih, 0.9 * ih);
        if (k % 5 == 4) x1 += 3 * iw, x2 += 3 * iw;  // no valid sample at all
        q[1] = (T) x1, q[2] = (T) y1, q[3] = (T) x2, q[4] = (T) y2;
    }
    const T* tp = with_trans ? trans.data() : nullptr;
    const int64_t ncls = with_trans ? g.ncls : 1;
    Buf<T> out_want(out_n), cnt_want(out_n), out_got(out_n), cnt_got(out_n);
    expect_status("forward cpu", fwd_cpu(dtype, data.data(), rois.data(), tp, out_want.data(),
                                                                  cnt_want.data(), dims, ncls, scale, std_), NE_OK);
    if (expect_status("forward cuda", fwd_cuda(dtype, data.data(), rois.data(), tp, out_got.data(),
                                                                        cnt_got.data(), dims, ncls, scale, std_),
                      NE_OK)) {
        compare_fwd("forward output", out_got, out_want);
        compare_exact("forward top_count", cnt_got, cnt_want);
    }
    Buf<T> gout(out_n), gd_want(in_n), gd_got(in_n), gt_want(tr_n), gt_got(tr_n);
    fill_uniform(gout, r, -1, 1);
    expect_status("backward cpu", bwd_cpu(dtype, gout.data(), data.data(), rois.data(), tp,
                                                                    cnt_want.data(), gd_want.data(),
                                                                    with_trans ? gt_want.data() : nullptr, dims, ncls, scale,
                                                                    std_), NE_OK);
    if (expect_status("backward cuda", bwd_cuda(dtype, gout.data(), data.data(), rois.data(), tp,
                                                                          cnt_want.data(), gd_got.data(),
                                                                          with_trans ? gt_got.data() : nullptr, dims, ncls,
                                                                          scale, std_), NE_OK)) {
        compare_bwd("backward grad_data", gd_got, gd_want);
        if (with_trans) compare_bwd("backward grad_trans", gt_got, gt_want);
    }
}

template <class T>
void run_all(int32_t dtype) {
    const Cfg cfgs[] = {
        // n, h, w, k, odim, p, part, gs, spp, ncls
        {2, 9, 11, 6, 2, 3, 3, 3, 2, 1},
        {1, 8, 8, 5, 4, 4, 2, 2, 3, 2},   // part < P, G < P, 2 classes
        {2, 1, 7, 4, 2, 2, 2, 1, 4, 2},   // H = 1
        {1, 6, 1, 4, 3, 3, 3, 3, 1, 3},   // W = 1, 3 classes
        {1, 12, 10, 3, 2, 7, 7, 7, 2, 1}, // R-FCN's 7x7
    };
    uint64_t seed = 6000 + 100 * (uint64_t) dtype;
    for (const Cfg& c : cfgs)
        for (bool tr : {false, true})
            for (double scale : {1.0, 0.5, 0.25}) run_case<T>(dtype, c, tr, scale, tr ? 0.1 : 0.0, ++seed);
    run_case<T>(dtype, Cfg{1, 6, 6, 4, 2, 2, 2, 2, 2, 1}, true, 1.0, 1.0, ++seed);  // large trans offsets
}

void edge_cases() {
    for (int32_t dtype : {0, 1}) {
        set_case("deform_psroi_pool edge dtype=%d", dtype);
        Buf<double> data(64, 1.0), rois(5, 0.0), out(64), cnt(64), trans(64);
        const int64_t empty[10] = {1, 4, 3, 3, 0, 1, 2, 2, 2, 2};
        expect_status("forward K=0", fwd_cuda(dtype, data.data(), rois.data(), nullptr, out.data(),
                                                                       cnt.data(), empty, 1, 1.0, 0.1), NE_OK);
        const int64_t bad[10] = {1, 5, 3, 3, 1, 1, 2, 2, 2, 2};  // C != output_dim * G^2
        expect_status("forward C mismatch", fwd_cuda(dtype, data.data(), rois.data(), nullptr,
                                                                              out.data(), cnt.data(), bad, 1, 1.0, 0.1),
                      NE_ERR_INVALID_ARGUMENT);
        const int64_t ok[10] = {1, 4, 3, 3, 1, 1, 2, 2, 2, 2};
        expect_status("backward trans without grad_trans",
                      bwd_cuda(dtype, out.data(), data.data(), rois.data(), trans.data(), cnt.data(),
                                                         data.data(), nullptr, ok, 1, 1.0, 0.1),
                      NE_ERR_INVALID_ARGUMENT);
    }
}

}  // namespace

int main() {
    run_all<float>(0);
    run_all<double>(1);
    edge_cases();
    return finish("deform_psroi_pool");
}
