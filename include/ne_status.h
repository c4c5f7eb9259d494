/* Status codes of nativeext's own native ops. Every exported function returns one; C code never
 * prints, aborts or exits. Codes >= NE_CUDA_ERROR_BASE carry a cudaError_t: code - base; codes in
 * [NE_CUBLAS_ERROR_BASE, NE_CUBLAS_ERROR_BASE + 100) a cublasStatus_t; codes >= NE_CUDNN_ERROR_BASE
 * a cudnnStatus_t (cuDNN 9's run to the thousands, so they sit above every cudaError_t). */
#ifndef NE_STATUS_H
#define NE_STATUS_H
#include <stdint.h>

enum ne_status {
    NE_OK = 0,
    NE_ERR_INVALID_ARGUMENT = 1,
    NE_ERR_UNSUPPORTED_DTYPE = 2,
    NE_ERR_OUT_OF_MEMORY = 3,
    NE_ERR_NOT_BUILT_WITH_CUDA = 4,
    NE_ERR_INDEX_OUT_OF_RANGE = 5,
    NE_ERR_LIBRARY_UNAVAILABLE = 6,
    NE_ERR_DIVISION_BY_ZERO = 7,
    NE_CUBLAS_ERROR_BASE = 100,
    NE_CUDA_ERROR_BASE = 1000,
    NE_CUDNN_ERROR_BASE = 100000
};

/* A static English description of a status; never NULL. */
const char* ne_status_string(int32_t status);

/* The best SIMD variant this CPU runs (1 baseline, 2 AVX2+FMA, 3 AVX-512F: the isa codes every
 * CPU entry point takes); a request for a better one runs this one instead. */
int32_t ne_cpu_isa_best(void);

#endif
