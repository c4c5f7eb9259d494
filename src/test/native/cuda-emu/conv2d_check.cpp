// CudaEmulationTest driver for conv2d: ne_conv2d_forward_cuda (emulated; the direct kernel, then
// the cuDNN path against a stand-in libcudnn computing on host memory) against
// ne_conv2d_forward_cpu (the GEMM path, the direct kernel, and Winograd for float32 3x3)
// for float32 and float64 over kernel sizes, strides, padding, dilation, groups (1, 2, depthwise),
// 1x1 planes, widths not a multiple of 16, and every epilogue combination; forward tolerance
// (rtol 1e-5 + 1e-5 of the largest; Winograd: 1e-4 of the largest). The prepared entry points
// give the unprepared call's bits (under AddressSanitizer here). Bad arguments: statuses.
#include <dlfcn.h>
#include <stdlib.h>
#include <cstring>
#include <string>
#include <vector>
#include "emu_check.h"
extern "C" {
#include "ne_conv2d.h"
}

using namespace emu_check;

namespace {

struct Shape {
    int64_t n, cin, h, w, cout, kh, kw, sh, sw, ph, pw, dh, dw, groups;
};

template <class T>
void run_case(int32_t dtype, const Shape& s, int epi, int32_t algo, uint64_t seed) {
    const int64_t ho = (s.h + 2 * s.ph - (s.dh * (s.kh - 1) + 1)) / s.sh + 1, wo = (s.w + 2 * s.pw - (s.dw * (s.kw - 1) + 1)) / s.sw + 1;
    set_case("conv2d dtype=%d N=%ld C=%ld %ldx%ld C_out=%ld k=%ldx%ld s=%ld,%ld p=%ld,%ld d=%ld,%ld g=%ld epi=%d algo=%d seed=%lu",
             dtype, (long) s.n, (long) s.cin, (long) s.h, (long) s.w, (long) s.cout, (long) s.kh, (long) s.kw, (long) s.sh,
             (long) s.sw, (long) s.ph, (long) s.pw, (long) s.dh, (long) s.dw, (long) s.groups, epi, algo, (unsigned long) seed);
    Rng r(seed);
    const size_t nin = (size_t) (s.n * s.cin * s.h * s.w), nw = (size_t) (s.cout * (s.cin / s.groups) * s.kh * s.kw);
    const size_t nout = (size_t) (s.n * s.cout * ho * wo);
    Buf<T> in(nin), wt(nw), bias((size_t) s.cout), scale((size_t) s.cout), shift((size_t) s.cout), res(nout);
    fill_uniform(in, r, -1, 1);
    fill_uniform(wt, r, -1, 1);
    fill_uniform(bias, r, -1, 1);
    fill_uniform(scale, r, -2, 2);
    fill_uniform(shift, r, -1, 1);
    fill_uniform(res, r, -1, 1);
    const bool hasBias = epi & 1, hasSS = epi & 2, hasRes = epi & 4;
    const int32_t relu = (epi & 8) ? 1 : 0;
    const int64_t dims[10] = {s.n, s.cin, s.h, s.w, s.cout, s.kh, s.kw, ho, wo, s.groups};
    const int64_t conv[6] = {s.sh, s.sw, s.ph, s.pw, s.dh, s.dw};
    Buf<T> want(nout), got(nout, (T) 77);
    expect_status("forward cpu", ne_conv2d_forward_cpu(dtype, in.data(), wt.data(), hasBias ? bias.data() : nullptr,
                                                       hasSS ? scale.data() : nullptr, hasSS ? shift.data() : nullptr,
                                                       hasRes ? res.data() : nullptr, relu, want.data(), dims, conv, algo, 1, 0),
                  NE_OK);
    // the same path on weights prepared once, into a buffer of exactly the size asked for: the same bits
    int32_t path = 0;
    int64_t bytes = 0;
    if (expect_status("path", ne_conv2d_path_cpu(dtype, dims, conv, algo, 0, &path), NE_OK) &&
        expect_status("prepared bytes", ne_conv2d_prepared_bytes_cpu(dtype, dims, conv, path, &bytes), NE_OK)) {
        std::vector<unsigned char> prep((size_t) bytes);
        Buf<T> again(nout, (T) 55);
        if (expect_status("prepare", ne_conv2d_prepare_cpu(dtype, wt.data(), hasBias ? bias.data() : nullptr,
                                                           hasSS ? scale.data() : nullptr, hasSS ? shift.data() : nullptr, dims,
                                                           conv, path, prep.data(), bytes, 2, 0), NE_OK) &&
            expect_status("forward prepared", ne_conv2d_forward_prepared_cpu(dtype, in.data(), prep.data(), bytes,
                                                                             hasRes ? res.data() : nullptr, relu, again.data(), dims,
                                                                             conv, 2, 0), NE_OK)) {
            check_guards("forward prepared", again);
            compare("forward prepared vs unprepared", again.data(), want.data(), nout, 0.0, 0.0);
        }
    }
    if (expect_status("forward cuda", ne_conv2d_forward_cuda(dtype, in.data(), wt.data(), hasBias ? bias.data() : nullptr,
                                                             hasSS ? scale.data() : nullptr, hasSS ? shift.data() : nullptr,
                                                             hasRes ? res.data() : nullptr, relu, got.data(), dims, conv, nullptr),
                      NE_OK)) {
        if (algo == 2) {
            check_guards("forward (winograd)", got);
            compare("forward (winograd)", got.data(), want.data(), nout, 0.0, 1e-4 * (max_abs(want.data(), nout) + 1));
        } else {
            compare_fwd("forward", got, want);
        }
    }
}

template <class T>
void run_all(int32_t dtype) {
    const Shape shapes[] = {
        {2, 3, 7, 9, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1},
        {1, 4, 1, 1, 5, 1, 1, 1, 1, 0, 0, 1, 1, 1},    // 1x1 plane, 1x1 kernel
        {1, 4, 1, 1, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1},    // 1x1 plane, 3x3 kernel
        {2, 8, 9, 17, 12, 1, 1, 1, 1, 0, 0, 1, 1, 1},  // 1x1 direct
        {1, 8, 9, 17, 12, 1, 1, 2, 2, 0, 0, 1, 1, 1},  // 1x1 stride 2
        {1, 3, 19, 21, 8, 7, 7, 2, 2, 3, 3, 1, 1, 1},  // stem-like
        {1, 6, 9, 11, 6, 3, 3, 1, 1, 1, 1, 1, 1, 6},   // depthwise
        {1, 8, 9, 11, 4, 3, 3, 2, 1, 2, 1, 2, 1, 2},   // groups 2, stride/dilation per axis
        {1, 4, 6, 5, 6, 2, 3, 1, 2, 0, 1, 1, 2, 1},    // rectangular kernel
    };
    uint64_t seed = 9000 + 100 * (uint64_t) dtype;
    for (const Shape& s : shapes)
        for (int epi = 0; epi < 16; epi += (s.n == 2 && s.cin == 3 ? 1 : 5)) run_case<T>(dtype, s, epi, 1, ++seed);
    for (const Shape& s : shapes) run_case<T>(dtype, s, 15, 0, ++seed);
}

void winograd_cases() {
    const Shape shapes[] = {
        {1, 16, 9, 13, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1},
        {2, 5, 4, 3, 7, 3, 3, 1, 1, 0, 1, 1, 1, 1},
        {1, 3, 1, 1, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1},
    };
    uint64_t seed = 9500;
    for (const Shape& s : shapes)
        for (int epi = 0; epi < 16; epi += 3) run_case<float>(0, s, epi, 2, ++seed);
}

void edge_cases() {
    set_case("conv2d edge");
    Buf<float> a(64, 1.f), out(64, 5.f);
    const int64_t dims[10] = {1, 2, 3, 3, 2, 3, 3, 1, 1, 1}, conv[6] = {1, 1, 0, 0, 1, 1};
    const int64_t bad_groups[10] = {1, 3, 3, 3, 2, 3, 3, 1, 1, 2}, bad_out[10] = {1, 2, 3, 3, 2, 3, 3, 2, 1, 1};
    const int64_t neg_pad[6] = {1, 1, -1, 0, 1, 1};
    expect_status("groups not dividing C_in", ne_conv2d_forward_cuda(0, a.data(), a.data(), nullptr, nullptr, nullptr, nullptr, 0,
                                                                      out.data(), bad_groups, conv, nullptr), NE_ERR_INVALID_ARGUMENT);
    expect_status("wrong H_out", ne_conv2d_forward_cuda(0, a.data(), a.data(), nullptr, nullptr, nullptr, nullptr, 0, out.data(),
                                                         bad_out, conv, nullptr), NE_ERR_INVALID_ARGUMENT);
    expect_status("negative padding", ne_conv2d_forward_cuda(0, a.data(), a.data(), nullptr, nullptr, nullptr, nullptr, 0,
                                                              out.data(), dims, neg_pad, nullptr), NE_ERR_INVALID_ARGUMENT);
    expect_status("dtype 2", ne_conv2d_forward_cuda(2, a.data(), a.data(), nullptr, nullptr, nullptr, nullptr, 0, out.data(), dims,
                                                     conv, nullptr), NE_ERR_UNSUPPORTED_DTYPE);
    const int64_t stride2[6] = {2, 2, 0, 0, 1, 1};
    expect_status("cpu: winograd on a 3x3 stride-2", ne_conv2d_forward_cpu(0, a.data(), a.data(), nullptr, nullptr, nullptr, nullptr,
                                                                             0, out.data(), dims, stride2,
                                                                             2, 1, 0), NE_ERR_INVALID_ARGUMENT);
    // prepared buffers: only one ne_conv2d_prepare_cpu wrote, of these shapes, big enough, for a path that fits
    int32_t path = 0;
    int64_t bytes = 0;
    expect_status("path of algo 2 on a stride-2 conv", ne_conv2d_path_cpu(0, dims, stride2, 2, 0, &path), NE_ERR_INVALID_ARGUMENT);
    expect_status("path", ne_conv2d_path_cpu(0, dims, conv, 0, 0, &path), NE_OK);
    expect_status("bytes", ne_conv2d_prepared_bytes_cpu(0, dims, conv, path, &bytes), NE_OK);
    std::vector<unsigned char> prep((size_t) bytes + 64, 0);
    expect_status("forward on a buffer never prepared", ne_conv2d_forward_prepared_cpu(0, a.data(), prep.data(), bytes, nullptr, 0,
                                                                                       out.data(), dims, conv, 1, 0),
                  NE_ERR_INVALID_ARGUMENT);
    expect_status("prepare into too small a buffer", ne_conv2d_prepare_cpu(0, a.data(), nullptr, nullptr, nullptr, dims, conv, path,
                                                                           prep.data(), bytes - 1, 1, 0), NE_ERR_INVALID_ARGUMENT);
    expect_status("prepare", ne_conv2d_prepare_cpu(0, a.data(), nullptr, nullptr, nullptr, dims, conv, path, prep.data(), bytes, 1, 0),
                  NE_OK);
    expect_status("forward prepared", ne_conv2d_forward_prepared_cpu(0, a.data(), prep.data(), bytes, nullptr, 0, out.data(), dims,
                                                                     conv, 1, 0), NE_OK);
    expect_status("forward with a smaller size than prepared", ne_conv2d_forward_prepared_cpu(0, a.data(), prep.data(), bytes - 1,
                                                                                              nullptr, 0, out.data(), dims, conv, 1, 0),
                  NE_ERR_INVALID_ARGUMENT);
    const int64_t other_cout[10] = {1, 2, 3, 3, 1, 3, 3, 1, 1, 1};
    expect_status("forward with other C_out", ne_conv2d_forward_prepared_cpu(0, a.data(), prep.data(), bytes, nullptr, 0, out.data(),
                                                                             other_cout, conv, 1, 0), NE_ERR_INVALID_ARGUMENT);
    expect_status("forward as float64", ne_conv2d_forward_prepared_cpu(1, a.data(), prep.data(), bytes, nullptr, 0, out.data(), dims,
                                                                       conv, 1, 0), NE_ERR_INVALID_ARGUMENT);
    expect_status("bytes of path 4", ne_conv2d_prepared_bytes_cpu(0, dims, conv, 4, &bytes), NE_ERR_INVALID_ARGUMENT);
    expect_status("bytes of Winograd's AMX route (none)", ne_conv2d_prepared_bytes_cpu(0, dims, conv, 2 | 8, &bytes),
                  NE_ERR_INVALID_ARGUMENT);
}

// A residual that is the output itself (an in-place accumulate): out starts as the residual.
void inplace_case(uint64_t seed) {
    set_case("conv2d in-place residual seed=%lu", (unsigned long) seed);
    Rng r(seed);
    const Shape s = {1, 4, 6, 7, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1};
    Buf<float> in(4 * 6 * 7), wt(5 * 4 * 9), scale(5), shift(5), res(5 * 6 * 7);
    fill_uniform(in, r, -1, 1);
    fill_uniform(wt, r, -1, 1);
    fill_uniform(scale, r, -2, 2);
    fill_uniform(shift, r, -1, 1);
    fill_uniform(res, r, -1, 1);
    const int64_t dims[10] = {s.n, s.cin, s.h, s.w, s.cout, s.kh, s.kw, 6, 7, s.groups};
    const int64_t conv[6] = {s.sh, s.sw, s.ph, s.pw, s.dh, s.dw};
    Buf<float> want(res.n), got(res.n);
    for (size_t i = 0; i < res.n; i++) got.data()[i] = res.data()[i];
    expect_status("forward cpu", ne_conv2d_forward_cpu(0, in.data(), wt.data(), nullptr, scale.data(), shift.data(), res.data(), 1,
                                                       want.data(), dims, conv, 1, 1, 0), NE_OK);
    if (expect_status("forward cuda in place", ne_conv2d_forward_cuda(0, in.data(), wt.data(), nullptr, scale.data(), shift.data(),
                                                                      got.data(), 1, got.data(), dims, conv, nullptr), NE_OK))
        compare_fwd("forward in place", got, want);
}

// Selects the CUDA convolution; returns its description.
std::string select_dnn(const char* library, int32_t want_status) {
    char text[512] = "";
    expect_status("ne_conv2d_cuda_dnn", ne_conv2d_cuda_dnn(library, text, sizeof text), want_status);
    return text;
}

// A function of the stand-in cuDNN (fake_cudnn_calls, fake_cudnn_refuse), or nullptr.
void* standin_fn(const char* path, const char* name) {
    void* lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    return lib ? dlsym(lib, name) : nullptr;
}

long standin_calls(const char* path) {
    long (*calls)(void) = (long (*)(void)) standin_fn(path, "fake_cudnn_calls");
    return calls ? calls() : -1;
}

}  // namespace

int main() {
    // The project's direct kernel (what runs where no cuDNN is installed).
    set_case("conv selection: direct");
    std::string direct = select_dnn("", NE_OK);
    if (direct != "nativeext's direct kernel (cuDNN not requested)") failf("description '%s'", direct.c_str());
    run_all<float>(0);
    run_all<double>(1);
    winograd_cases();
    edge_cases();
    inplace_case(9900);
    // The cuDNN path of the same entry point: descriptors, algorithm choice, workspace, stream
    // and the epilogue kernel after it, against a stand-in libcudnn computing on host memory.
    const char* standin = getenv("NE_EMU_CUDNN_STANDIN");
    set_case("conv selection: cuDNN stand-in");
    if (standin == nullptr) {
        failf("NE_EMU_CUDNN_STANDIN is not set: the cuDNN path is not checked");
        return finish("conv2d");
    }
    std::string d = select_dnn(standin, NE_OK);
    if (d.rfind("cuDNN 9.1.0 (", 0) != 0) failf("description '%s'", d.c_str());
    long before = standin_calls(standin);
    run_all<float>(0);
    run_all<double>(1);
    set_case("conv selection: cuDNN stand-in");
    long after = standin_calls(standin);
    if (after <= before) failf("the stand-in served no convolution (%ld calls before, %ld after)", before, after);
    // In place, cuDNN would overwrite the residual before the epilogue reads it: the direct kernel runs.
    inplace_case(9901);
    set_case("conv selection: cuDNN stand-in, in place");
    if (standin_calls(standin) != after) failf("the in-place accumulate went to cuDNN");
    // No usable algorithm: the direct kernel runs, with the same results.
    void (*refuse)(int) = (void (*)(int)) standin_fn(standin, "fake_cudnn_refuse");
    if (refuse == nullptr) {
        failf("the stand-in has no fake_cudnn_refuse");
    } else {
        refuse(1);
        run_case<float>(0, {1, 3, 7, 9, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1}, 15, 0, 9902);
        set_case("conv selection: cuDNN stand-in, no algorithm");
        if (standin_calls(standin) != after) failf("a refused convolution was counted as served");
        refuse(0);
    }
    set_case("conv selection: missing cuDNN");
    std::string missing = select_dnn("/nonexistent/libcudnn.so.9", NE_ERR_LIBRARY_UNAVAILABLE);
    if (missing.find("cuDNN not loaded") == std::string::npos) failf("description '%s'", missing.c_str());
    const char* cublas = getenv("NE_EMU_CUBLAS_STANDIN");
    if (cublas != nullptr) {
        set_case("conv selection: not a cuDNN");
        std::string wrong = select_dnn(cublas, NE_ERR_LIBRARY_UNAVAILABLE);
        if (wrong.find("has no symbol cudnnCreate") == std::string::npos) failf("description '%s'", wrong.c_str());
    }
    return finish("conv2d");
}
