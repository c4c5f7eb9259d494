// CudaEmulationTest driver for GroupNorm: ne_group_norm_cuda (emulated) against ne_group_norm_cpu
// within the forward tolerance (the two sum the statistics in different orders), over group
// counts (1, all channels, in between), odd planes, groups larger than the CPU's 32K-element
// chunks, with and without affine parameters and ReLU, in place, and a constant group (which
// must give exactly the bias on both).
#include "emu_check.h"
extern "C" {
#include "ne_group_norm.h"
}

using namespace emu_check;

namespace {

template <class T>
void run_case(int32_t dtype, int64_t n, int64_t c, int64_t hw, int64_t groups, bool affine, int32_t relu, uint64_t seed) {
    set_case("group_norm dtype=%d n=%ld c=%ld hw=%ld groups=%ld affine=%d relu=%d seed=%lu", dtype, (long) n, (long) c,
             (long) hw, (long) groups, affine, relu, (unsigned long) seed);
    Rng r(seed);
    const size_t count = (size_t) (n * c * hw);
    Buf<T> x(count), w((size_t) c), b((size_t) c), want(count), got(count, (T) 77);
    fill_uniform(x, r, -2, 3);
    fill_uniform(w, r, 0.5, 2);
    fill_uniform(b, r, -1, 1);
    const T* pw = affine ? w.data() : nullptr;
    const T* pb = affine ? b.data() : nullptr;
    expect_status("cpu", ne_group_norm_cpu(dtype, x.data(), n, c, hw, groups, 1e-5, pw, pb, relu, want.data(), 2, 0), NE_OK);
    if (expect_status("cuda", ne_group_norm_cuda(dtype, x.data(), n, c, hw, groups, 1e-5, pw, pb, relu, got.data(), nullptr), NE_OK))
        compare_fwd("out", got, want);
    if (expect_status("cuda in place", ne_group_norm_cuda(dtype, x.data(), n, c, hw, groups, 1e-5, pw, pb, relu, x.data(), nullptr),
                      NE_OK))
        compare_fwd("in place", x, want);
}

template <class T>
void constant_group(int32_t dtype) {
    set_case("group_norm constant dtype=%d", dtype);
    Buf<T> x(2 * 4 * 9, (T) 3.25), w(4, (T) 1.5), b(4), got(2 * 4 * 9), cpu(2 * 4 * 9);
    for (int i = 0; i < 4; i++) b[i] = (T) (0.125 * (i + 1));
    expect_status("cuda", ne_group_norm_cuda(dtype, x.data(), 2, 4, 9, 2, 1e-5, w.data(), b.data(), 0, got.data(), nullptr), NE_OK);
    expect_status("cpu", ne_group_norm_cpu(dtype, x.data(), 2, 4, 9, 2, 1e-5, w.data(), b.data(), 0, cpu.data(), 1, 0), NE_OK);
    checks()++;
    for (int i = 0; i < 72; i++)
        if (got[i] != b[(i / 9) % 4] || cpu[i] != b[(i / 9) % 4]) {
            failf("element %d: cuda %.9g cpu %.9g, expected the bias %.9g", i, (double) got[i], (double) cpu[i], (double) b[(i / 9) % 4]);
            break;
        }
}

template <class T>
void run_all(int32_t dtype) {
    const int64_t shapes[][4] = {{1, 4, 1, 4}, {2, 6, 35, 3}, {1, 8, 17, 1}, {3, 5, 1, 5}, {1, 4, 9000, 1}, {1, 32, 63, 8}};
    uint64_t seed = 700 + 100 * (uint64_t) dtype;
    for (const auto& s : shapes)
        for (int v = 0; v < 3; v++) run_case<T>(dtype, s[0], s[1], s[2], s[3], v != 1, v == 2, ++seed);
    constant_group<T>(dtype);
}

void edge_cases() {
    set_case("group_norm edge");
    Buf<float> x(8, 1.f), out(8, 5.f);
    expect_status("groups not dividing", ne_group_norm_cuda(0, x.data(), 1, 4, 2, 3, 1e-5, nullptr, nullptr, 0, out.data(), nullptr),
                  NE_ERR_INVALID_ARGUMENT);
    expect_status("groups=0", ne_group_norm_cuda(0, x.data(), 1, 4, 2, 0, 1e-5, nullptr, nullptr, 0, out.data(), nullptr),
                  NE_ERR_INVALID_ARGUMENT);
    expect_status("eps<0", ne_group_norm_cuda(0, x.data(), 1, 4, 2, 2, -1, nullptr, nullptr, 0, out.data(), nullptr),
                  NE_ERR_INVALID_ARGUMENT);
    expect_status("n=0", ne_group_norm_cuda(0, x.data(), 0, 4, 2, 2, 1e-5, nullptr, nullptr, 0, out.data(), nullptr), NE_OK);
    expect_status("dtype=2", ne_group_norm_cuda(2, x.data(), 1, 4, 2, 2, 1e-5, nullptr, nullptr, 0, out.data(), nullptr),
                  NE_ERR_UNSUPPORTED_DTYPE);
}

}  // namespace

int main() {
    run_all<float>(0);
    run_all<double>(1);
    edge_cases();
    return finish("group_norm");
}
