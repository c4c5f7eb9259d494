// CudaEmulationTest driver for broadcast binary arithmetic: ne_binary_cuda (emulated) against
// ne_binary_cpu for every dtype (float32, float64, int32, int64, uint8) and op (add, sub, mul,
// div: integer division by zero reported, MIN / -1 wrapping), exact equality, over broadcast shapes (stride 0 axes),
// permuted (non-contiguous) operands, 0-d and 8-d shapes, size-1 axes and empty shapes; 3 CPU threads give
// the bits of one (ranges that start inside a broadcast row, zero divisors, the float32 streaming path).
#include "emu_check.h"
#include <limits>
extern "C" {
#include "ne_elementwise.h"
}

using namespace emu_check;

namespace {

struct Layout {
    std::vector<int64_t> shape, sa, sb;  // output shape, operand strides (elements)
    size_t na, nb;                       // elements each operand spans
};

// Operand strides for a broadcast of a tensor whose axis d has size 1 (bcast bit set) or the
// output's size, contiguous in the axis order `perm` (so permuted operands are non-contiguous).
void strides_for(const std::vector<int64_t>& shape, unsigned bcast, bool permute, std::vector<int64_t>& st, size_t& span) {
    const size_t nd = shape.size();
    st.assign(nd, 0);
    std::vector<size_t> order(nd);
    for (size_t d = 0; d < nd; d++) order[d] = permute ? d : nd - 1 - d;  // permute: first axis fastest
    int64_t step = 1;
    for (size_t d : order) {
        int64_t size = (bcast >> d) & 1 ? 1 : shape[d];
        st[d] = size == 1 ? 0 : step;
        step *= size;
    }
    span = (size_t) step;
}

template <class T>
T random_value(Rng& r, int32_t dtype) {
    switch (dtype) {
        case 0: case 1: return (T) (r.below(12) == 0 ? 0.0 : r.uniform(-100, 100));
        case 4: return (T) r.below(256);
        default: {
            // Includes 0 divisors and MIN / -1 (which wraps to MIN).
            uint64_t k = r.below(40);
            if (k == 0) return std::numeric_limits<T>::min();
            if (k == 1) return (T) -1;
            return (T) ((int64_t) r.below(2001) - 1000);
        }
    }
}

template <class T>
void run_case(int32_t dtype, int32_t op, const std::vector<int64_t>& shape, unsigned ba, unsigned bb, bool permute,
              uint64_t seed) {
    std::string sh;
    for (int64_t s : shape) sh += std::to_string(s) + ",";
    set_case("elementwise dtype=%d op=%d shape=[%s] bcast_a=%u bcast_b=%u permuted=%d seed=%lu", dtype, op, sh.c_str(), ba,
             bb, permute, (unsigned long) seed);
    Rng r(seed);
    Layout l;
    l.shape = shape;
    strides_for(shape, ba, permute, l.sa, l.na);
    strides_for(shape, bb, false, l.sb, l.nb);
    size_t count = 1;
    for (int64_t s : shape) count *= (size_t) s;
    Buf<T> a(l.na), b(l.nb), want(count), got(count, (T) 77);
    for (size_t i = 0; i < l.na; i++) a[i] = random_value<T>(r, dtype);
    for (size_t i = 0; i < l.nb; i++) b[i] = random_value<T>(r, dtype);
    const int32_t nd = (int32_t) shape.size();
    if (nd == 0) l.shape.push_back(1), l.sa.push_back(0), l.sb.push_back(0);  // 0-d: valid (non-NULL) arrays
    // Integer division by a zero divisor anywhere is NE_ERR_DIVISION_BY_ZERO from both, with the
    // same (fully written) output.
    bool zero_divisor = false;
    if (op == 3 && dtype >= 2)
        for (size_t i = 0; i < l.nb; i++) zero_divisor |= b[i] == (T) 0;
    const int32_t expected = zero_divisor ? NE_ERR_DIVISION_BY_ZERO : NE_OK;
    expect_status("cpu", ne_binary_cpu(op, dtype, nd, l.shape.data(), a.data(), l.sa.data(), b.data(), l.sb.data(), want.data(), 2, 0),
                  expected);
    if (expect_status("cuda", ne_binary_cuda(op, dtype, nd, l.shape.data(), a.data(), l.sa.data(), b.data(), l.sb.data(),
                                             got.data(), nullptr), expected))
        compare_exact("out", got, want);
}

template <class T>
void run_all(int32_t dtype) {
    const std::vector<std::vector<int64_t>> shapes = {
        {}, {1}, {7}, {3, 4}, {2, 1, 5}, {3, 4, 5}, {1, 3, 1, 4}, {2, 3, 2, 3, 2}, {2, 1, 2, 1, 2, 1, 2, 3}, {300, 3},
    };
    uint64_t seed = 5000 + 100 * (uint64_t) dtype;
    for (int32_t op = 0; op < 4; op++)
        for (const auto& s : shapes)
            for (unsigned v = 0; v < 4; v++) {
                unsigned full = (1u << s.size()) - 1;
                unsigned ba = v == 1 ? (0x5u & full) : v == 3 ? full : 0, bb = v == 2 ? (0xAu & full) : v == 3 ? (0x2u & full) : 0;
                run_case<T>(dtype, op, s, ba, bb, v == 2, ++seed);
            }
}

// MIN / -1 wraps to MIN, x / -1 negates, a zero divisor is reported, on both, for int32 and int64
// (also broadcast: a scalar -1 divisor).
template <class T>
void integer_division_edges(int32_t dtype) {
    set_case("elementwise integer division edges dtype=%d", dtype);
    const T mn = std::numeric_limits<T>::min(), mx = std::numeric_limits<T>::max();
    Buf<T> a(4), b(1, (T) -1), want(4), got(4, (T) 77);
    a[0] = mn, a[1] = mx, a[2] = (T) 7, a[3] = (T) 0;
    const int64_t shape[] = {4}, sa[] = {1}, sb[] = {0};
    expect_status("cpu MIN/-1", ne_binary_cpu(3, dtype, 1, shape, a.data(), sa, b.data(), sb, want.data(), 1, 0), NE_OK);
    expect_status("cuda MIN/-1", ne_binary_cuda(3, dtype, 1, shape, a.data(), sa, b.data(), sb, got.data(), nullptr), NE_OK);
    checks()++;
    if (want[0] != mn || want[1] != (T) -mx || want[2] != (T) -7 || want[3] != (T) 0) failf("cpu: x / -1 is not the wrapped negation");
    compare_exact("MIN/-1", got, want);
    Buf<T> z(1, (T) 0);
    expect_status("cpu x/0", ne_binary_cpu(3, dtype, 1, shape, a.data(), sa, z.data(), sb, want.data(), 1, 0), NE_ERR_DIVISION_BY_ZERO);
    expect_status("cuda x/0", ne_binary_cuda(3, dtype, 1, shape, a.data(), sa, z.data(), sb, got.data(), nullptr),
                  NE_ERR_DIVISION_BY_ZERO);
    compare_exact("x/0", got, want);
}

// Several threads (at least 1M elements each), whose ranges start and end inside rows, give the
// bits of one thread and of CUDA: broadcast rows ({r, c} + {1, c}), an integer division with zero
// divisors (the status of any task is reported), and the float32 streaming path (>= 8 MiB).
template <class T>
void thread_case(int32_t dtype, int32_t op, int64_t rows, int64_t cols, uint64_t seed) {
    set_case("elementwise threads dtype=%d op=%d shape=[%ld,%ld]", dtype, op, (long) rows, (long) cols);
    Rng r(seed);
    const size_t count = (size_t) (rows * cols);
    Buf<T> a(count), b((size_t) cols), one(count), many(count, (T) 77), got(count, (T) 77);
    for (size_t i = 0; i < count; i++) a[i] = random_value<T>(r, dtype);
    for (size_t i = 0; i < (size_t) cols; i++) b[i] = random_value<T>(r, dtype);
    bool zero_divisor = false;
    if (op == 3 && dtype >= 2)
        for (size_t i = 0; i < (size_t) cols; i++) zero_divisor |= b[i] == (T) 0;
    const int32_t expected = zero_divisor ? NE_ERR_DIVISION_BY_ZERO : NE_OK;
    const int64_t shape[] = {rows, cols}, sa[] = {cols, 1}, sb[] = {0, 1};
    expect_status("cpu 1 thread", ne_binary_cpu(op, dtype, 2, shape, a.data(), sa, b.data(), sb, one.data(), 1, 0), expected);
    expect_status("cpu 3 threads", ne_binary_cpu(op, dtype, 2, shape, a.data(), sa, b.data(), sb, many.data(), 3, 0),
                  expected);
    compare_exact("3 threads vs 1", many, one);
    if (expect_status("cuda", ne_binary_cuda(op, dtype, 2, shape, a.data(), sa, b.data(), sb, got.data(), nullptr), expected))
        compare_exact("cuda vs cpu", got, one);
}

void thread_cases() {
    thread_case<double>(1, 3, 2, 1100001, 92);
    thread_case<int32_t>(2, 3, 2, 1100001, 93);
    thread_case<float>(0, 2, 3, 700001, 94);  // 8.4 MB of float32: the streaming path
}

void edge_cases() {
    integer_division_edges<int32_t>(2);
    integer_division_edges<int64_t>(3);
    set_case("elementwise edge");
    Buf<float> a(8, 1.f), b(8, 2.f), out(8, 5.f);
    const int64_t zero_shape[] = {3, 0, 2}, st[] = {1, 1, 1};
    expect_status("empty shape", ne_binary_cuda(0, 0, 3, zero_shape, a.data(), st, b.data(), st, out.data(), nullptr), NE_OK);
    checks()++;
    if (out[0] != 5.f) failf("an empty shape wrote the output");
    const int64_t neg[] = {2, -1};
    expect_status("negative size", ne_binary_cuda(0, 0, 2, neg, a.data(), st, b.data(), st, out.data(), nullptr),
                  NE_ERR_INVALID_ARGUMENT);
    expect_status("op=4", ne_binary_cuda(4, 0, 1, st, a.data(), st, b.data(), st, out.data(), nullptr), NE_ERR_INVALID_ARGUMENT);
    expect_status("ndim=9", ne_binary_cuda(0, 0, 9, st, a.data(), st, b.data(), st, out.data(), nullptr),
                  NE_ERR_INVALID_ARGUMENT);
    expect_status("dtype=5", ne_binary_cuda(0, 5, 1, st, a.data(), st, b.data(), st, out.data(), nullptr),
                  NE_ERR_UNSUPPORTED_DTYPE);
}

}  // namespace

int main() {
    run_all<float>(0);
    run_all<double>(1);
    run_all<int32_t>(2);
    run_all<int64_t>(3);
    run_all<uint8_t>(4);
    edge_cases();
    thread_cases();
    return finish("elementwise");
}
