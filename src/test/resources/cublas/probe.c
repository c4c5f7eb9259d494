#include <string.h>
#include "probe.h"
#include "ne_cublas.h"

static ne_cublas blas;
static void* handle;

int32_t probe_open(const char* library, char* description, int64_t capacity) {
    int32_t st = ne_cublas_open(library, "tiled", &blas);
    handle = NULL;
    if (blas.lib != NULL && blas.create(&handle) != 0) handle = NULL;
    size_t n = strlen(blas.description);
    if (n > (size_t) capacity - 1) n = (size_t) capacity - 1;
    memcpy(description, blas.description, n);
    description[n] = '\0';
    return st;
}

int32_t probe_loaded(void) { return blas.lib != NULL; }

static int32_t gemm(int32_t dtype, int32_t ta, int32_t tb, int64_t m, int64_t n, int64_t k, const void* a,
                    int64_t lda, const void* b, int64_t ldb, double beta, void* c, int64_t ldc) {
    int status = 0;
    if (blas.lib == NULL) return -2;
    if (ne_cublas_gemm_rowmajor(&blas, handle, (void*) 0x5eed, dtype, ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc,
                                &status))
        return -1;
    return status;
}

int32_t probe_sgemm(int32_t ta, int32_t tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                    const float* b, int64_t ldb, double beta, float* c, int64_t ldc) {
    return gemm(0, ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc);
}

int32_t probe_dgemm(int32_t ta, int32_t tb, int64_t m, int64_t n, int64_t k, const double* a, int64_t lda,
                    const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
    return gemm(1, ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc);
}

int64_t probe_last_stream(void) {
    if (blas.lib == NULL) return -1;
    void* (*last)(void) = (void* (*)(void)) dlsym(blas.lib, "fake_cublas_last_stream");
    return last == NULL ? -1 : (int64_t) (intptr_t) last();
}
