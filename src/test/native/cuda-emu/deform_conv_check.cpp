// CudaEmulationTest driver for deformable convolution: ne_deform_conv_{forward,backward}_cuda
// (emulated: im2col, the tiled shared-memory GEMM with cooperative __syncthreads, col2im with
// atomics, the coordinate gradient) against the CPU kernels (fed a naive CBLAS-style GEMM below):
// DCN v1 and v2 (mask), groups, offset groups, stride, padding, dilation, bias or none, im2col_step
// smaller than, equal to and larger than N, H or W = 1, and offsets that push samples outside
// the image or onto exact pixel borders.
#include "emu_check.h"
extern "C" {
#include "ne_deform_conv.h"
}

using namespace emu_check;

namespace {

// Row-major CBLAS semantics (order 101, NoTrans 111, Trans 112), as cblas_sgemm/cblas_dgemm.
template <class T>
void naive_gemm(int order, int ta, int tb, int m, int n, int k, T alpha, const T* a, int lda, const T* b, int ldb, T beta,
                T* c, int ldc) {
    if (order != 101) abort();
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            T acc = 0;
            for (int p = 0; p < k; p++) acc += (ta == 111 ? a[i * lda + p] : a[p * lda + i]) * (tb == 111 ? b[p * ldb + j] : b[j * ldb + p]);
            c[i * ldc + j] = alpha * acc + (beta == T(0) ? T(0) : beta * c[i * ldc + j]);
        }
}

struct Cfg {
    int64_t n, cin, h, w, cout, kh, kw, groups, dg;
    int64_t sh, sw, ph, pw, dh, dw;
    int64_t step;
    bool mask, bias;
};

template <class T>
void run_case(int32_t dtype, const Cfg& g, uint64_t seed) {
    const int64_t ho = (g.h + 2 * g.ph - (g.dh * (g.kh - 1) + 1)) / g.sh + 1;
    const int64_t wo = (g.w + 2 * g.pw - (g.dw * (g.kw - 1) + 1)) / g.sw + 1;
    set_case("deform_conv dtype=%d N=%ld Cin=%ld H=%ld W=%ld Cout=%ld k=%ldx%ld groups=%ld offset_groups=%ld stride=%ld,%ld "
             "pad=%ld,%ld dil=%ld,%ld step=%ld %s bias=%d offset_grad=%lu seed=%lu", dtype, (long) g.n, (long) g.cin, (long) g.h, (long) g.w,
             (long) g.cout, (long) g.kh, (long) g.kw, (long) g.groups, (long) g.dg, (long) g.sh, (long) g.sw, (long) g.ph,
             (long) g.pw, (long) g.dh, (long) g.dw, (long) g.step, g.mask ? "v2" : "v1", g.bias, (unsigned long) (seed % 2), (unsigned long) seed);
    const int64_t dims[11] = {g.n, g.cin, g.h, g.w, g.cout, g.kh, g.kw, ho, wo, g.groups, g.dg};
    // Both offset-gradient conventions, alternating: integral offsets with padding put taps on -1.
    const int64_t conv[7] = {g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, (int64_t) (seed % 2)};
    const int64_t kk = g.kh * g.kw, hw = ho * wo;
    Rng r(seed);
    Buf<T> input((size_t) (g.n * g.cin * g.h * g.w)), offset((size_t) (g.n * g.dg * 2 * kk * hw));
    Buf<T> mask((size_t) (g.n * g.dg * kk * hw)), weight((size_t) (g.cout * (g.cin / g.groups) * kk)), bias((size_t) g.cout);
    fill_uniform(input, r, -1, 1);
    fill_uniform(weight, r, -1, 1);
    fill_uniform(bias, r, -1, 1);
    fill_uniform(mask, r, 0, 1);
    for (size_t i = 0; i < offset.n; i++) {
        int64_t kind = r.below(8);
        offset[i] = kind == 0 ? (T) (double) (r.below(7) - 3)      // integral: samples on pixel borders
                  : kind == 1 ? (T) r.uniform(-2.0 * (double) g.h, 2.0 * (double) g.h)  // far outside
                  : (T) r.uniform(-1.5, 1.5);
    }
    const T* mp = g.mask ? mask.data() : nullptr;
    const T* bp = g.bias ? bias.data() : nullptr;
    const int64_t gemm = (int64_t) (intptr_t) &naive_gemm<T>;
    const int64_t eff_step = g.step < g.n ? g.step : g.n;
    const size_t col = (size_t) (g.cin * kk * eff_step * hw);

    Buf<T> want((size_t) (g.n * g.cout * hw)), got((size_t) (g.n * g.cout * hw));  // outputs zero-filled
    expect_status("forward cpu", ne_deform_conv_forward_cpu(dtype, input.data(), offset.data(), mp, weight.data(), bp,
                                                            want.data(), dims, conv, g.step, gemm, 1, 0), NE_OK);
    Buf<T> ws(col, (T) NAN);  // device scratch is not zeroed
    if (expect_status("forward cuda", ne_deform_conv_forward_cuda(dtype, input.data(), offset.data(), mp, weight.data(), bp,
                                                                  got.data(), dims, conv, g.step, ws.data(), nullptr), NE_OK)) {
        compare_fwd("forward", got, want);
        check_guards("forward workspace", ws);
    }

    Buf<T> gout(want.n);
    fill_uniform(gout, r, -1, 1);
    Buf<T> gi_w(input.n), go_w(offset.n), gm_w(mask.n), gw_w(weight.n), gb_w(bias.n);
    Buf<T> gi_g(input.n), go_g(offset.n, (T) NAN), gm_g(mask.n, (T) NAN), gw_g(weight.n), gb_g(bias.n, (T) NAN);
    expect_status("backward cpu", ne_deform_conv_backward_cpu(dtype, gout.data(), input.data(), offset.data(), mp, weight.data(),
                                                              gi_w.data(), go_w.data(), g.mask ? gm_w.data() : nullptr,
                                                              gw_w.data(), g.bias ? gb_w.data() : nullptr, dims, conv, g.step,
                                                              gemm, 1, 0), NE_OK);
    Buf<T> ws2(2 * col, (T) NAN);
    if (expect_status("backward cuda", ne_deform_conv_backward_cuda(dtype, gout.data(), input.data(), offset.data(), mp,
                                                                    weight.data(), gi_g.data(), go_g.data(),
                                                                    g.mask ? gm_g.data() : nullptr, gw_g.data(),
                                                                    g.bias ? gb_g.data() : nullptr, dims, conv, g.step,
                                                                    ws2.data(), nullptr), NE_OK)) {
        compare_bwd("backward grad_input", gi_g, gi_w);
        compare_bwd("backward grad_offset", go_g, go_w);
        if (g.mask) compare_bwd("backward grad_mask", gm_g, gm_w);
        compare_bwd("backward grad_weight", gw_g, gw_w);
        if (g.bias) compare_bwd("backward grad_bias", gb_g, gb_w);
        check_guards("backward workspace", ws2);
    }
}

template <class T>
void run_all(int32_t dtype) {
    const Cfg cfgs[] = {
        // n, cin, h, w, cout, kh, kw, groups, dg, sh, sw, ph, pw, dh, dw, step, mask, bias
        {2, 4, 6, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, false, true},   // DCN v1
        {2, 4, 6, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, true, false},   // DCN v2
        {3, 4, 7, 5, 4, 3, 2, 2, 2, 2, 1, 1, 0, 1, 2, 2, true, true},    // groups, offset groups, stride, dilation; step < N
        {3, 6, 5, 6, 6, 2, 3, 3, 3, 1, 2, 0, 1, 2, 1, 1, false, true},   // 3 groups, step 1
        {2, 4, 1, 9, 4, 1, 3, 1, 2, 1, 1, 0, 1, 1, 1, 5, true, true},    // H = 1; step > N (clamped)
        {2, 2, 8, 1, 3, 3, 1, 1, 1, 1, 1, 1, 0, 1, 1, 2, true, false},   // W = 1
        {1, 8, 9, 9, 20, 3, 3, 2, 4, 1, 1, 1, 1, 1, 1, 1, true, true},   // Cout 20 and K 36: partial GEMM tiles
        {4, 3, 5, 5, 17, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 3, false, true},  // 1x1 kernel, 17 outputs, step 3 of 4
    };
    uint64_t seed = 7000 + 100 * (uint64_t) dtype;
    for (const Cfg& c : cfgs) run_case<T>(dtype, c, ++seed);
}

void edge_cases() {
    for (int32_t dtype : {0, 1}) {
        set_case("deform_conv edge dtype=%d", dtype);
        Buf<double> x(256, 1.0), o(256, 3.0), ws(1024);
        const int64_t conv[7] = {1, 1, 0, 0, 1, 1, NE_DCN_OFFSET_GRAD_TORCHVISION};
        const int64_t empty[11] = {0, 2, 3, 3, 2, 1, 1, 3, 3, 1, 1};  // N = 0
        expect_status("forward N=0", ne_deform_conv_forward_cuda(dtype, x.data(), x.data(), nullptr, x.data(), nullptr, o.data(),
                                                                 empty, conv, 1, ws.data(), nullptr), NE_OK);
        checks()++;
        if (o[0] != 3.0) failf("N=0 wrote the output");
        const int64_t bad_ho[11] = {1, 2, 3, 3, 2, 1, 1, 4, 3, 1, 1};
        expect_status("forward wrong H_out", ne_deform_conv_forward_cuda(dtype, x.data(), x.data(), nullptr, x.data(), nullptr,
                                                                         o.data(), bad_ho, conv, 1, ws.data(), nullptr),
                      NE_ERR_INVALID_ARGUMENT);
        const int64_t bad_groups[11] = {1, 3, 3, 3, 2, 1, 1, 3, 3, 2, 1};  // C_in % groups != 0
        expect_status("forward bad groups", ne_deform_conv_forward_cuda(dtype, x.data(), x.data(), nullptr, x.data(), nullptr,
                                                                        o.data(), bad_groups, conv, 1, ws.data(), nullptr),
                      NE_ERR_INVALID_ARGUMENT);
        const int64_t ok[11] = {1, 2, 3, 3, 2, 1, 1, 3, 3, 1, 1};
        expect_status("forward step 0", ne_deform_conv_forward_cuda(dtype, x.data(), x.data(), nullptr, x.data(), nullptr,
                                                                    o.data(), ok, conv, 0, ws.data(), nullptr),
                      NE_ERR_INVALID_ARGUMENT);
        const int64_t bad_convention[7] = {1, 1, 0, 0, 1, 1, 2};
        expect_status("backward unknown offset_grad", ne_deform_conv_backward_cuda(dtype, x.data(), x.data(), x.data(), nullptr,
                                                                                  x.data(), o.data(), o.data(), nullptr,
                                                                                  o.data(), nullptr, ok, bad_convention, 1,
                                                                                  ws.data(), nullptr),
                      NE_ERR_INVALID_ARGUMENT);
        expect_status("backward mask without grad_mask",
                      ne_deform_conv_backward_cuda(dtype, x.data(), x.data(), x.data(), x.data(), x.data(), o.data(), o.data(),
                                                   nullptr, o.data(), nullptr, ok, conv, 1, ws.data(), nullptr),
                      NE_ERR_INVALID_ARGUMENT);
    }
}

// Selects the CUDA GEMM; returns its description, or "" (a failure recorded) when refused.
std::string select_gemm(const char* library, int32_t want_status) {
    char text[512] = "";
    expect_status("ne_deform_conv_cuda_gemm", ne_deform_conv_cuda_gemm(library, text, sizeof text), want_status);
    return text;
}

// The calls the stand-in cuBLAS has served (its fake_cublas_calls), or -1.
long standin_calls(const char* path) {
    void* lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    long (*calls)(void) = lib ? (long (*)(void)) dlsym(lib, "fake_cublas_calls") : nullptr;
    return calls ? calls() : -1;
}

}  // namespace

int main() {
    // The tiled shared-memory GEMM kernel (what runs where no cuBLAS is installed).
    set_case("gemm selection: tiled");
    std::string tiled = select_gemm("", NE_OK);
    if (tiled != "tiled shared-memory kernel (cuBLAS not requested)") failf("description '%s'", tiled.c_str());
    run_all<float>(0);
    run_all<double>(1);
    edge_cases();
    // The cuBLAS path of the same entry points: handles, streams and the row-major operand
    // mapping at every real call site, against a stand-in libcublas computing on host memory.
    const char* standin = getenv("NE_EMU_CUBLAS_STANDIN");
    set_case("gemm selection: cuBLAS stand-in");
    if (standin == nullptr) {
        failf("NE_EMU_CUBLAS_STANDIN is not set: the cuBLAS path is not checked");
    } else {
        std::string d = select_gemm(standin, NE_OK);
        if (d.rfind("cuBLAS 13.1.0 (", 0) != 0) failf("description '%s'", d.c_str());
        long before = standin_calls(standin);
        run_all<float>(0);
        run_all<double>(1);
        set_case("gemm selection: cuBLAS stand-in");
        if (standin_calls(standin) <= before) failf("the stand-in served no GEMM (%ld calls before, %ld after)", before,
                                                    standin_calls(standin));
        std::string missing = select_gemm("/nonexistent/libcublas.so.13", NE_ERR_LIBRARY_UNAVAILABLE);
        if (missing.find("cuBLAS not loaded") == std::string::npos) failf("description '%s'", missing.c_str());
    }
    return finish("deform_conv");
}
