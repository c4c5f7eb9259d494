// Launch configuration and error-to-status mapping shared by the .cu files of nativeext's ops.
// Include after <cuda_runtime.h> and ne_status.h (the CUDA emulator test substitutes its own
// runtime for the former, so this header includes neither).
#ifndef NE_CUDA_CUH
#define NE_CUDA_CUH
#include <stdint.h>

// A CUDA error as an op status: NE_OK, or NE_CUDA_ERROR_BASE + the cudaError_t.
inline int32_t ne_cuda_status(cudaError_t e) {
    return e == cudaSuccess ? NE_OK : NE_CUDA_ERROR_BASE + (int32_t) e;
}

// The status of the launches just made (cudaGetLastError: also clears it).
inline int32_t ne_cuda_launch_status() {
    return ne_cuda_status(cudaGetLastError());
}

// Blocks of `threads` for `count` work items of a grid-stride loop (NE_GRID_LOOP): at least 1, at
// most max_blocks (each kernel's cap keeps the grid small enough for any device and lets the
// loop take the rest).
inline unsigned ne_cuda_blocks(int64_t count, int threads, int64_t max_blocks) {
    int64_t b = (count + threads - 1) / threads;
    return (unsigned) (b > max_blocks ? max_blocks : (b < 1 ? 1 : b));
}

// for (i over [0, count)) in a grid-stride loop: any grid covers any count.
#define NE_GRID_LOOP(i, count) \
    for (int64_t i = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; i < (count); i += (int64_t) blockDim.x * gridDim.x)

#endif
