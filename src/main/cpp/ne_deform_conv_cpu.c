/* Deformable convolution v1/v2 on the CPU (docs/ops.md §5): position-major columns ("im2row") of an
 * HWC copy of the input through a per-block sampling table, the library's own single-threaded
 * GEMM (ne_gemm.h) on each of nativeext's threads, and a backward whose scatter (grad input) is
 * partitioned by channel so that it needs no atomics and gives the same bits for any thread
 * count. The profile and the threading are described in ne_deform_conv_driver.h. im2col_step is
 * validated but the CPU path works image by image in position blocks (their column buffers
 * together are bounded by NE_DCN_CHUNK_ELEMS, smaller than any im2col_step's); `gemm` is unused. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200112L
#endif
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE 1   /* madvise(MADV_HUGEPAGE) */
#endif
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "ne_deform_conv.h"
#include "ne_parallel.h"
#include "ne_status.h"
#include "ne_text.h"

typedef struct {
    int64_t n, cin, h, w, cout, kh, kw, ho, wo, groups, dg;
    int64_t sh, sw, ph, pw, dh, dw;
    int64_t offset_grad;  /* NE_DCN_OFFSET_GRAD_* */
} ne_dcn_geom;

/* NE_DCN_PROF(slot, code): runs code; with -DNE_DCN_PROFILE also adds the CPU time of the
 * calling thread (not wall time: the profile was taken on a shared machine) to
 * ne_dcn_prof_ns[slot], for the profile in the comment at the top. */
#ifdef NE_DCN_PROFILE
#include <time.h>
#define NE_DCN_PROF_SLOTS 24
int64_t ne_dcn_prof_ns[NE_DCN_PROF_SLOTS];
static int64_t ne_dcn_now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (int64_t) t.tv_sec * 1000000000 + t.tv_nsec;
}
#define NE_DCN_PROF(slot, ...)                                                                   \
    {                                                                                             \
        const int64_t t0_ = ne_dcn_now_ns();                                                      \
        __VA_ARGS__;                                                                              \
        __atomic_fetch_add(&ne_dcn_prof_ns[slot], ne_dcn_now_ns() - t0_, __ATOMIC_RELAXED);       \
    }
#else
#define NE_DCN_PROF(slot, ...) { __VA_ARGS__; }
#endif

/* Scratch memory: every buffer of a call is carved from one block, and the last block is kept
 * (one, process-wide) for the next call instead of being freed. Large blocks came from the
 * kernel page by page on every call (glibc trims and unmaps them on free): about 1800 page
 * faults per forward and 4200 per backward of the benchmark shape, 1-3 ms of CPU time. The kept
 * block is at most one call's scratch (no more than that call's peak), and a call running while
 * another holds it allocates its own. */
static pthread_mutex_t ne_dcn_scratch_mu = PTHREAD_MUTEX_INITIALIZER;
static void* ne_dcn_scratch_p;
static size_t ne_dcn_scratch_n;

/* At least *n bytes; *n becomes the block's size (to hand back with ne_dcn_scratch_put). */
static void* ne_dcn_scratch_get(size_t* n) {
    void* p = NULL;
    pthread_mutex_lock(&ne_dcn_scratch_mu);
    if (ne_dcn_scratch_p != NULL && ne_dcn_scratch_n >= *n) {
        p = ne_dcn_scratch_p;
        *n = ne_dcn_scratch_n;
        ne_dcn_scratch_p = NULL;
    }
    pthread_mutex_unlock(&ne_dcn_scratch_mu);
    if (p != NULL) return p;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    /* Blocks of 2 MiB and more: 2 MiB aligned and asked for in huge pages where the kernel gives
     * them on request (THP "madvise"; conv2d's ne_c2_alloc does the same). The benchmark's
     * backward spreads its buffers (HWC image and its gradient, packed W', column gradient,
     * dW', grad-weight blocks) over about 3000 4 KiB pages, more than the TLB holds: one
     * thread, backward 38.0 -> 35.1 ms, forward 17.1 -> 16.0 (profile driver, issue 11's
     * fifth session). Advice only: the same memory, the same bits. */
    if (*n >= ((size_t) 2 << 20)) {
        /* only the whole 2 MiB pages inside the block: its tail stays on 4 KiB pages, so the
         * block holds no more resident memory than before (peak RSS unchanged) */
        const size_t huge = (size_t) 2 << 20;
        if (posix_memalign(&p, huge, *n) != 0) return NULL;
        madvise(p, *n / huge * huge, MADV_HUGEPAGE);
        return p;
    }
#endif
    return malloc(*n);
}

static void ne_dcn_scratch_put(void* p, size_t n) {
    if (p == NULL) return;
    pthread_mutex_lock(&ne_dcn_scratch_mu);
    if (ne_dcn_scratch_p == NULL || ne_dcn_scratch_n < n) {
        void* old = ne_dcn_scratch_p;
        ne_dcn_scratch_p = p;
        ne_dcn_scratch_n = n;
        p = old;
    }
    pthread_mutex_unlock(&ne_dcn_scratch_mu);
    free(p);
}

/* Bytes of n elements of size sz, rounded up to 64 (each carved buffer starts on a cache line). */
static size_t ne_dcn_bytes(int64_t n, size_t sz) {
    return ((size_t) n * sz + 63) & ~(size_t) 63;
}

/* The GEMM's row block: 264 (22 MR panels) instead of ne_gemm.h's 240, so that the grad-weight
 * GEMM's 256 output channels are one block and its B (the rows of a chunk, 2.4 MB) is streamed
 * once per chunk instead of twice (measured 18.2-19.2 -> 17.8-18.2 ms per backward; the forward's
 * blocks and the column-gradient GEMM have fewer rows, unchanged). Blocking never changes bits. */
#define NE_GEMM_MC 264
#define NE_T float
#define NE_S f32
#include "ne_gemm.h"
#include "ne_deform_conv_kernels.h"
#include "ne_deform_conv_gemm.h"
#include "ne_deform_conv_driver.h"
#undef NE_T
#undef NE_S
#define NE_T double
#define NE_S f64
#define NE_GEMM_DOUBLE
#include "ne_gemm.h"
#include "ne_deform_conv_kernels.h"
#include "ne_deform_conv_gemm.h"
#include "ne_deform_conv_driver.h"
#undef NE_GEMM_DOUBLE
#undef NE_T
#undef NE_S

/* Checks what Java already validated, so that a direct C caller cannot index out of bounds,
 * and that every GEMM dimension fits CBLAS's 32-bit int. */
static int32_t ne_dcn_geom_read(const int64_t* dims, const int64_t* conv, int64_t step, ne_dcn_geom* g) {
    if (!dims || !conv) return NE_ERR_INVALID_ARGUMENT;
    *g = (ne_dcn_geom) {dims[0], dims[1], dims[2], dims[3], dims[4], dims[5], dims[6], dims[7], dims[8], dims[9], dims[10],
                        conv[0], conv[1], conv[2], conv[3], conv[4], conv[5], conv[6]};
    if (g->n < 0 || g->cin < 1 || g->h < 1 || g->w < 1 || g->cout < 1 || g->kh < 1 || g->kw < 1) return NE_ERR_INVALID_ARGUMENT;
    if (g->groups < 1 || g->dg < 1 || g->cin % g->groups || g->cout % g->groups || g->cin % g->dg) return NE_ERR_INVALID_ARGUMENT;
    if (g->sh < 1 || g->sw < 1 || g->dh < 1 || g->dw < 1 || g->ph < 0 || g->pw < 0 || step < 1) return NE_ERR_INVALID_ARGUMENT;
    if (g->offset_grad != NE_DCN_OFFSET_GRAD_TORCHVISION && g->offset_grad != NE_DCN_OFFSET_GRAD_MASKRCNN_BENCHMARK)
        return NE_ERR_INVALID_ARGUMENT;
    if (g->ho != (g->h + 2 * g->ph - (g->dh * (g->kh - 1) + 1)) / g->sh + 1) return NE_ERR_INVALID_ARGUMENT;
    if (g->wo != (g->w + 2 * g->pw - (g->dw * (g->kw - 1) + 1)) / g->sw + 1) return NE_ERR_INVALID_ARGUMENT;
    if (g->ho < 1 || g->wo < 1) return NE_ERR_INVALID_ARGUMENT;
    const int64_t lim = 2147483647;
    if (g->cin * g->kh * g->kw > lim || g->ho * g->wo * step > lim || g->cout > lim) return NE_ERR_INVALID_ARGUMENT;
    return NE_OK;
}

int32_t ne_deform_conv_forward_cpu(int32_t dtype, const void* input, const void* offset, const void* mask,
                                   const void* weight, const void* bias, void* output,
                                   const int64_t* dims, const int64_t* conv, int64_t im2col_step,
                                   int64_t gemm, int32_t threads, int32_t isa) {
    ne_dcn_geom g;
    int32_t s = ne_dcn_geom_read(dims, conv, im2col_step, &g);
    if (s != NE_OK) return s;
    if (g.n == 0) return NE_OK;
    (void) gemm;
    if (!input || !offset || !weight || !output) return NE_ERR_INVALID_ARGUMENT;
    isa = ne_isa_resolve(isa);
    switch (dtype) {
        case 0: return ne_dcn_forward_f32(&g, input, offset, mask, weight, bias, output, threads, isa);
        case 1: return ne_dcn_forward_f64(&g, input, offset, mask, weight, bias, output, threads, isa);
        default: return NE_ERR_UNSUPPORTED_DTYPE;
    }
}

int32_t ne_deform_conv_backward_cpu(int32_t dtype, const void* grad_output, const void* input,
                                    const void* offset, const void* mask, const void* weight,
                                    void* grad_input, void* grad_offset, void* grad_mask,
                                    void* grad_weight, void* grad_bias,
                                    const int64_t* dims, const int64_t* conv, int64_t im2col_step,
                                    int64_t gemm, int32_t threads, int32_t isa) {
    ne_dcn_geom g;
    int32_t s = ne_dcn_geom_read(dims, conv, im2col_step, &g);
    if (s != NE_OK) return s;
    if (g.n == 0) return NE_OK;
    (void) gemm;
    if (!grad_output || !input || !offset || !weight || !grad_input || !grad_offset || !grad_weight)
        return NE_ERR_INVALID_ARGUMENT;
    if ((mask == NULL) != (grad_mask == NULL)) return NE_ERR_INVALID_ARGUMENT;
    isa = ne_isa_resolve(isa);
    switch (dtype) {
        case 0: return ne_dcn_backward_f32(&g, grad_output, input, offset, mask, weight, grad_input, grad_offset, grad_mask,
                                           grad_weight, grad_bias, threads, isa);
        case 1: return ne_dcn_backward_f64(&g, grad_output, input, offset, mask, weight, grad_input, grad_offset, grad_mask,
                                           grad_weight, grad_bias, threads, isa);
        default: return NE_ERR_UNSUPPORTED_DTYPE;
    }
}

#ifndef WITH_CUDA
/* The CPU build's CUDA entry points say so instead of being absent (links with --no-undefined). */
int32_t ne_deform_conv_forward_cuda(int32_t dtype, const void* input, const void* offset, const void* mask,
                                    const void* weight, const void* bias, void* output,
                                    const int64_t* dims, const int64_t* conv, int64_t im2col_step,
                                    void* workspace, void* stream) {
    (void) dtype; (void) input; (void) offset; (void) mask; (void) weight; (void) bias; (void) output;
    (void) dims; (void) conv; (void) im2col_step; (void) workspace; (void) stream;
    return NE_ERR_NOT_BUILT_WITH_CUDA;
}

int32_t ne_deform_conv_backward_cuda(int32_t dtype, const void* grad_output, const void* input,
                                     const void* offset, const void* mask, const void* weight,
                                     void* grad_input, void* grad_offset, void* grad_mask,
                                     void* grad_weight, void* grad_bias,
                                     const int64_t* dims, const int64_t* conv, int64_t im2col_step,
                                     void* workspace, void* stream) {
    (void) dtype; (void) grad_output; (void) input; (void) offset; (void) mask; (void) weight; (void) grad_input;
    (void) grad_offset; (void) grad_mask; (void) grad_weight; (void) grad_bias; (void) dims; (void) conv;
    (void) im2col_step; (void) workspace; (void) stream;
    return NE_ERR_NOT_BUILT_WITH_CUDA;
}

int32_t ne_deform_conv_cuda_gemm(const char* library, char* description, int64_t capacity) {
    (void) library;
    ne_copy_text("none: this library was built without CUDA", description, capacity);
    return NE_ERR_NOT_BUILT_WITH_CUDA;
}
#endif
