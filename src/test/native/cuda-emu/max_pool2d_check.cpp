// CudaEmulationTest driver for 2-D max pooling: ne_max_pool2d_cuda (emulated) against
// ne_max_pool2d_cpu (and the global average pooling beside it). A max selects one of the inputs, so the two must agree exactly (-0 and +0
// compare equal: either may win a tie), NaN included; inputs are quantised to make ties common
// and some carry NaN. Geometries: the stem's 3x3/2 pad 1, 1x1/2, dilation, ceil_mode sizes.
#include "emu_check.h"
extern "C" {
#include "ne_max_pool2d.h"
}

using namespace emu_check;

namespace {

struct Geo {
    int64_t n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
};

template <class T>
void run_case(int32_t dtype, const Geo& g, uint64_t seed, int variant) {
    set_case("max_pool2d dtype=%d n=%ld c=%ld %ldx%ld k=%ldx%ld s=%ldx%ld p=%ldx%ld d=%ldx%ld out=%ldx%ld seed=%lu v=%d", dtype,
             (long) g.n, (long) g.c, (long) g.h, (long) g.w, (long) g.kh, (long) g.kw, (long) g.sh, (long) g.sw, (long) g.ph,
             (long) g.pw, (long) g.dh, (long) g.dw, (long) g.oh, (long) g.ow, (unsigned long) seed, variant);
    Rng r(seed);
    const size_t in_n = (size_t) (g.n * g.c * g.h * g.w), out_n = (size_t) (g.n * g.c * g.oh * g.ow);
    Buf<T> x(in_n), want(out_n), got(out_n, (T) 12345);
    for (size_t i = 0; i < in_n; i++) {
        x[i] = variant == 1 ? (T) (double) r.below(3) : (T) r.uniform(-3, 3);
        if (variant == 2 && r.below(7) == 0) x[i] = (T) NAN;
    }
    expect_status("cpu", ne_max_pool2d_cpu(dtype, x.data(), g.n, g.c, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw,
                                           g.oh, g.ow, want.data(), 2, 0), NE_OK);
    if (expect_status("cuda", ne_max_pool2d_cuda(dtype, x.data(), g.n, g.c, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh,
                                                 g.dw, g.oh, g.ow, got.data(), nullptr), NE_OK)) {
        check_guards("out", got);
        compare("out", got.data(), want.data(), want.n, 0, 0);
    }
}

template <class T>
void run_all(int32_t dtype) {
    const Geo geos[] = {
        {1, 3, 9, 11, 3, 3, 2, 2, 1, 1, 1, 1, 5, 6},     // the stem's pool
        {2, 2, 8, 8, 3, 3, 2, 2, 1, 1, 1, 1, 4, 4},
        {1, 2, 5, 5, 2, 2, 2, 2, 1, 1, 1, 1, 3, 3},      // ceil_mode with the last-window rule
        {1, 1, 1, 1, 1, 1, 2, 2, 0, 0, 1, 1, 1, 1},      // 1x1/2 on a 1x1 map
        {1, 2, 7, 17, 2, 3, 1, 2, 1, 1, 2, 1, 7, 9},     // dilated rows
        {1, 4, 13, 37, 3, 2, 3, 1, 0, 1, 2, 3, 3, 36},
        {1, 1, 25, 25, 1, 1, 2, 2, 0, 0, 1, 1, 13, 13},  // LastLevelMaxPool
    };
    uint64_t seed = 500 + 100 * (uint64_t) dtype;
    for (const Geo& g : geos)
        for (int v = 0; v < 3; v++) run_case<T>(dtype, g, ++seed, v);
}

// Global average pooling: the same additions in the same order and one division, so the two
// agree exactly; plane counts around the CPU's groups of eight, a NaN carried through.
template <class T>
void run_global_avg(int32_t dtype) {
    const int64_t shapes[][2] = {{1, 1}, {3, 1}, {8, 49}, {13, 49}, {2048, 49}, {5, 300}};
    uint64_t seed = 900 + 100 * (uint64_t) dtype;
    for (const auto& sh : shapes) {
        const int64_t planes = sh[0], hw = sh[1];
        set_case("global_avg_pool2d dtype=%d planes=%ld hw=%ld", dtype, (long) planes, (long) hw);
        Rng r(++seed);
        Buf<T> x((size_t) (planes * hw)), want((size_t) planes), got((size_t) planes, (T) 12345);
        for (size_t i = 0; i < x.n; i++) x[i] = (T) r.uniform(-3, 3);
        if (planes > 3) x[(size_t) hw] = (T) NAN;
        expect_status("cpu", ne_global_avg_pool2d_cpu(dtype, x.data(), planes, hw, want.data(), 2), NE_OK);
        if (expect_status("cuda", ne_global_avg_pool2d_cuda(dtype, x.data(), planes, hw, got.data(), nullptr), NE_OK)) {
            check_guards("out", got);
            compare("out", got.data(), want.data(), want.n, 0, 0);
        }
    }
}

void edge_cases() {
    set_case("max_pool2d edge");
    Buf<float> x(16, 1.f), out(16, 5.f);
    expect_status("n=0", ne_max_pool2d_cuda(0, x.data(), 0, 1, 4, 4, 2, 2, 2, 2, 0, 0, 1, 1, 2, 2, out.data(), nullptr), NE_OK);
    expect_status("stride=0", ne_max_pool2d_cuda(0, x.data(), 1, 1, 4, 4, 2, 2, 0, 2, 0, 0, 1, 1, 2, 2, out.data(), nullptr),
                  NE_ERR_INVALID_ARGUMENT);
    expect_status("pad<0", ne_max_pool2d_cuda(0, x.data(), 1, 1, 4, 4, 2, 2, 2, 2, -1, 0, 1, 1, 2, 2, out.data(), nullptr),
                  NE_ERR_INVALID_ARGUMENT);
    expect_status("dtype=2", ne_max_pool2d_cuda(2, x.data(), 1, 1, 4, 4, 2, 2, 2, 2, 0, 0, 1, 1, 2, 2, out.data(), nullptr),
                  NE_ERR_UNSUPPORTED_DTYPE);
    expect_status("gap planes=0", ne_global_avg_pool2d_cuda(0, x.data(), 0, 4, out.data(), nullptr), NE_OK);
    expect_status("gap hw=0", ne_global_avg_pool2d_cuda(0, x.data(), 1, 0, out.data(), nullptr), NE_ERR_INVALID_ARGUMENT);
    expect_status("gap dtype=2", ne_global_avg_pool2d_cuda(2, x.data(), 1, 4, out.data(), nullptr), NE_ERR_UNSUPPORTED_DTYPE);
}

}  // namespace

int main() {
    run_all<float>(0);
    run_all<double>(1);
    run_global_avg<float>(0);
    run_global_avg<double>(1);
    edge_cases();
    return finish("max_pool2d");
}
