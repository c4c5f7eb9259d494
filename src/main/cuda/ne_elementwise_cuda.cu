// Broadcast binary arithmetic on CUDA: one thread per output element (grid-stride), the operand
// offsets recovered from the output index through the shared shape and per-operand strides.
// Mirrors ne_elementwise_cpu.c: integer MIN / -1 wraps to MIN, a zero divisor writes 0 and is
// reported (a flag in device memory, read back after the kernel) as NE_ERR_DIVISION_BY_ZERO.
#include <cuda_runtime.h>
#include <stdint.h>
extern "C" {
#include "ne_elementwise.h"
#include "ne_status.h"
}
#include "ne_cuda.cuh"

namespace {

struct Layout {
    int32_t ndim;
    int64_t shape[NE_MAX_DIMS];
    int64_t sa[NE_MAX_DIMS];
    int64_t sb[NE_MAX_DIMS];
};

template <typename T> struct Unsigned { typedef T type; };
template <> struct Unsigned<int32_t> { typedef uint32_t type; };
template <> struct Unsigned<int64_t> { typedef uint64_t type; };

// Integer division as on the CPU: x / -1 is the two's-complement negation (MIN / -1 wraps
// instead of being undefined), a zero divisor gives 0 and raises the flag.
template <typename T> __device__ T div_op(T x, T y, int32_t* zero) {
    typedef typename Unsigned<T>::type U;
    if (y == T(0)) {
        *zero = 1;
        return T(0);
    }
    if (T(-1) < T(0) && y == T(-1)) return (T) (U) (U(0) - (U) x);
    return x / y;
}
template <> __device__ float div_op<float>(float x, float y, int32_t*) { return x / y; }
template <> __device__ double div_op<double>(double x, double y, int32_t*) { return x / y; }

template <typename T>
__global__ void binary_kernel(int32_t op, Layout l, int64_t count, const T* a, const T* b, T* out, int32_t* zero) {
    NE_GRID_LOOP(i, count) {
        int64_t rem = i, oa = 0, ob = 0;
        for (int32_t d = l.ndim - 1; d >= 0; d--) {
            int64_t k = rem % l.shape[d];
            rem /= l.shape[d];
            oa += k * l.sa[d];
            ob += k * l.sb[d];
        }
        T x = a[oa], y = b[ob];
        out[i] = op == 0 ? x + y : op == 1 ? x - y : op == 2 ? x * y : div_op<T>(x, y, zero);
    }
}

template <typename T>
int32_t launch(int32_t op, const Layout& l, int64_t count, const void* a, const void* b, void* out, cudaStream_t s) {
    const unsigned blocks = ne_cuda_blocks(count, 256, 65535);
    // Only integer division can fail; it alone pays for the flag and the synchronising read.
    bool flagged = op == 3 && T(1) / T(2) == T(0);
    int32_t* zero = NULL;
    bool pooled = true;  // stream-ordered allocation, where the device has memory pools
    if (flagged) {
        cudaError_t e = cudaMallocAsync((void**) &zero, sizeof(int32_t), s);
        if (e == cudaErrorNotSupported) {
            cudaGetLastError();
            pooled = false;
            e = cudaMalloc((void**) &zero, sizeof(int32_t));
        }
        if (e != cudaSuccess) return ne_cuda_status(e);
        e = cudaMemsetAsync(zero, 0, sizeof(int32_t), s);
        if (e != cudaSuccess) {
            if (pooled) cudaFreeAsync(zero, s);
            else cudaFree(zero);
            return ne_cuda_status(e);
        }
    }
    binary_kernel<T><<<blocks, 256, 0, s>>>(op, l, count, (const T*) a, (const T*) b, (T*) out, zero);
    cudaError_t e = cudaGetLastError();
    if (!flagged) return ne_cuda_status(e);
    int32_t host = 0;
    if (e == cudaSuccess) e = cudaMemcpyAsync(&host, zero, sizeof(int32_t), cudaMemcpyDeviceToHost, s);
    cudaError_t f = pooled ? cudaFreeAsync(zero, s) : cudaSuccess;
    if (e == cudaSuccess) e = cudaStreamSynchronize(s);
    if (!pooled) f = cudaFree(zero);
    if (e == cudaSuccess) e = f;
    if (e != cudaSuccess) return ne_cuda_status(e);
    return host != 0 ? NE_ERR_DIVISION_BY_ZERO : NE_OK;
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
