// CudaEmulationTest driver for the per-channel affine epilogue: ne_channel_affine_cuda (emulated)
// against ne_channel_affine_cpu, exactly (same operations in the same order, no FMA on either
// side), for every combination of scale / shift / residual / relu, in place over x and over the
// residual, odd plane sizes, and the argument checks.
#include "emu_check.h"
extern "C" {
#include "ne_channel_affine.h"
}

using namespace emu_check;

namespace {

template <class T>
void run_case(int32_t dtype, int64_t n, int64_t c, int64_t hw, int mask, uint64_t seed) {
    set_case("channel_affine dtype=%d n=%ld c=%ld hw=%ld mask=%d seed=%lu", dtype, (long) n, (long) c, (long) hw, mask,
             (unsigned long) seed);
    Rng r(seed);
    const size_t count = (size_t) (n * c * hw);
    Buf<T> x(count), sc((size_t) c), sh((size_t) c), res(count), want(count), got(count, (T) 77);
    fill_uniform(x, r, -3, 3);
    fill_uniform(sc, r, -2, 2);
    fill_uniform(sh, r, -1, 1);
    fill_uniform(res, r, -2, 2);
    const T* s = mask & 1 ? sc.data() : nullptr;
    const T* b = mask & 2 ? sh.data() : nullptr;
    const T* rr = mask & 4 ? res.data() : nullptr;
    const int32_t relu = (mask >> 3) & 1;
    expect_status("cpu", ne_channel_affine_cpu(dtype, x.data(), n, c, hw, s, b, rr, relu, want.data(), 2, 0), NE_OK);
    if (expect_status("cuda", ne_channel_affine_cuda(dtype, x.data(), n, c, hw, s, b, rr, relu, got.data(), nullptr), NE_OK))
        compare_exact("out", got, want);
    // in place over x
    Buf<T> inplace(count);
    memcpy(inplace.data(), x.data(), count * sizeof(T));
    if (expect_status("cuda in place", ne_channel_affine_cuda(dtype, inplace.data(), n, c, hw, s, b, rr, relu, inplace.data(),
                                                              nullptr), NE_OK))
        compare_exact("in place", inplace, want);
}

template <class T>
void run_all(int32_t dtype) {
    const int64_t shapes[][3] = {{1, 1, 1}, {2, 3, 17}, {1, 5, 64}, {3, 2, 33}, {1, 7, 100}};
    uint64_t seed = 300 + 100 * (uint64_t) dtype;
    for (const auto& s : shapes)
        for (int mask = 0; mask < 16; mask++) run_case<T>(dtype, s[0], s[1], s[2], mask, ++seed);
}

void edge_cases() {
    set_case("channel_affine edge");
    Buf<float> x(8, 1.f), out(8, 5.f);
    expect_status("empty", ne_channel_affine_cuda(0, x.data(), 0, 2, 4, nullptr, nullptr, nullptr, 0, out.data(), nullptr), NE_OK);
    checks()++;
    if (out[0] != 5.f) failf("an empty tensor wrote the output");
    expect_status("dtype=2", ne_channel_affine_cuda(2, x.data(), 1, 2, 4, nullptr, nullptr, nullptr, 0, out.data(), nullptr),
                  NE_ERR_UNSUPPORTED_DTYPE);
    expect_status("relu=2", ne_channel_affine_cuda(0, x.data(), 1, 2, 4, nullptr, nullptr, nullptr, 2, out.data(), nullptr),
                  NE_ERR_INVALID_ARGUMENT);
    expect_status("c<0", ne_channel_affine_cuda(0, x.data(), 1, -2, 4, nullptr, nullptr, nullptr, 0, out.data(), nullptr),
                  NE_ERR_INVALID_ARGUMENT);
}

}  // namespace

int main() {
    run_all<float>(0);
    run_all<double>(1);
    edge_cases();
    return finish("channel_affine");
}
