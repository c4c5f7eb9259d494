// CudaEmulationTest driver for nearest upsampling: ne_upsample_nearest_cuda (emulated) against
// ne_upsample_nearest_cpu, exactly (both copy), over factors 1..4 and odd sizes.
#include "emu_check.h"
extern "C" {
#include "ne_upsample_nearest.h"
}

using namespace emu_check;

namespace {

template <class T>
void run_case(int32_t dtype, int64_t n, int64_t c, int64_t h, int64_t w, int64_t fh, int64_t fw, uint64_t seed) {
    set_case("upsample_nearest dtype=%d n=%ld c=%ld %ldx%ld f=%ldx%ld", dtype, (long) n, (long) c, (long) h, (long) w, (long) fh,
             (long) fw);
    Rng r(seed);
    const size_t in_n = (size_t) (n * c * h * w), out_n = in_n * (size_t) (fh * fw);
    Buf<T> x(in_n), want(out_n), got(out_n, (T) 3);
    fill_uniform(x, r, -1, 1);
    expect_status("cpu", ne_upsample_nearest_cpu(dtype, x.data(), n, c, h, w, fh, fw, want.data(), 2, 0), NE_OK);
    if (expect_status("cuda", ne_upsample_nearest_cuda(dtype, x.data(), n, c, h, w, fh, fw, got.data(), nullptr), NE_OK))
        compare_exact("out", got, want);
}

}  // namespace

int main() {
    const int64_t cases[][6] = {{1, 1, 1, 1, 2, 2}, {2, 3, 5, 7, 2, 2}, {1, 2, 3, 17, 3, 1}, {1, 1, 1, 33, 1, 4}, {1, 2, 4, 4, 1, 1}};
    uint64_t seed = 1;
    for (const auto& c : cases) {
        run_case<float>(0, c[0], c[1], c[2], c[3], c[4], c[5], ++seed);
        run_case<double>(1, c[0], c[1], c[2], c[3], c[4], c[5], ++seed);
    }
    set_case("upsample_nearest edge");
    Buf<float> x(4), out(16);
    expect_status("factor=0", ne_upsample_nearest_cuda(0, x.data(), 1, 1, 2, 2, 0, 2, out.data(), nullptr), NE_ERR_INVALID_ARGUMENT);
    expect_status("n=0", ne_upsample_nearest_cuda(0, x.data(), 0, 1, 2, 2, 2, 2, out.data(), nullptr), NE_OK);
    expect_status("dtype=2", ne_upsample_nearest_cuda(2, x.data(), 1, 1, 2, 2, 2, 2, out.data(), nullptr), NE_ERR_UNSUPPORTED_DTYPE);
    return finish("upsample_nearest");
}
