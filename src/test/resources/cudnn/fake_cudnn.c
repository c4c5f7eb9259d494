/* A stand-in for libcudnn, for testing ne_cudnn.h without a GPU: the symbols nativeext looks up,
 * with cuDNN's NCHW cross-correlation computed on host memory by the textbook loop, so a wrong
 * descriptor mapping (padding, stride, dilation, groups, filter layout) gives wrong numbers. Its
 * heuristics rank an algorithm that fails, then (float32 only) a tensor-core one, then algorithm 2,
 * which needs a 1 KiB workspace that it writes in full; only algorithm 2 runs. A float32
 * convolution not set to FMA math, or a convolution mode other than cross-correlation, is
 * refused. fake_cudnn_refuse(1) makes the heuristics offer nothing usable. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BAD_PARAM 2000
#define NOT_SUPPORTED 3000

typedef struct { int kind, dtype, n, c, h, w; } desc4;
typedef struct { int kind, ph, pw, u, v, dh, dw, mode, compute, groups, math; } conv_desc;
typedef struct { int algo, status; float time; size_t memory; int determinism, math_type, reserved[3]; } perf_t;

static int the_handle;
static void* last_stream;
static long calls;
static int refuse;

long fake_cudnn_calls(void) { return calls; }
void* fake_cudnn_last_stream(void) { return last_stream; }
void fake_cudnn_refuse(int on) { refuse = on; }

size_t cudnnGetVersion(void) { return 90100; }
int cudnnCreate(void** h) { *h = &the_handle; return 0; }
int cudnnDestroy(void* h) { return h == &the_handle ? 0 : BAD_PARAM; }
int cudnnSetStream(void* h, void* s) { last_stream = s; return h == &the_handle ? 0 : BAD_PARAM; }

static int make(void** d, int kind, size_t size) {
    int* p = (int*) calloc(1, size);
    if (!p) return 1;
    *p = kind;
    *d = p;
    return 0;
}
static int drop(void* d, int kind) {
    if (!d || *(int*) d != kind) return BAD_PARAM;
    free(d);
    return 0;
}
int cudnnCreateTensorDescriptor(void** d) { return make(d, 1, sizeof(desc4)); }
int cudnnCreateFilterDescriptor(void** d) { return make(d, 2, sizeof(desc4)); }
int cudnnCreateConvolutionDescriptor(void** d) { return make(d, 3, sizeof(conv_desc)); }
int cudnnDestroyTensorDescriptor(void* d) { return drop(d, 1); }
int cudnnDestroyFilterDescriptor(void* d) { return drop(d, 2); }
int cudnnDestroyConvolutionDescriptor(void* d) { return drop(d, 3); }

int cudnnSetTensor4dDescriptor(void* d, int format, int dtype, int n, int c, int h, int w) {
    desc4* t = (desc4*) d;
    if (t->kind != 1 || format != 0 || dtype < 0 || dtype > 1 || n < 1 || c < 1 || h < 1 || w < 1) return BAD_PARAM;
    t->dtype = dtype, t->n = n, t->c = c, t->h = h, t->w = w;
    return 0;
}
int cudnnSetFilter4dDescriptor(void* d, int dtype, int format, int k, int c, int h, int w) {
    desc4* t = (desc4*) d;
    if (t->kind != 2 || format != 0 || dtype < 0 || dtype > 1 || k < 1 || c < 1 || h < 1 || w < 1) return BAD_PARAM;
    t->dtype = dtype, t->n = k, t->c = c, t->h = h, t->w = w;
    return 0;
}
int cudnnSetConvolution2dDescriptor(void* d, int ph, int pw, int u, int v, int dh, int dw, int mode, int compute) {
    conv_desc* c = (conv_desc*) d;
    if (c->kind != 3 || ph < 0 || pw < 0 || u < 1 || v < 1 || dh < 1 || dw < 1) return BAD_PARAM;
    c->ph = ph, c->pw = pw, c->u = u, c->v = v, c->dh = dh, c->dw = dw, c->mode = mode, c->compute = compute, c->groups = 1;
    return 0;
}
int cudnnSetConvolutionGroupCount(void* d, int groups) {
    conv_desc* c = (conv_desc*) d;
    if (c->kind != 3 || groups < 1) return BAD_PARAM;
    c->groups = groups;
    return 0;
}
int cudnnSetConvolutionMathType(void* d, int math) {
    conv_desc* c = (conv_desc*) d;
    if (c->kind != 3 || math < 0 || math > 3) return BAD_PARAM;
    c->math = math;
    return 0;
}

/* The shapes agree as cuDNN requires; 0 or BAD_PARAM. */
static int consistent(const desc4* x, const desc4* w, const conv_desc* c, const desc4* y) {
    if (x->kind != 1 || w->kind != 2 || c->kind != 3 || y->kind != 1) return BAD_PARAM;
    if (x->dtype != w->dtype || x->dtype != y->dtype || c->compute != x->dtype) return BAD_PARAM;
    if (x->c != w->c * c->groups || w->n != y->c || w->n % c->groups || x->n != y->n) return BAD_PARAM;
    if (y->h != (x->h + 2 * c->ph - (c->dh * (w->h - 1) + 1)) / c->u + 1) return BAD_PARAM;
    if (y->w != (x->w + 2 * c->pw - (c->dw * (w->w - 1) + 1)) / c->v + 1) return BAD_PARAM;
    if (c->mode != 1 || (x->dtype == 0 && c->math != 3)) return NOT_SUPPORTED;
    return 0;
}

int cudnnGetConvolutionForwardAlgorithm_v7(void* h, void* x, void* w, void* conv, void* y, int requested, int* returned,
                                           perf_t* perf) {
    if (h != &the_handle || requested < 1) return BAD_PARAM;
    int s = consistent((desc4*) x, (desc4*) w, (conv_desc*) conv, (desc4*) y);
    if (s) return s;
    const int single = ((desc4*) x)->dtype == 0;
    perf_t offer[3] = {{7, NOT_SUPPORTED, 0, 0, 1, 0, {0}}, {5, 0, 0.1f, 0, 1, 1, {0}}, {2, 0, 0.2f, 1024, 1, 3, {0}}};
    int k = 0;
    for (int i = 0; i < 3 && k < requested; i++) {
        if (i == 1 && !single) continue;
        perf[k] = offer[i];
        if (refuse) perf[k].status = NOT_SUPPORTED;
        k++;
    }
    *returned = k;
    return 0;
}

int cudnnGetConvolutionForwardWorkspaceSize(void* h, void* x, void* w, void* conv, void* y, int algo, size_t* bytes) {
    if (h != &the_handle) return BAD_PARAM;
    int s = consistent((desc4*) x, (desc4*) w, (conv_desc*) conv, (desc4*) y);
    if (s) return s;
    *bytes = algo == 2 ? 1024 : 0;
    return 0;
}

#define FAKE_CONV(T)                                                                                               \
    for (int b = 0; b < y->n; b++)                                                                                 \
        for (int co = 0; co < y->c; co++)                                                                          \
            for (int oy = 0; oy < y->h; oy++)                                                                      \
                for (int ox = 0; ox < y->w; ox++) {                                                                \
                    const int gr = co / (w->n / c->groups);                                                        \
                    double s = 0;                                                                                  \
                    for (int ci = 0; ci < w->c; ci++)                                                              \
                        for (int i = 0; i < w->h; i++)                                                             \
                            for (int j = 0; j < w->w; j++) {                                                       \
                                const int iy = oy * c->u - c->ph + i * c->dh, ix = ox * c->v - c->pw + j * c->dw;  \
                                if (iy < 0 || iy >= x->h || ix < 0 || ix >= x->w) continue;                        \
                                s += (double) ((const T*) wd)[((co * w->c + ci) * w->h + i) * w->w + j]            \
                                     * ((const T*) xd)[((b * x->c + gr * w->c + ci) * x->h + iy) * x->w + ix];      \
                            }                                                                                      \
                    T* o = (T*) yd + ((b * y->c + co) * y->h + oy) * y->w + ox;                                    \
                    const T al = *(const T*) alpha, be = *(const T*) beta;                                         \
                    *o = (T) (al * s + (be == 0 ? 0 : be * *o));                                                   \
                }

int cudnnConvolutionForward(void* h, const void* alpha, void* xdesc, const void* xd, void* wdesc, const void* wd, void* conv,
                            int algo, void* workspace, size_t workspace_bytes, const void* beta, void* ydesc, void* yd) {
    const desc4 *x = (const desc4*) xdesc, *w = (const desc4*) wdesc, *y = (const desc4*) ydesc;
    const conv_desc* c = (const conv_desc*) conv;
    if (h != &the_handle || !xd || !wd || !yd) return BAD_PARAM;
    int s = consistent(x, w, c, y);
    if (s) return s;
    if (algo != 2) return NOT_SUPPORTED;
    if (!workspace || workspace_bytes < 1024) return BAD_PARAM;
    memset(workspace, 0x5a, 1024);
    calls++;
    if (x->dtype == 0) {
        FAKE_CONV(float)
    } else {
        FAKE_CONV(double)
    }
    return 0;
}
