/* A stand-in for libcublas, for testing ne_cublas.h without a GPU: the symbols nativeext looks up,
 * with cuBLAS's column-major GEMM semantics computed on host memory by the textbook loop, so a
 * wrong row-major mapping gives wrong numbers. -DFAKE_WITHOUT_DGEMM leaves cublasDgemm_v2 out. */
#include <stdint.h>

static int the_handle;
static void* last_stream;
static long calls;

int cublasCreate_v2(void** handle) { *handle = &the_handle; return 0; }
int cublasDestroy_v2(void* handle) { return handle == &the_handle ? 0 : 7; }
int cublasSetStream_v2(void* handle, void* stream) { last_stream = stream; return handle == &the_handle ? 0 : 7; }
void* fake_cublas_last_stream(void) { return last_stream; }
long fake_cublas_calls(void) { return calls; }

int cublasGetProperty(int type, int* value) {
    static const int version[3] = {13, 1, 0};
    if (type < 0 || type > 2) return 7;
    *value = version[type];
    return 0;
}

/* C[m,n] (column-major, ldc) = alpha * op(A) * op(B) + beta * C; op(X) = X or X^T (trans 1). */
#define FAKE_GEMM(name, T)                                                                              \
    int name(void* handle, int ta, int tb, int m, int n, int k, const T* alpha, const T* a, int lda,     \
             const T* b, int ldb, const T* beta, T* c, int ldc) {                                       \
        if (handle != &the_handle || ta < 0 || ta > 1 || tb < 0 || tb > 1) return 7;                    \
        calls++;                                                                                        \
        if (lda < (ta ? k : m) || ldb < (tb ? n : k) || ldc < m) return 7;                              \
        for (int j = 0; j < n; j++)                                                                     \
            for (int i = 0; i < m; i++) {                                                               \
                T s = 0;                                                                                \
                for (int p = 0; p < k; p++)                                                             \
                    s += (ta ? a[i * lda + p] : a[p * lda + i]) * (tb ? b[p * ldb + j] : b[j * ldb + p]); \
                c[j * ldc + i] = *alpha * s + (*beta == 0 ? 0 : *beta * c[j * ldc + i]);                \
            }                                                                                           \
        return 0;                                                                                       \
    }

FAKE_GEMM(cublasSgemm_v2, float)
#ifndef FAKE_WITHOUT_DGEMM
FAKE_GEMM(cublasDgemm_v2, double)
#endif
