// CudaEmulationTest driver for the sigmoid focal loss: ne_sigmoid_focal_loss_{forward,backward}_cuda
// (emulated) against the CPU kernels, both conventions (int64 labels with -1 ignore and 0
// background; dense soft targets), gamma 0 / 0.5 / 2, alpha < 0 (off) and 0.25, logits up to
// +-60 (the stable forms), and a row count that needs more than one block.
#include "emu_check.h"
extern "C" {
#include "ne_sigmoid_focal_loss.h"
}

using namespace emu_check;

namespace {

template <class T>
void run_case(int32_t dtype, int64_t n, int64_t c, int32_t conv, double gamma, double alpha, uint64_t seed) {
    set_case("focal dtype=%d n=%ld c=%ld convention=%d gamma=%g alpha=%g seed=%lu", dtype, (long) n, (long) c, conv, gamma,
             alpha, (unsigned long) seed);
    Rng r(seed);
    const size_t total = (size_t) (n * c);
    Buf<T> x(total), dense(total), gl(total);
    Buf<int64_t> labels((size_t) n);
    for (size_t i = 0; i < total; i++) {
        x[i] = (T) (r.below(10) == 0 ? r.uniform(-60, 60) : r.uniform(-6, 6));
        int64_t k = r.below(4);
        dense[i] = k == 0 ? (T) 0 : k == 1 ? (T) 1 : (T) r.uniform(0, 1);  // hard and soft targets
    }
    for (int64_t i = 0; i < n; i++) labels[i] = r.below(c + 2) - 1;  // -1 ignore .. c
    fill_uniform(gl, r, -1, 1);
    const void* tg = conv == 0 ? (const void*) labels.data() : (const void*) dense.data();

    Buf<T> want(total), got(total, (T) NAN);
    expect_status("forward cpu", ne_sigmoid_focal_loss_forward_cpu(dtype, n, c, x.data(), tg, conv, gamma, alpha, 1, 0,
                                                                   want.data()), NE_OK);
    if (expect_status("forward cuda", ne_sigmoid_focal_loss_forward_cuda(dtype, n, c, x.data(), tg, conv, gamma, alpha,
                                                                         got.data(), nullptr), NE_OK))
        compare_fwd("forward", got, want);
    Buf<T> gwant(total), ggot(total, (T) NAN);
    expect_status("backward cpu", ne_sigmoid_focal_loss_backward_cpu(dtype, n, c, x.data(), tg, conv, gamma, alpha, gl.data(),
                                                                     1, 0, gwant.data()), NE_OK);
    if (expect_status("backward cuda", ne_sigmoid_focal_loss_backward_cuda(dtype, n, c, x.data(), tg, conv, gamma, alpha,
                                                                           gl.data(), ggot.data(), nullptr), NE_OK))
        compare_bwd("backward", ggot, gwant);
}

template <class T>
void run_all(int32_t dtype) {
    uint64_t seed = 4000 + 100 * (uint64_t) dtype;
    const int64_t shapes[][2] = {{1, 1}, {7, 5}, {33, 81}, {300, 3}};
    for (auto& s : shapes)
        for (int32_t conv : {0, 1})
            for (double gamma : {0.0, 0.5, 2.0})
                for (double alpha : {-1.0, 0.25}) run_case<T>(dtype, s[0], s[1], conv, gamma, alpha, ++seed);
}

void edge_cases() {
    for (int32_t dtype : {0, 1}) {
        set_case("focal edge dtype=%d", dtype);
        Buf<double> x(4, 1.0), out(4, 9.0);
        Buf<int64_t> labels(4, 1);
        expect_status("forward n=0", ne_sigmoid_focal_loss_forward_cuda(dtype, 0, 3, x.data(), labels.data(), 0, 2, 0.25,
                                                                        out.data(), nullptr), NE_OK);
        expect_status("forward c=0", ne_sigmoid_focal_loss_forward_cuda(dtype, 3, 0, x.data(), labels.data(), 0, 2, 0.25,
                                                                        out.data(), nullptr), NE_OK);
        checks()++;
        if (out[0] != 9.0) failf("an empty call wrote its output");
        expect_status("forward convention=2", ne_sigmoid_focal_loss_forward_cuda(dtype, 2, 2, x.data(), labels.data(), 2, 2,
                                                                                 0.25, out.data(), nullptr),
                      NE_ERR_INVALID_ARGUMENT);
        expect_status("backward grad_loss=NULL", ne_sigmoid_focal_loss_backward_cuda(dtype, 2, 2, x.data(), labels.data(), 0,
                                                                                     2, 0.25, nullptr, out.data(), nullptr),
                      NE_ERR_INVALID_ARGUMENT);
        expect_status("forward n<0", ne_sigmoid_focal_loss_forward_cuda(dtype, -1, 2, x.data(), labels.data(), 0, 2, 0.25,
                                                                        out.data(), nullptr), NE_ERR_INVALID_ARGUMENT);
    }
    set_case("focal edge dtype=2");
    Buf<double> x(4, 1.0), out(4);
    Buf<int64_t> labels(4, 1);
    expect_status("forward dtype=2", ne_sigmoid_focal_loss_forward_cuda(2, 2, 2, x.data(), labels.data(), 0, 2, 0.25,
                                                                        out.data(), nullptr), NE_ERR_UNSUPPORTED_DTYPE);
}

}  // namespace

int main() {
    run_all<float>(0);
    run_all<double>(1);
    edge_cases();
    return finish("sigmoid_focal_loss");
}
