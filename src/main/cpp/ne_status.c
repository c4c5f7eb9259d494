#include "ne_status.h"
#include "ne_parallel.h"

int32_t ne_cpu_isa_best(void) {
    return ne_isa_resolve(NE_ISA_AUTO);
}

const char* ne_status_string(int32_t status) {
    switch (status) {
        case NE_OK: return "ok";
        case NE_ERR_INVALID_ARGUMENT: return "invalid argument";
        case NE_ERR_UNSUPPORTED_DTYPE: return "unsupported dtype";
        case NE_ERR_OUT_OF_MEMORY: return "out of memory";
        case NE_ERR_NOT_BUILT_WITH_CUDA: return "this library was built without CUDA";
        case NE_ERR_INDEX_OUT_OF_RANGE: return "index out of range";
        case NE_ERR_LIBRARY_UNAVAILABLE: return "a run-time library could not be loaded";
        case NE_ERR_DIVISION_BY_ZERO: return "integer division by zero";
        default:
            if (status >= NE_CUDNN_ERROR_BASE) return "cuDNN error";
            if (status >= NE_CUDA_ERROR_BASE) return "CUDA error";
            if (status >= NE_CUBLAS_ERROR_BASE && status < NE_CUBLAS_ERROR_BASE + 100) return "cuBLAS error";
            return "unknown status";
    }
}
