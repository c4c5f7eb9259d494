/* cuDNN found at run time with dlopen, for the CUDA convolution of nativeext's conv2d.
 *
 * Why dlopen, as for cuBLAS (ne_cublas.h): cuDNN is an optional install (these build machines
 * have none), its file name carries its major version, and linking -lcudnn would make the op
 * library fail to load where it is missing. Found, its convolution runs and the op's epilogue
 * kernel applies bias, scale, shift, residual and ReLU after it; absent, the op's own kernel
 * runs. The legacy convolution API used here (descriptors, cudnnGetConvolutionForwardAlgorithm_v7,
 * cudnnConvolutionForward) is exported by libcudnn.so.8 and by cuDNN 9's libcudnn.so.9.
 *
 * Float32 convolutions are asked for FMA math (CUDNN_FMA_MATH): no TF32 tensor-core rounding,
 * so that the results keep float32 accuracy, as the CPU's and PyTorch's with TF32 disabled.
 *
 * Header-only and free of CUDA types (handles, descriptors and streams are void*), so the loader
 * and the descriptor mapping are testable on a machine without a GPU against a stand-in library
 * (src/test/resources/cudnn/fake_cudnn.c). Everything is static: each op library has its own
 * copy and its own state. */
#ifndef NE_CUDNN_H
#define NE_CUDNN_H
#include <dlfcn.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "ne_status.h"

/* cuDNN's enum values (cudnn_ops.h / cudnn_cnn.h, the same in 8 and 9). */
#define NE_CUDNN_TENSOR_NCHW 0
#define NE_CUDNN_DATA_FLOAT 0
#define NE_CUDNN_DATA_DOUBLE 1
#define NE_CUDNN_CROSS_CORRELATION 1
#define NE_CUDNN_DEFAULT_MATH 0
#define NE_CUDNN_FMA_MATH 3
/* Workspace granted to one convolution; algorithms that want more are passed over. */
#define NE_CUDNN_WORKSPACE_LIMIT ((size_t) 256 << 20)
#define NE_CUDNN_MAX_ALGOS 8

/* cudnnConvolutionFwdAlgoPerf_t */
typedef struct {
    int algo;
    int status;
    float time;
    size_t memory;
    int determinism;
    int math_type;
    int reserved[3];
} ne_cudnn_perf;

typedef int (*ne_cudnn_create_fn)(void** handle);
typedef int (*ne_cudnn_destroy_fn)(void* handle);
typedef int (*ne_cudnn_set_stream_fn)(void* handle, void* stream);
typedef size_t (*ne_cudnn_version_fn)(void);
typedef int (*ne_cudnn_create_desc_fn)(void** desc);
typedef int (*ne_cudnn_destroy_desc_fn)(void* desc);
typedef int (*ne_cudnn_set_tensor_fn)(void* desc, int format, int dtype, int n, int c, int h, int w);
typedef int (*ne_cudnn_set_filter_fn)(void* desc, int dtype, int format, int k, int c, int h, int w);
typedef int (*ne_cudnn_set_conv_fn)(void* desc, int pad_h, int pad_w, int u, int v, int dil_h, int dil_w, int mode,
                                    int compute_type);
typedef int (*ne_cudnn_set_int_fn)(void* desc, int value);
typedef int (*ne_cudnn_get_algo_fn)(void* handle, void* x, void* w, void* conv, void* y, int requested, int* returned,
                                    ne_cudnn_perf* perf);
typedef int (*ne_cudnn_workspace_fn)(void* handle, void* x, void* w, void* conv, void* y, int algo, size_t* bytes);
typedef int (*ne_cudnn_forward_fn)(void* handle, const void* alpha, void* xd, const void* x, void* wd, const void* w,
                                   void* conv, int algo, void* workspace, size_t workspace_bytes, const void* beta,
                                   void* yd, void* y);

typedef struct {
    void* lib;
    ne_cudnn_create_fn create;
    ne_cudnn_destroy_fn destroy;
    ne_cudnn_set_stream_fn set_stream;
    ne_cudnn_create_desc_fn create_tensor, create_filter, create_conv;
    ne_cudnn_destroy_desc_fn destroy_tensor, destroy_filter, destroy_conv;
    ne_cudnn_set_tensor_fn set_tensor;
    ne_cudnn_set_filter_fn set_filter;
    ne_cudnn_set_conv_fn set_conv;
    ne_cudnn_set_int_fn set_groups, set_math;
    ne_cudnn_get_algo_fn get_algo;
    ne_cudnn_workspace_fn workspace;
    ne_cudnn_forward_fn forward;
    /* A one-line account of the convolution in use, or of why cuDNN was not loaded. */
    char description[512];
} ne_cudnn;

/* The names tried when none is given: cuDNN 9's and 8's sonames, then the unversioned link. */
static const char* const NE_CUDNN_DEFAULT_NAMES[] = {"libcudnn.so.9", "libcudnn.so.8", "libcudnn.so"};

static void* ne_cudnn_symbol(void* lib, const char* name, const char* library, ne_cudnn* d) {
    void* f = dlsym(lib, name);
    if (f == NULL && d->description[0] == '\0')
        snprintf(d->description, sizeof d->description, "%.400s has no symbol %s (not a cuDNN 8 or 9?)", library, name);
    return f;
}

/* Loads one library; on failure leaves d->lib NULL (and every function NULL) and the reason in
 * d->description. */
static void ne_cudnn_load_one(const char* library, ne_cudnn* d) {
    memset(d, 0, sizeof *d);
    void* lib = dlopen(library, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        const char* why = dlerror();
        snprintf(d->description, sizeof d->description, "%s", why ? why : library);
        return;
    }
    d->create = (ne_cudnn_create_fn) ne_cudnn_symbol(lib, "cudnnCreate", library, d);
    d->destroy = (ne_cudnn_destroy_fn) ne_cudnn_symbol(lib, "cudnnDestroy", library, d);
    d->set_stream = (ne_cudnn_set_stream_fn) ne_cudnn_symbol(lib, "cudnnSetStream", library, d);
    d->create_tensor = (ne_cudnn_create_desc_fn) ne_cudnn_symbol(lib, "cudnnCreateTensorDescriptor", library, d);
    d->destroy_tensor = (ne_cudnn_destroy_desc_fn) ne_cudnn_symbol(lib, "cudnnDestroyTensorDescriptor", library, d);
    d->set_tensor = (ne_cudnn_set_tensor_fn) ne_cudnn_symbol(lib, "cudnnSetTensor4dDescriptor", library, d);
    d->create_filter = (ne_cudnn_create_desc_fn) ne_cudnn_symbol(lib, "cudnnCreateFilterDescriptor", library, d);
    d->destroy_filter = (ne_cudnn_destroy_desc_fn) ne_cudnn_symbol(lib, "cudnnDestroyFilterDescriptor", library, d);
    d->set_filter = (ne_cudnn_set_filter_fn) ne_cudnn_symbol(lib, "cudnnSetFilter4dDescriptor", library, d);
    d->create_conv = (ne_cudnn_create_desc_fn) ne_cudnn_symbol(lib, "cudnnCreateConvolutionDescriptor", library, d);
    d->destroy_conv = (ne_cudnn_destroy_desc_fn) ne_cudnn_symbol(lib, "cudnnDestroyConvolutionDescriptor", library, d);
    d->set_conv = (ne_cudnn_set_conv_fn) ne_cudnn_symbol(lib, "cudnnSetConvolution2dDescriptor", library, d);
    d->set_groups = (ne_cudnn_set_int_fn) ne_cudnn_symbol(lib, "cudnnSetConvolutionGroupCount", library, d);
    d->set_math = (ne_cudnn_set_int_fn) ne_cudnn_symbol(lib, "cudnnSetConvolutionMathType", library, d);
    d->get_algo = (ne_cudnn_get_algo_fn) ne_cudnn_symbol(lib, "cudnnGetConvolutionForwardAlgorithm_v7", library, d);
    d->workspace = (ne_cudnn_workspace_fn) ne_cudnn_symbol(lib, "cudnnGetConvolutionForwardWorkspaceSize", library, d);
    d->forward = (ne_cudnn_forward_fn) ne_cudnn_symbol(lib, "cudnnConvolutionForward", library, d);
    ne_cudnn_version_fn version = (ne_cudnn_version_fn) ne_cudnn_symbol(lib, "cudnnGetVersion", library, d);
    if (d->description[0] != '\0') { /* a symbol is missing: keep the reason, drop the rest */
        char why[sizeof d->description];
        memcpy(why, d->description, sizeof why);
        dlclose(lib);
        memset(d, 0, sizeof *d);
        memcpy(d->description, why, sizeof why);
        return;
    }
    d->lib = lib;
    /* cudnnGetVersion: major*10000 + minor*100 + patch from 9.0 on, major*1000 + minor*100 + patch before */
    const size_t v = version();
    const size_t major = v >= 90000 ? v / 10000 : v / 1000, minor = v >= 90000 ? v % 10000 / 100 : v % 1000 / 100;
    snprintf(d->description, sizeof d->description, "cuDNN %zu.%zu.%zu (%.400s)", major, minor, v % 100, library);
}

/* library: a file name (searched as dlopen searches) or a path; NULL tries the default names;
 * "" asks for no cuDNN. Returns NE_OK when cuDNN was loaded or not asked for, NE_OK as well when
 * the default search finds none (the fallback is the normal case then), and
 * NE_ERR_LIBRARY_UNAVAILABLE when an explicitly named library cannot be used. */
static int32_t ne_cudnn_open(const char* library, const char* fallback, ne_cudnn* d) {
    if (library != NULL && library[0] == '\0') {
        memset(d, 0, sizeof *d);
        snprintf(d->description, sizeof d->description, "%.64s (cuDNN not requested)", fallback);
        return NE_OK;
    }
    if (library != NULL) {
        ne_cudnn_load_one(library, d);
        if (d->lib != NULL) return NE_OK;
        char why[sizeof d->description];
        memcpy(why, d->description, sizeof why);
        snprintf(d->description, sizeof d->description, "%.64s (cuDNN not loaded: %.400s)", fallback, why);
        return NE_ERR_LIBRARY_UNAVAILABLE;
    }
    char first[sizeof d->description] = "";
    for (size_t i = 0; i < sizeof NE_CUDNN_DEFAULT_NAMES / sizeof NE_CUDNN_DEFAULT_NAMES[0]; i++) {
        ne_cudnn_load_one(NE_CUDNN_DEFAULT_NAMES[i], d);
        if (d->lib != NULL) return NE_OK;
        if (first[0] == '\0') memcpy(first, d->description, sizeof first);
    }
    snprintf(d->description, sizeof d->description, "%.64s (cuDNN not found: %.400s)", fallback, first);
    return NE_OK;
}

/* One convolution described to cuDNN: its descriptors, the algorithm chosen and the workspace it
 * needs. */
typedef struct {
    void *x, *w, *y, *conv;
    int dtype;
    int algo;
    size_t workspace;
} ne_cudnn_plan;

static void ne_cudnn_plan_free(const ne_cudnn* d, ne_cudnn_plan* p) {
    if (p->x) d->destroy_tensor(p->x);
    if (p->y) d->destroy_tensor(p->y);
    if (p->w) d->destroy_filter(p->w);
    if (p->conv) d->destroy_conv(p->conv);
    p->x = p->y = p->w = p->conv = NULL;
}

static int ne_cudnn_fits_int(const int64_t* v, int count) {
    for (int i = 0; i < count; i++)
        if (v[i] < 0 || v[i] > INT_MAX) return 0;
    return 1;
}

/* Describes the convolution of include/ne_conv2d.h's dims (10) and conv (6), dtype 0 float32 / 1
 * float64, and picks the first algorithm cuDNN's heuristics rank that succeeds within
 * NE_CUDNN_WORKSPACE_LIMIT (and, for float32, uses no tensor-core math). Returns 1 when cuDNN
 * cannot take it (a size beyond its int descriptors, no algorithm): the caller runs its own
 * kernel, *p freed. Returns 0 with *status 0 and *p ready, or with *status the failing call's
 * cudnnStatus_t and *p freed. */
static int ne_cudnn_plan_make(const ne_cudnn* d, void* handle, int32_t dtype, const int64_t* dims, const int64_t* conv,
                              ne_cudnn_plan* p, int* status) {
    memset(p, 0, sizeof *p);
    *status = 0;
    const int64_t n = dims[0], cin = dims[1], h = dims[2], w = dims[3], cout = dims[4], kh = dims[5], kw = dims[6];
    const int64_t ho = dims[7], wo = dims[8], groups = dims[9];
    const int64_t sizes[] = {n, cin, h, w, cout, kh, kw, ho, wo, groups, conv[0], conv[1], conv[2], conv[3], conv[4], conv[5],
                             n * cin * h * w, n * cout * ho * wo, cout * (cin / groups) * kh * kw};
    if (!ne_cudnn_fits_int(sizes, (int) (sizeof sizes / sizeof sizes[0]))) return 1;
    const int dt = dtype == 0 ? NE_CUDNN_DATA_FLOAT : NE_CUDNN_DATA_DOUBLE;
    p->dtype = dt;
    int s;
    if ((s = d->create_tensor(&p->x)) != 0 || (s = d->create_tensor(&p->y)) != 0 || (s = d->create_filter(&p->w)) != 0
        || (s = d->create_conv(&p->conv)) != 0
        || (s = d->set_tensor(p->x, NE_CUDNN_TENSOR_NCHW, dt, (int) n, (int) cin, (int) h, (int) w)) != 0
        || (s = d->set_tensor(p->y, NE_CUDNN_TENSOR_NCHW, dt, (int) n, (int) cout, (int) ho, (int) wo)) != 0
        || (s = d->set_filter(p->w, dt, NE_CUDNN_TENSOR_NCHW, (int) cout, (int) (cin / groups), (int) kh, (int) kw)) != 0
        || (s = d->set_conv(p->conv, (int) conv[2], (int) conv[3], (int) conv[0], (int) conv[1], (int) conv[4], (int) conv[5],
                            NE_CUDNN_CROSS_CORRELATION, dt)) != 0
        || (s = d->set_groups(p->conv, (int) groups)) != 0
        || (s = d->set_math(p->conv, dtype == 0 ? NE_CUDNN_FMA_MATH : NE_CUDNN_DEFAULT_MATH)) != 0) {
        ne_cudnn_plan_free(d, p);
        *status = s;
        return 0;
    }
    ne_cudnn_perf perf[NE_CUDNN_MAX_ALGOS];
    memset(perf, 0, sizeof perf);
    int returned = 0;
    if ((s = d->get_algo(handle, p->x, p->w, p->conv, p->y, NE_CUDNN_MAX_ALGOS, &returned, perf)) != 0) {
        ne_cudnn_plan_free(d, p);
        *status = s;
        return 0;
    }
    for (int i = 0; i < returned && i < NE_CUDNN_MAX_ALGOS; i++) {
        if (perf[i].status != 0 || (dtype == 0 && perf[i].math_type != NE_CUDNN_DEFAULT_MATH && perf[i].math_type != NE_CUDNN_FMA_MATH))
            continue;
        size_t bytes = 0;
        if (d->workspace(handle, p->x, p->w, p->conv, p->y, perf[i].algo, &bytes) != 0 || bytes > NE_CUDNN_WORKSPACE_LIMIT) continue;
        p->algo = perf[i].algo;
        p->workspace = bytes;
        return 0;
    }
    ne_cudnn_plan_free(d, p);
    return 1;
}

/* y = conv(x, w) on `stream`, with a workspace of at least p->workspace bytes; returns the
 * cudnnStatus_t (0: success). */
static int ne_cudnn_plan_run(const ne_cudnn* d, void* handle, void* stream, const ne_cudnn_plan* p, const void* x,
                             const void* w, void* y, void* workspace) {
    int s = d->set_stream(handle, stream);
    if (s != 0) return s;
    const float f1 = 1.0f, f0 = 0.0f;
    const double d1 = 1.0, d0 = 0.0;
    const int single = p->dtype == NE_CUDNN_DATA_FLOAT;
    return d->forward(handle, single ? (const void*) &f1 : (const void*) &d1, p->x, x, p->w, w, p->conv, p->algo, workspace,
                      p->workspace, single ? (const void*) &f0 : (const void*) &d0, p->y, y);
}

#endif
