// CudaEmulationTest driver for ReLU and sigmoid: ne_activation_cuda (emulated) against
// ne_activation_cpu, exactly (the same formulas; float32's sigmoid shares ne_fl_expf), over sizes
// around the CPU's 16-element blocks, special values (±0, ±inf, NaN, |x| > 87), in place.
#include "emu_check.h"
extern "C" {
#include "ne_activation.h"
}

using namespace emu_check;

namespace {

// Same bits, or NaN on both sides (compare() cannot take infinities: inf - inf is NaN).
template <class T>
void same(const char* what, const Buf<T>& got, const Buf<T>& want) {
    check_guards(what, got);
    checks()++;
    for (size_t i = 0; i < want.n; i++) {
        if (std::isnan((double) got[i]) && std::isnan((double) want[i])) continue;
        if (memcmp(&got[i], &want[i], sizeof(T)) != 0) {
            failf("%s: element [%zu] differs: cuda %.17g, cpu %.17g", what, i, (double) got[i], (double) want[i]);
            return;
        }
    }
}

template <class T>
void run_case(int32_t dtype, int32_t op, int64_t count, uint64_t seed) {
    set_case("activation op=%d dtype=%d count=%ld seed=%lu", op, dtype, (long) count, (unsigned long) seed);
    Rng r(seed);
    Buf<T> x((size_t) count), want((size_t) count), got((size_t) count, (T) 9);
    fill_uniform(x, r, -40, 40);
    const double special[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, 100, -100, 88, -88, 1e-30};
    for (size_t i = 0; i < sizeof special / sizeof special[0] && i < (size_t) count; i++) x[i] = (T) special[i];
    expect_status("cpu", ne_activation_cpu(op, dtype, count, x.data(), want.data(), 1, 0), NE_OK);
    if (expect_status("cuda", ne_activation_cuda(op, dtype, count, x.data(), got.data(), nullptr), NE_OK))
        same("out", got, want);
    if (expect_status("cuda in place", ne_activation_cuda(op, dtype, count, x.data(), x.data(), nullptr), NE_OK))
        same("in place", x, want);
}

void edge_cases() {
    set_case("activation edge");
    Buf<float> x(4, 1.f), out(4, 5.f);
    expect_status("count=0", ne_activation_cuda(0, 0, 0, x.data(), out.data(), nullptr), NE_OK);
    expect_status("op=2", ne_activation_cuda(2, 0, 4, x.data(), out.data(), nullptr), NE_ERR_INVALID_ARGUMENT);
    expect_status("dtype=3", ne_activation_cuda(0, 3, 4, x.data(), out.data(), nullptr), NE_ERR_UNSUPPORTED_DTYPE);
    expect_status("count<0", ne_activation_cuda(0, 0, -1, x.data(), out.data(), nullptr), NE_ERR_INVALID_ARGUMENT);
}

}  // namespace

int main() {
    uint64_t seed = 900;
    for (int32_t op = 0; op < 2; op++)
        for (int64_t count : {1, 15, 16, 17, 100, 1000}) {
            run_case<float>(0, op, count, ++seed);
            run_case<double>(1, op, count, ++seed);
        }
    edge_cases();
    return finish("activation");
}
