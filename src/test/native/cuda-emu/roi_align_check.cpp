// CudaEmulationTest driver for ROIAlign: ne_roi_align_{forward,backward}_cuda (emulated) against
// the CPU kernels on seeded inputs: float32/float64, aligned 0/1, sampling ratio 0 (adaptive) and
// 2, scales 1, 1/2, 1/4, rois partly or wholly outside the image, malformed (x2 < x1) rois, H or
// W = 1, and both backward modes (deterministic gather, atomic scatter).
#include "emu_check.h"
extern "C" {
#include "ne_roi_align.h"
}

using namespace emu_check;

namespace {

template <class T>
void make_rois(Buf<T>& rois, const RoiShape& s, double scale, Rng& r, bool outside) {
    // In image pixels (the kernels multiply by spatial_scale): the feature map spans W/scale.
    const double iw = (double) s.w / scale, ih = (double) s.h / scale;
    for (int64_t k = 0; k < s.k; k++) {
        T* q = &rois[k * 5];
        q[0] = (T) r.below(s.n);
        double x1 = r.uniform(-0.3 * iw, 1.1 * iw), y1 = r.uniform(-0.3 * ih, 1.1 * ih);
        double x2 = x1 + r.uniform(-0.1 * iw, 0.9 * iw), y2 = y1 + r.uniform(-0.1 * ih, 0.9 * ih);
        if (k % 4 == 3) {  // on the half-pixel lattice of the feature map: samples on exact borders
            x1 = (0.5 * (double) r.below(2 * s.w + 6) - 2) / scale, y1 = (0.5 * (double) r.below(2 * s.h + 6) - 2) / scale;
            x2 = x1 + (0.5 * (double) r.below(2 * s.w + 2) - 0.5) / scale, y2 = y1 + (0.5 * (double) r.below(2 * s.h + 2) - 0.5) / scale;
        }
        if (outside && k % 3 == 0) x1 += 2 * iw, x2 += 2 * iw;  // entirely right of the image
        if (outside && k % 3 == 1) y1 -= 2 * ih, y2 -= 2 * ih;  // entirely above it
        q[1] = (T) x1, q[2] = (T) y1, q[3] = (T) x2, q[4] = (T) y2;
    }
}

template <class T>
void run_case(int32_t dtype, const RoiShape& s, double scale, int32_t sr, int32_t aligned, uint64_t seed, bool outside) {
    set_case("roi_align dtype=%d N=%ld C=%ld H=%ld W=%ld K=%ld P=%ldx%ld scale=%g sr=%d aligned=%d seed=%lu%s", dtype,
             (long) s.n, (long) s.c, (long) s.h, (long) s.w, (long) s.k, (long) s.ph, (long) s.pw, scale, sr, aligned,
             (unsigned long) seed, outside ? " outside-rois" : "");
    Rng r(seed);
    const size_t in_n = (size_t) (s.n * s.c * s.h * s.w), out_n = (size_t) (s.k * s.c * s.ph * s.pw);
    Buf<T> input(in_n), rois((size_t) s.k * 5);
    fill_uniform(input, r, -2, 2);
    make_rois(rois, s, scale, r, outside);

    Buf<T> want(out_n), got(out_n, (T) NAN);  // the forward must overwrite every element
    expect_status("forward cpu", ne_roi_align_forward_cpu(dtype, input.data(), s.n, s.c, s.h, s.w, rois.data(), s.k, s.ph,
                                                          s.pw, scale, sr, aligned, want.data(), 1, 0), NE_OK);
    if (expect_status("forward cuda", ne_roi_align_forward_cuda(dtype, input.data(), s.n, s.c, s.h, s.w, rois.data(), s.k,
                                                                s.ph, s.pw, scale, sr, aligned, got.data(), nullptr), NE_OK))
        compare_fwd("forward", got, want);

    Buf<T> gout(out_n), gwant(in_n);
    fill_uniform(gout, r, -1, 1);
    expect_status("backward cpu", ne_roi_align_backward_cpu(dtype, gout.data(), rois.data(), s.k, s.n, s.c, s.h, s.w, s.ph,
                                                            s.pw, scale, sr, aligned, gwant.data(), 1, 0), NE_OK);
    for (int det = 0; det <= 1; det++) {
        // The atomic path accumulates into a zero-filled grad_input; the gather path overwrites.
        Buf<T> ggot(in_n, det ? (T) NAN : (T) 0);
        if (expect_status(det ? "backward cuda deterministic" : "backward cuda atomic",
                          ne_roi_align_backward_cuda(dtype, gout.data(), rois.data(), s.k, s.n, s.c, s.h, s.w, s.ph, s.pw,
                                                     scale, sr, aligned, det, ggot.data(), nullptr), NE_OK))
            compare_bwd(det ? "backward deterministic" : "backward atomic", ggot, gwant);
    }
}

template <class T>
void run_all(int32_t dtype) {
    const RoiShape shapes[] = {
        {2, 3, 7, 9, 5, 3, 4},   // general
        {1, 2, 1, 6, 4, 2, 3},   // H = 1
        {2, 2, 5, 1, 4, 3, 2},   // W = 1
        {1, 1, 1, 1, 3, 2, 2},   // a single pixel
        {3, 4, 12, 10, 9, 7, 7}, // torchvision's usual 7x7 bins
    };
    const double scales[] = {1.0, 0.5, 0.25};
    uint64_t seed = 1000 * (uint64_t) dtype;
    for (const RoiShape& s : shapes)
        for (double scale : scales)
            for (int32_t sr : {seed % 3 == 0 ? -1 : 0, 2})  // every sr <= 0 is adaptive
                for (int32_t aligned : {0, 1}) {
                    seed++;
                    run_case<T>(dtype, s, scale, sr, aligned, seed, seed % 2 == 0);
                }
    run_case<T>(dtype, RoiShape{2, 3, 6, 5, 6, 2, 2}, 1.0, 1, 1, ++seed, true);
    run_case<T>(dtype, RoiShape{1, 2, 16, 16, 2, 1, 1}, 0.0625, 0, 0, ++seed, false);  // large adaptive grid
}

// No rois, an empty image, and the argument checks both entry points share.
void edge_cases() {
    for (int32_t dtype : {0, 1}) {
        set_case("roi_align edge dtype=%d", dtype);
        const size_t sz = dtype == 0 ? 4 : 8;
        Buf<double> in(64, 1.0), rois(5, 0.0), out(64, NAN), gin(64, 7.0), gout(64, 1.0);
        // K = 0: nothing to write; the backward still defines grad_input (zeros).
        expect_status("forward cuda K=0", ne_roi_align_forward_cuda(dtype, in.data(), 1, 2, 3, 3, rois.data(), 0, 2, 2, 1.0,
                                                                    0, 1, out.data(), nullptr), NE_OK);
        Buf<unsigned char> gz(64 * 8, 0x11), gz_cpu(64 * 8, 0x22);
        expect_status("backward cuda K=0 det", ne_roi_align_backward_cuda(dtype, gout.data(), rois.data(), 0, 1, 2, 3, 3, 2, 2,
                                                                          1.0, 0, 1, 1, gz.data(), nullptr), NE_OK);
        expect_status("backward cpu K=0", ne_roi_align_backward_cpu(dtype, gout.data(), rois.data(), 0, 1, 2, 3, 3, 2, 2, 1.0,
                                                                    0, 1, gz_cpu.data(), 1, 0), NE_OK);
        checks()++;
        if (memcmp(gz.data(), gz_cpu.data(), 18 * sz) != 0) failf("backward K=0: grad_input not zeroed like the CPU's");
        // H = 0: the forward output is all zeros on both.
        Buf<unsigned char> o(64 * 8, 0x33), o_cpu(64 * 8, 0x44);
        rois[1] = 0, rois[2] = 0, rois[3] = 2, rois[4] = 2;
        expect_status("forward cuda H=0", ne_roi_align_forward_cuda(dtype, in.data(), 1, 2, 0, 3, rois.data(), 1, 2, 2, 1.0,
                                                                    0, 1, o.data(), nullptr), NE_OK);
        expect_status("forward cpu H=0", ne_roi_align_forward_cpu(dtype, in.data(), 1, 2, 0, 3, rois.data(), 1, 2, 2, 1.0, 0,
                                                                  1, o_cpu.data(), 1, 0), NE_OK);
        checks()++;
        if (memcmp(o.data(), o_cpu.data(), 8 * sz) != 0) failf("forward H=0: output differs from the CPU's");
        // Invalid arguments: the same status as the CPU entry point.
        expect_status("forward cuda PH=0", ne_roi_align_forward_cuda(dtype, in.data(), 1, 2, 3, 3, rois.data(), 1, 0, 2, 1.0,
                                                                     0, 1, out.data(), nullptr), NE_ERR_INVALID_ARGUMENT);
        expect_status("forward cuda scale=NaN", ne_roi_align_forward_cuda(dtype, in.data(), 1, 2, 3, 3, rois.data(), 1, 2, 2,
                                                                          NAN, 0, 1, out.data(), nullptr),
                      NE_ERR_INVALID_ARGUMENT);
        expect_status("backward cuda scale=0", ne_roi_align_backward_cuda(dtype, gout.data(), rois.data(), 1, 1, 2, 3, 3, 2, 2,
                                                                          0.0, 0, 1, 0, gin.data(), nullptr),
                      NE_ERR_INVALID_ARGUMENT);
    }
    set_case("roi_align edge dtype=2");
    Buf<double> in(64, 1.0), rois(5, 0.0), out(64);
    expect_status("forward cuda dtype=2", ne_roi_align_forward_cuda(2, in.data(), 1, 2, 3, 3, rois.data(), 1, 2, 2, 1.0, 0,
                                                                    1, out.data(), nullptr), NE_ERR_UNSUPPORTED_DTYPE);
    expect_status("backward cuda dtype=2", ne_roi_align_backward_cuda(2, out.data(), rois.data(), 1, 1, 2, 3, 3, 2, 2, 1.0, 0,
                                                                      1, 1, in.data(), nullptr), NE_ERR_UNSUPPORTED_DTYPE);
    // As the CPU entry point: the dtype is checked even when there is nothing to compute.
    expect_status("forward cuda dtype=2 K=0", ne_roi_align_forward_cuda(2, in.data(), 1, 2, 3, 3, rois.data(), 0, 2, 2, 1.0, 0,
                                                                        1, out.data(), nullptr), NE_ERR_UNSUPPORTED_DTYPE);
    expect_status("forward cpu dtype=2 K=0", ne_roi_align_forward_cpu(2, in.data(), 1, 2, 3, 3, rois.data(), 0, 2, 2, 1.0, 0,
                                                                      1, out.data(), 1, 0), NE_ERR_UNSUPPORTED_DTYPE);
}

}  // namespace

int main() {
    run_all<float>(0);
    run_all<double>(1);
    edge_cases();
    return finish("roi_align");
}
