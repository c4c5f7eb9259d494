/* cuBLAS found at run time with dlopen, for the CUDA GEMMs of nativeext's ops.
 *
 * Why dlopen: cuBLAS is an optional install (these build machines have none), its file name
 * carries the CUDA major version, and linking -lcublas would make the whole op library fail to
 * load where it is missing. Found, its GEMM is used; absent, the op's own tiled kernel is.
 *
 * Header-only and free of CUDA types (handles and streams are void*), so the loader and the
 * row-major mapping are testable on a machine without a GPU against a stand-in library.
 * Everything here is static: each op library has its own copy and its own state. */
#ifndef NE_CUBLAS_H
#define NE_CUBLAS_H
#include <dlfcn.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "ne_status.h"

#define NE_CUBLAS_OP_N 0
#define NE_CUBLAS_OP_T 1

typedef int (*ne_cublas_create_fn)(void** handle);
typedef int (*ne_cublas_destroy_fn)(void* handle);
typedef int (*ne_cublas_set_stream_fn)(void* handle, void* stream);
typedef int (*ne_cublas_sgemm_fn)(void* handle, int transa, int transb, int m, int n, int k, const float* alpha,
                                  const float* a, int lda, const float* b, int ldb, const float* beta, float* c,
                                  int ldc);
typedef int (*ne_cublas_dgemm_fn)(void* handle, int transa, int transb, int m, int n, int k, const double* alpha,
                                  const double* a, int lda, const double* b, int ldb, const double* beta, double* c,
                                  int ldc);
typedef int (*ne_cublas_get_property_fn)(int type, int* value);

typedef struct {
    void* lib;
    ne_cublas_create_fn create;
    ne_cublas_destroy_fn destroy;
    ne_cublas_set_stream_fn set_stream;
    ne_cublas_sgemm_fn sgemm;
    ne_cublas_dgemm_fn dgemm;
    /* A one-line account of the GEMM in use, or of why cuBLAS was not loaded. */
    char description[512];
} ne_cublas;

/* The names tried when none is given: the CUDA 13 and 12 sonames, then the unversioned link. */
static const char* const NE_CUBLAS_DEFAULT_NAMES[] = {"libcublas.so.13", "libcublas.so.12", "libcublas.so"};

static void* ne_cublas_symbol(void* lib, const char* name, const char* library, ne_cublas* b) {
    void* f = dlsym(lib, name);
    if (f == NULL && b->description[0] == '\0')
        snprintf(b->description, sizeof b->description, "%.400s has no symbol %s (not a cuBLAS?)", library, name);
    return f;
}

/* Loads one library; on failure leaves b->lib NULL and the reason in b->description. */
static void ne_cublas_load_one(const char* library, ne_cublas* b) {
    memset(b, 0, sizeof *b);
    void* lib = dlopen(library, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        const char* why = dlerror();
        snprintf(b->description, sizeof b->description, "%s", why ? why : library);
        return;
    }
    b->create = (ne_cublas_create_fn) ne_cublas_symbol(lib, "cublasCreate_v2", library, b);
    b->destroy = (ne_cublas_destroy_fn) ne_cublas_symbol(lib, "cublasDestroy_v2", library, b);
    b->set_stream = (ne_cublas_set_stream_fn) ne_cublas_symbol(lib, "cublasSetStream_v2", library, b);
    b->sgemm = (ne_cublas_sgemm_fn) ne_cublas_symbol(lib, "cublasSgemm_v2", library, b);
    b->dgemm = (ne_cublas_dgemm_fn) ne_cublas_symbol(lib, "cublasDgemm_v2", library, b);
    if (b->description[0] != '\0') { /* a symbol is missing: keep the reason, drop the rest */
        dlclose(lib);
        b->create = NULL, b->destroy = NULL, b->set_stream = NULL, b->sgemm = NULL, b->dgemm = NULL;
        return;
    }
    b->lib = lib;
    int major = -1, minor = -1, patch = -1;
    ne_cublas_get_property_fn prop = (ne_cublas_get_property_fn) dlsym(lib, "cublasGetProperty");
    if (prop != NULL) {  /* libraryPropertyType: MAJOR_VERSION 0, MINOR_VERSION 1, PATCH_LEVEL 2 */
        prop(0, &major);
        prop(1, &minor);
        prop(2, &patch);
    }
    if (major >= 0)
        snprintf(b->description, sizeof b->description, "cuBLAS %d.%d.%d (%.400s)", major, minor, patch, library);
    else
        snprintf(b->description, sizeof b->description, "cuBLAS (%.400s)", library);
}

/* library: a file name (searched as dlopen searches) or a path; NULL tries the default names;
 * "" asks for no cuBLAS. Returns NE_OK when cuBLAS was loaded or not asked for, NE_OK as well
 * when the default search finds none (the fallback is the normal case then), and
 * NE_ERR_LIBRARY_UNAVAILABLE when an explicitly named library cannot be used. */
static int32_t ne_cublas_open(const char* library, const char* fallback, ne_cublas* b) {
    if (library != NULL && library[0] == '\0') {
        memset(b, 0, sizeof *b);
        snprintf(b->description, sizeof b->description, "%.64s (cuBLAS not requested)", fallback);
        return NE_OK;
    }
    if (library != NULL) {
        ne_cublas_load_one(library, b);
        if (b->lib != NULL) return NE_OK;
        char why[sizeof b->description];
        memcpy(why, b->description, sizeof why);
        snprintf(b->description, sizeof b->description, "%.64s (cuBLAS not loaded: %.400s)", fallback, why);
        return NE_ERR_LIBRARY_UNAVAILABLE;
    }
    char first[sizeof b->description] = "";
    for (size_t i = 0; i < sizeof NE_CUBLAS_DEFAULT_NAMES / sizeof NE_CUBLAS_DEFAULT_NAMES[0]; i++) {
        ne_cublas_load_one(NE_CUBLAS_DEFAULT_NAMES[i], b);
        if (b->lib != NULL) return NE_OK;
        if (first[0] == '\0') memcpy(first, b->description, sizeof first);
    }
    snprintf(b->description, sizeof b->description, "%.64s (cuBLAS not found: %.400s)", fallback, first);
    return NE_OK;
}

/* Row-major C[M,N] = op(A)[M,K] * op(B)[K,N] + beta * C (alpha 1), ta/tb as in the tiled
 * kernels: A is [K,M] when ta, B is [N,K] when tb. cuBLAS is column-major, where a row-major
 * matrix reads as its transpose, so this computes C^T = op(B)^T * op(A)^T: the operands swap
 * and M, N swap; the transpose flags stay with their operands.
 * Returns 1 when the sizes do not fit cuBLAS's int (the caller uses its own kernel), else 0
 * with *status the cuBLAS status. dtype 0 float32, 1 float64. */
static int ne_cublas_gemm_rowmajor(const ne_cublas* b, void* handle, void* stream, int32_t dtype, int ta, int tb,
                                   int64_t m, int64_t n, int64_t k, const void* a, int64_t lda, const void* bm,
                                   int64_t ldb, double beta, void* c, int64_t ldc, int* status) {
    if (m > INT_MAX || n > INT_MAX || k > INT_MAX || lda > INT_MAX || ldb > INT_MAX || ldc > INT_MAX) return 1;
    *status = b->set_stream(handle, stream);
    if (*status != 0) return 0;
    int opa = tb ? NE_CUBLAS_OP_T : NE_CUBLAS_OP_N, opb = ta ? NE_CUBLAS_OP_T : NE_CUBLAS_OP_N;
    if (dtype == 0) {
        float one = 1.0f, fb = (float) beta;
        *status = b->sgemm(handle, opa, opb, (int) n, (int) m, (int) k, &one, (const float*) bm, (int) ldb,
                           (const float*) a, (int) lda, &fb, (float*) c, (int) ldc);
    } else {
        double one = 1.0;
        *status = b->dgemm(handle, opa, opb, (int) n, (int) m, (int) k, &one, (const double*) bm, (int) ldb,
                           (const double*) a, (int) lda, &beta, (double*) c, (int) ldc);
    }
    return 0;
}

#endif
