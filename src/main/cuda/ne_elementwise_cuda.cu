// Broadcast binary arithmetic on CUDA: one thread per output element (grid-stride), the operand
// offsets recovered from the output index through the shared shape and per-operand strides.
// Mirrors ne_elementwise_cpu.c; integer division by zero yields 0 as there.
#include <cuda_runtime.h>
#include <stdint.h>
extern "C" {
#include "ne_elementwise.h"
#include "ne_status.h"
}

namespace {

struct Layout {
    int32_t ndim;
    int64_t shape[NE_MAX_DIMS];
    int64_t sa[NE_MAX_DIMS];
    int64_t sb[NE_MAX_DIMS];
};

template <typename T> __device__ T div_op(T x, T y) { return y == T(0) ? T(0) : x / y; }
template <> __device__ float div_op<float>(float x, float y) { return x / y; }
template <> __device__ double div_op<double>(double x, double y) { return x / y; }

template <typename T>
__global__ void binary_kernel(int32_t op, Layout l, int64_t count, const T* a, const T* b, T* out) {
    for (int64_t i = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; i < count;
         i += (int64_t) blockDim.x * gridDim.x) {
        int64_t rem = i, oa = 0, ob = 0;
        for (int32_t d = l.ndim - 1; d >= 0; d--) {
            int64_t k = rem % l.shape[d];
            rem /= l.shape[d];
            oa += k * l.sa[d];
            ob += k * l.sb[d];
        }
        T x = a[oa], y = b[ob];
        out[i] = op == 0 ? x + y : op == 1 ? x - y : op == 2 ? x * y : div_op<T>(x, y);
    }
}

template <typename T>
int32_t launch(int32_t op, const Layout& l, int64_t count, const void* a, const void* b, void* out, cudaStream_t s) {
    int64_t blocks = (count + 255) / 256;
    if (blocks > 65535) blocks = 65535;
    binary_kernel<T><<<(unsigned) blocks, 256, 0, s>>>(op, l, count, (const T*) a, (const T*) b, (T*) out);
    cudaError_t e = cudaGetLastError();
    return e == cudaSuccess ? NE_OK : NE_CUDA_ERROR_BASE + (int32_t) e;
}

}  // namespace

extern "C" int32_t ne_binary_cuda(int32_t op, int32_t dtype, int32_t ndim, const int64_t* shape,
                                  const void* a, const int64_t* a_strides,
                                  const void* b, const int64_t* b_strides,
                                  void* out, void* stream) {
    if (ndim < 0 || ndim > NE_MAX_DIMS || op < 0 || op > 3 || shape == NULL) return NE_ERR_INVALID_ARGUMENT;
    Layout l = {};
    l.ndim = ndim;
    int64_t count = 1;
    for (int32_t d = 0; d < ndim; d++) {
        if (shape[d] < 0) return NE_ERR_INVALID_ARGUMENT;
        l.shape[d] = shape[d];
        l.sa[d] = a_strides[d];
        l.sb[d] = b_strides[d];
        count *= shape[d];
    }
    if (count == 0) return NE_OK;
    cudaStream_t s = (cudaStream_t) stream;
    switch (dtype) {
        case 0: return launch<float>(op, l, count, a, b, out, s);
        case 1: return launch<double>(op, l, count, a, b, out, s);
        case 2: return launch<int32_t>(op, l, count, a, b, out, s);
        case 3: return launch<int64_t>(op, l, count, a, b, out, s);
        case 4: return launch<uint8_t>(op, l, count, a, b, out, s);
        default: return NE_ERR_UNSUPPORTED_DTYPE;
    }
}
