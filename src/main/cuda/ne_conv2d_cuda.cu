// conv2d on CUDA, mirroring ne_conv2d_cpu.c's semantics (include/ne_conv2d.h). Where a cuDNN
// is found at run time (ne_cudnn.h: dlopen, FMA math for float32), cuDNN's convolution writes
// the output and one epilogue kernel applies y*s + t (s = scale, t = bias*s + shift), the
// residual and ReLU in place. Otherwise, and where cuDNN cannot take a case (a size beyond its
// int descriptors, no algorithm within the workspace limit, a residual that is the output
// itself), the project's own direct kernel runs: one thread per output element (ox fastest,
// then oy, co, n), the sum over the group's input channels and kernel taps in the CPU
// reference order, then the same epilogue.
#include <cuda_runtime.h>
#include <stdint.h>
#include <string.h>
#include <atomic>
#include <mutex>
#include <new>
extern "C" {
#include "ne_conv2d.h"
#include "ne_status.h"
}
#include "ne_cuda.cuh"
#include "../cpp/ne_cudnn.h"
#include "../cpp/ne_text.h"

namespace {

constexpr int kBlock = 256;

unsigned grid_for(int64_t n) {
    return ne_cuda_blocks(n, kBlock, 65535);
}

struct Geom {
    int64_t n, cin, h, w, cout, kh, kw, ho, wo, groups;
    int64_t sh, sw, ph, pw, dh, dw;
};

template <typename T>
__global__ void forward_kernel(Geom g, const T* in, const T* wt, const T* bias, const T* scale, const T* shift, const T* res,
                               int32_t relu, T* out, int64_t total) {
    const int64_t cig = g.cin / g.groups, cog = g.cout / g.groups;
    NE_GRID_LOOP(i, total) {
        const int64_t ox = i % g.wo, oy = (i / g.wo) % g.ho, co = (i / (g.wo * g.ho)) % g.cout, b = i / (g.wo * g.ho * g.cout);
        const int64_t gr = co / cog;
        const T* x = in + (b * g.cin + gr * cig) * g.h * g.w;
        const T* wc = wt + co * cig * g.kh * g.kw;
        T acc = 0;
        for (int64_t ci = 0; ci < cig; ci++) {
            for (int64_t ki = 0; ki < g.kh; ki++) {
                const int64_t y = oy * g.sh - g.ph + ki * g.dh;
                if (y < 0 || y >= g.h) continue;
                for (int64_t kj = 0; kj < g.kw; kj++) {
                    const int64_t xx = ox * g.sw - g.pw + kj * g.dw;
                    if (xx < 0 || xx >= g.w) continue;
                    acc += wc[(ci * g.kh + ki) * g.kw + kj] * x[(ci * g.h + y) * g.w + xx];
                }
            }
        }
        const T s = scale ? scale[co] : (T) 1;
        const T t = (bias ? bias[co] * s : (T) 0) + (shift ? shift[co] : (T) 0);
        T v = acc * s + t;
        if (res) v = v + res[i];
        if (relu) v = v < 0 ? (T) 0 : v;
        out[i] = v;
    }
}

// The epilogue after cuDNN, in place: y = y*s + t, + residual, ReLU (the direct kernel's).
template <typename T>
__global__ void epilogue_kernel(Geom g, const T* bias, const T* scale, const T* shift, const T* res, int32_t relu, T* out,
                                int64_t total) {
    NE_GRID_LOOP(i, total) {
        const int64_t co = (i / (g.wo * g.ho)) % g.cout;
        const T s = scale ? scale[co] : (T) 1;
        const T t = (bias ? bias[co] * s : (T) 0) + (shift ? shift[co] : (T) 0);
        T v = out[i] * s + t;
        if (res) v = v + res[i];
        if (relu) v = v < 0 ? (T) 0 : v;
        out[i] = v;
    }
}

constexpr const char* kDirect = "nativeext's direct kernel";

// The cuDNN in use, published once loaded and never freed (a re-selection publishes a new one,
// so handles made from the old one can still be destroyed with its functions).
std::mutex dnn_mutex;
std::atomic<const ne_cudnn*> dnn_in_use{nullptr};

const ne_cudnn* select_dnn(const char* library, int32_t* status) {
    ne_cudnn* d = new (std::nothrow) ne_cudnn;
    if (d == nullptr) {
        *status = NE_ERR_OUT_OF_MEMORY;
        return nullptr;
    }
    *status = ne_cudnn_open(library, kDirect, d);
    dnn_in_use.store(d, std::memory_order_release);
    return d;
}

const ne_cudnn* current_dnn() {
    const ne_cudnn* d = dnn_in_use.load(std::memory_order_acquire);
    if (d != nullptr) return d;
    std::lock_guard<std::mutex> lock(dnn_mutex);
    d = dnn_in_use.load(std::memory_order_acquire);
    int32_t ignored;
    return d != nullptr ? d : select_dnn(nullptr, &ignored);
}

// One cuDNN handle and one workspace per thread and device (a handle is bound to the device
// current when it was made and is not to be shared between threads); released when the thread
// ends. The workspace only grows; cudaFree synchronises, so a smaller one is never freed while a
// convolution still reads it.
constexpr int kMaxDevices = 64;

struct DnnThread {
    const ne_cudnn* owner = nullptr;
    void* handle[kMaxDevices] = {};
    void* workspace[kMaxDevices] = {};
    size_t bytes[kMaxDevices] = {};

    void release() {
        for (int i = 0; i < kMaxDevices; i++) {
            if (handle[i] != nullptr && owner != nullptr) owner->destroy(handle[i]);
            if (workspace[i] != nullptr) cudaFree(workspace[i]);
            handle[i] = workspace[i] = nullptr;
            bytes[i] = 0;
        }
    }

    ~DnnThread() { release(); }
};

thread_local DnnThread dnn_thread;

// The calling thread's handle for the current device (nullptr: use the direct kernel).
int32_t dnn_handle(const ne_cudnn* d, int* device, void** handle) {
    *handle = nullptr;
    cudaError_t e = cudaGetDevice(device);
    if (e != cudaSuccess) return ne_cuda_status(e);
    if (*device < 0 || *device >= kMaxDevices) return NE_OK;
    DnnThread& t = dnn_thread;
    if (t.owner != d) {
        t.release();
        t.owner = d;
    }
    if (t.handle[*device] == nullptr) {
        int st = d->create(&t.handle[*device]);
        if (st != 0) {
            t.handle[*device] = nullptr;
            return NE_CUDNN_ERROR_BASE + st;
        }
    }
    *handle = t.handle[*device];
    return NE_OK;
}

int32_t dnn_workspace(int device, size_t bytes, void** ws) {
    DnnThread& t = dnn_thread;
    if (bytes > t.bytes[device]) {
        if (t.workspace[device] != nullptr) cudaFree(t.workspace[device]);
        t.workspace[device] = nullptr;
        t.bytes[device] = 0;
        cudaError_t e = cudaMalloc(&t.workspace[device], bytes);
        if (e != cudaSuccess) {
            t.workspace[device] = nullptr;
            return ne_cuda_status(e);
        }
        t.bytes[device] = bytes;
    }
    *ws = t.workspace[device];
    return NE_OK;
}

// The convolution by cuDNN then the epilogue kernel; *used 0 when cuDNN is absent or cannot take
// this case (the caller runs the direct kernel).
int32_t forward_cudnn(int32_t dtype, const Geom& g, const void* in, const void* wt, const void* bias, const void* scale,
                      const void* shift, const void* res, int32_t relu, void* out, const int64_t* dims, const int64_t* conv,
                      cudaStream_t s, int* used) {
    *used = 0;
    const ne_cudnn* d = current_dnn();
    if (d == nullptr || d->lib == nullptr || res == out) return NE_OK;  // cuDNN would overwrite the residual first
    int device = 0;
    void* handle;
    int32_t st = dnn_handle(d, &device, &handle);
    if (st != NE_OK || handle == nullptr) return st;
    ne_cudnn_plan plan;
    int dnn_status = 0;
    if (ne_cudnn_plan_make(d, handle, dtype, dims, conv, &plan, &dnn_status) != 0) return NE_OK;
    if (dnn_status != 0) return NE_CUDNN_ERROR_BASE + dnn_status;
    void* ws = nullptr;
    st = plan.workspace > 0 ? dnn_workspace(device, plan.workspace, &ws) : NE_OK;
    if (st == NE_OK) {
        dnn_status = ne_cudnn_plan_run(d, handle, (void*) s, &plan, in, wt, out, ws);
        if (dnn_status != 0) st = NE_CUDNN_ERROR_BASE + dnn_status;
    }
    ne_cudnn_plan_free(d, &plan);
    if (st != NE_OK) return st;
    *used = 1;
    if (!bias && !scale && !shift && !res && !relu) return NE_OK;
    const int64_t total = g.n * g.cout * g.ho * g.wo;
    if (dtype == 0)
        epilogue_kernel<float><<<grid_for(total), kBlock, 0, s>>>(g, (const float*) bias, (const float*) scale,
                                                                  (const float*) shift, (const float*) res, relu,
                                                                  (float*) out, total);
    else
        epilogue_kernel<double><<<grid_for(total), kBlock, 0, s>>>(g, (const double*) bias, (const double*) scale,
                                                                   (const double*) shift, (const double*) res, relu,
                                                                   (double*) out, total);
    return ne_cuda_launch_status();
}

}  // namespace

extern "C" int32_t ne_conv2d_cuda_dnn(const char* library, char* description, int64_t capacity) {
    std::lock_guard<std::mutex> lock(dnn_mutex);
    int32_t status;
    const ne_cudnn* d = select_dnn(library, &status);
    if (d == nullptr) return status;
    ne_copy_text(d->description, description, capacity);
    return status;
}

extern "C" int32_t ne_conv2d_forward_cuda(int32_t dtype, const void* input, const void* weight, const void* bias,
                                          const void* scale, const void* shift, const void* residual, int32_t relu,
                                          void* output, const int64_t* dims, const int64_t* conv, void* stream) {
    if (!dims || !conv) return NE_ERR_INVALID_ARGUMENT;
    Geom g = {dims[0], dims[1], dims[2], dims[3], dims[4], dims[5], dims[6], dims[7], dims[8], dims[9],
              conv[0], conv[1], conv[2], conv[3], conv[4], conv[5]};
    if (g.n < 1 || g.cin < 1 || g.h < 1 || g.w < 1 || g.cout < 1 || g.kh < 1 || g.kw < 1) return NE_ERR_INVALID_ARGUMENT;
    if (g.groups < 1 || g.cin % g.groups || g.cout % g.groups) return NE_ERR_INVALID_ARGUMENT;
    if (g.sh < 1 || g.sw < 1 || g.dh < 1 || g.dw < 1 || g.ph < 0 || g.pw < 0) return NE_ERR_INVALID_ARGUMENT;
    if (g.h + 2 * g.ph < g.dh * (g.kh - 1) + 1 || g.w + 2 * g.pw < g.dw * (g.kw - 1) + 1) return NE_ERR_INVALID_ARGUMENT;
    if (g.ho != (g.h + 2 * g.ph - (g.dh * (g.kh - 1) + 1)) / g.sh + 1) return NE_ERR_INVALID_ARGUMENT;
    if (g.wo != (g.w + 2 * g.pw - (g.dw * (g.kw - 1) + 1)) / g.sw + 1) return NE_ERR_INVALID_ARGUMENT;
    if (dtype != 0 && dtype != 1) return NE_ERR_UNSUPPORTED_DTYPE;
    if (!input || !weight || !output) return NE_ERR_INVALID_ARGUMENT;
    const int64_t total = g.n * g.cout * g.ho * g.wo;
    cudaStream_t s = (cudaStream_t) stream;
    relu = relu != 0;
    int used = 0;
    int32_t st = forward_cudnn(dtype, g, input, weight, bias, scale, shift, residual, relu, output, dims, conv, s, &used);
    if (st != NE_OK || used) return st;
    if (dtype == 0)
        forward_kernel<float><<<grid_for(total), kBlock, 0, s>>>(g, (const float*) input, (const float*) weight,
                                                                 (const float*) bias, (const float*) scale, (const float*) shift,
                                                                 (const float*) residual, relu, (float*) output, total);
    else
        forward_kernel<double><<<grid_for(total), kBlock, 0, s>>>(g, (const double*) input, (const double*) weight,
                                                                  (const double*) bias, (const double*) scale,
                                                                  (const double*) shift, (const double*) residual, relu,
                                                                  (double*) output, total);
    return ne_cuda_launch_status();
}
