// CudaEmulationTest driver for ROIPool: ne_roi_pool_{forward,backward}_cuda (emulated) against the
// CPU kernels. The forward must match exactly (a max selects one of the same values; argmax ties
// go to the first pixel in scan order, NaN is never selected), so inputs are quantised to make
// ties common and some carry NaN; the backward (atomic scatter vs a deterministic CPU walk)
// within 1e-4 of the largest gradient.
#include "emu_check.h"
extern "C" {
#include "ne_roi_pool.h"
}

using namespace emu_check;

namespace {

template <class T>
void run_case(int32_t dtype, const RoiShape& s, double scale, uint64_t seed, bool ties, bool nans) {
    set_case("roi_pool dtype=%d N=%ld C=%ld H=%ld W=%ld K=%ld P=%ldx%ld scale=%g seed=%lu%s%s", dtype, (long) s.n,
             (long) s.c, (long) s.h, (long) s.w, (long) s.k, (long) s.ph, (long) s.pw, scale, (unsigned long) seed,
             ties ? " ties" : "", nans ? " nans" : "");
    Rng r(seed);
    const size_t in_n = (size_t) (s.n * s.c * s.h * s.w), out_n = (size_t) (s.k * s.c * s.ph * s.pw);
    Buf<T> input(in_n), rois((size_t) s.k * 5);
    for (size_t i = 0; i < in_n; i++) {
        input[i] = ties ? (T) (double) r.below(4) : (T) r.uniform(-3, 3);
        if (nans && r.below(5) == 0) input[i] = (T) NAN;
    }
    if (nans && in_n >= 4) for (size_t i = 0; i < in_n / 4; i++) input[i] = (T) NAN;  // a whole all-NaN region
    const double iw = (double) s.w / scale, ih = (double) s.h / scale;
    for (int64_t k = 0; k < s.k; k++) {
        T* q = &rois[k * 5];
        q[0] = (T) r.below(s.n);
        double x1 = r.uniform(-0.3 * iw, 1.1 * iw), y1 = r.uniform(-0.3 * ih, 1.1 * ih);
        double x2 = x1 + r.uniform(-0.2 * iw, 0.9 * iw), y2 = y1 + r.uniform(-0.2 * ih, 0.9 * ih);
        if (k % 4 == 3) x1 = r.below((int64_t) iw + 1) + 0.5, y1 = r.below((int64_t) ih + 1) - 0.5;  // rounding halves
        q[1] = (T) x1, q[2] = (T) y1, q[3] = (T) x2, q[4] = (T) y2;
    }
    Buf<T> want(out_n), got(out_n, (T) 12345);
    Buf<int32_t> amax_want(out_n), amax_got(out_n, -777);
    expect_status("forward cpu", ne_roi_pool_forward_cpu(dtype, input.data(), s.n, s.c, s.h, s.w, rois.data(), s.k, s.ph, s.pw,
                                                         scale, want.data(), amax_want.data(), 1, 0), NE_OK);
    if (expect_status("forward cuda", ne_roi_pool_forward_cuda(dtype, input.data(), s.n, s.c, s.h, s.w, rois.data(), s.k, s.ph,
                                                               s.pw, scale, got.data(), amax_got.data(), nullptr), NE_OK)) {
        compare_exact("forward output", got, want);
        compare_exact("forward argmax", amax_got, amax_want);
    }
    Buf<T> gout(out_n), gwant(in_n), ggot(in_n, (T) 0);  // the CUDA backward scatters into zeros
    fill_uniform(gout, r, -1, 1);
    expect_status("backward cpu", ne_roi_pool_backward_cpu(dtype, gout.data(), amax_want.data(), rois.data(), s.k, s.n, s.c,
                                                           s.h, s.w, s.ph, s.pw, gwant.data(), 1, 0), NE_OK);
    if (expect_status("backward cuda", ne_roi_pool_backward_cuda(dtype, gout.data(), amax_want.data(), rois.data(), s.k, s.n,
                                                                 s.c, s.h, s.w, s.ph, s.pw, ggot.data(), nullptr), NE_OK))
        compare_bwd("backward", ggot, gwant);
}

template <class T>
void run_all(int32_t dtype) {
    const RoiShape shapes[] = {
        {2, 3, 7, 9, 6, 3, 4},
        {1, 2, 1, 6, 4, 2, 3},   // H = 1
        {2, 2, 5, 1, 4, 3, 2},   // W = 1
        {1, 1, 1, 1, 3, 2, 2},   // a single pixel
        {3, 4, 12, 10, 9, 7, 7},
    };
    uint64_t seed = 2000 + 100 * (uint64_t) dtype;
    for (const RoiShape& s : shapes)
        for (double scale : {1.0, 0.5, 0.25})
            for (int v = 0; v < 3; v++) {
                seed++;
                run_case<T>(dtype, s, scale, seed, v == 1, v == 2);
            }
}

void edge_cases() {
    for (int32_t dtype : {0, 1}) {
        set_case("roi_pool edge dtype=%d", dtype);
        Buf<double> in(64, 1.0), rois(5, 0.0), out(64);
        Buf<int32_t> amax(64, -1);
        expect_status("forward cuda K=0", ne_roi_pool_forward_cuda(dtype, in.data(), 1, 2, 3, 3, rois.data(), 0, 2, 2, 1.0,
                                                                   out.data(), amax.data(), nullptr), NE_OK);
        expect_status("backward cuda K=0", ne_roi_pool_backward_cuda(dtype, out.data(), amax.data(), rois.data(), 0, 1, 2, 3, 3,
                                                                     2, 2, in.data(), nullptr), NE_OK);
        expect_status("forward cuda PW=0", ne_roi_pool_forward_cuda(dtype, in.data(), 1, 2, 3, 3, rois.data(), 1, 2, 0, 1.0,
                                                                    out.data(), amax.data(), nullptr), NE_ERR_INVALID_ARGUMENT);
        // H = 0: every bin is empty (output 0, argmax -1), as on the CPU.
        Buf<double> o(8, 5.0), o_cpu(8, 6.0);
        Buf<int32_t> a(8, 3), a_cpu(8, 4);
        rois[3] = 2, rois[4] = 2;
        expect_status("forward cuda H=0", ne_roi_pool_forward_cuda(dtype, in.data(), 1, 2, 0, 3, rois.data(), 1, 2, 2, 1.0,
                                                                   o.data(), a.data(), nullptr), NE_OK);
        expect_status("forward cpu H=0", ne_roi_pool_forward_cpu(dtype, in.data(), 1, 2, 0, 3, rois.data(), 1, 2, 2, 1.0,
                                                                 o_cpu.data(), a_cpu.data(), 1, 0), NE_OK);
        checks()++;
        if (memcmp(o.data(), o_cpu.data(), 8 * (dtype == 0 ? 4 : 8)) != 0 || memcmp(a.data(), a_cpu.data(), 8 * 4) != 0)
            failf("forward H=0: output/argmax differ from the CPU's");
    }
    set_case("roi_pool edge dtype=2 K=0");
    Buf<double> in(64, 1.0), rois(5, 0.0), out(64);
    Buf<int32_t> amax(64, -1);
    expect_status("forward cuda", ne_roi_pool_forward_cuda(2, in.data(), 1, 2, 3, 3, rois.data(), 0, 2, 2, 1.0, out.data(),
                                                           amax.data(), nullptr), NE_ERR_UNSUPPORTED_DTYPE);
    expect_status("forward cpu", ne_roi_pool_forward_cpu(2, in.data(), 1, 2, 3, 3, rois.data(), 0, 2, 2, 1.0, out.data(),
                                                         amax.data(), 1, 0), NE_ERR_UNSUPPORTED_DTYPE);
}

}  // namespace

int main() {
    run_all<float>(0);
    run_all<double>(1);
    edge_cases();
    return finish("roi_pool");
}
