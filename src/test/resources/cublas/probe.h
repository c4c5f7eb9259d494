/* Test entry points around src/main/cpp/ne_cublas.h (see CublasLoaderTest). */
#include <stdint.h>

/* ne_cublas_open(library) then, when loaded, a handle: the status, the description. */
int32_t probe_open(const char* library, char* description, int64_t capacity);

/* 1 when a cuBLAS is loaded. */
int32_t probe_loaded(void);

/* ne_cublas_gemm_rowmajor on host memory with the stream 0x5eed: -2 when no cuBLAS is loaded,
 * -1 when the sizes do not fit cuBLAS's int, else the cuBLAS status. */
int32_t probe_sgemm(int32_t ta, int32_t tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                    const float* b, int64_t ldb, double beta, float* c, int64_t ldc);
int32_t probe_dgemm(int32_t ta, int32_t tb, int64_t m, int64_t n, int64_t k, const double* a, int64_t lda,
                    const double* b, int64_t ldb, double beta, double* c, int64_t ldc);

/* The stream the loaded library last saw in cublasSetStream_v2 (via its fake_cublas_last_stream). */
int64_t probe_last_stream(void);
