/* conv2d on the CPU (include/ne_conv2d.h): the GEMM path (the caller's CBLAS, one call per
 * image, group and chunk of output positions, on im2col columns or, for a 1x1 stride-1
 * unpadded convolution, straight on the NCHW input) for every shape, and Winograd F(4x4,3x3)
 * for float32 3x3 stride-1 convolutions (2.25x fewer multiplications; transforms here, the 36
 * products through the CBLAS). The epilogue runs on each chunk while it is still in cache. */
#define _POSIX_C_SOURCE 200112L
#include <stdlib.h>
#include <string.h>
#include "ne_conv2d.h"
#include "ne_parallel.h"
#include "ne_status.h"

typedef struct {
    int64_t n, cin, h, w, cout, kh, kw, ho, wo, groups;
    int64_t sh, sw, ph, pw, dh, dw;
    int64_t cin_g, cout_g;
} ne_c2_geom;

#define NE_C2_CAT_(a, b) a##_##b
#define NE_C2_CAT(a, b) NE_C2_CAT_(a, b)

/* Bytes of one im2col buffer (a few per core fit L2); output positions per GEMM of the direct
 * 1x1 path; bytes of Winograd's transformed input and products per block of tile rows. */
#define NE_C2_COL_BYTES (512 << 10)
#define NE_C2_DIRECT_COLS 1536
#define NE_C2_WINO_BYTES ((int64_t) 12 << 20)

static void* ne_c2_alloc(size_t bytes) {
    void* p = NULL;
    return posix_memalign(&p, 64, bytes ? bytes : 64) == 0 ? p : NULL;
}

/* Splits hwo output positions into an even number of chunks of about `target` (a multiple of
 * 16 wide), so that two threads share them evenly; depends on the shapes only. */
static void ne_c2_chunks(int64_t hwo, int64_t target, int64_t* nchunks, int64_t* nc) {
    if (target < 64) target = 64;
    int64_t k = (hwo + target - 1) / target;
    if (k > 1 && k % 2) k++;
    int64_t w = (hwo + k - 1) / k;
    w = (w + 15) / 16 * 16;
    *nc = w;
    *nchunks = (hwo + w - 1) / w;
}

/* The SIMD variants, per type: base (x86-64), avx2 (+FMA: not contracted), avx512 (AVX-512F). */
#define NE_T float
#define NE_S f32
#define NE_C2_WINOGRAD 1
#define NE_V base
#include "ne_conv2d_simd.h"
#undef NE_V
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define NE_V avx2
#include "ne_conv2d_simd.h"
#undef NE_V
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx512f")
#define NE_V avx512
#include "ne_conv2d_simd.h"
#undef NE_V
#pragma GCC pop_options
#include "ne_conv2d_driver.h"
#undef NE_C2_WINOGRAD
#undef NE_T
#undef NE_S

#define NE_T double
#define NE_S f64
#define NE_C2_WINOGRAD 0
#define NE_V base
#include "ne_conv2d_simd.h"
#undef NE_V
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define NE_V avx2
#include "ne_conv2d_simd.h"
#undef NE_V
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx512f")
#define NE_V avx512
#include "ne_conv2d_simd.h"
#undef NE_V
#pragma GCC pop_options
#include "ne_conv2d_driver.h"
#undef NE_C2_WINOGRAD
#undef NE_T
#undef NE_S

/* Checks what Java already validated, so that a direct C caller cannot index out of bounds,
 * and that every GEMM dimension fits CBLAS's 32-bit int. */
static int32_t ne_c2_geom_read(const int64_t* dims, const int64_t* conv, ne_c2_geom* g) {
    if (!dims || !conv) return NE_ERR_INVALID_ARGUMENT;
    *g = (ne_c2_geom) {dims[0], dims[1], dims[2], dims[3], dims[4], dims[5], dims[6], dims[7], dims[8], dims[9],
                       conv[0], conv[1], conv[2], conv[3], conv[4], conv[5], 0, 0};
    if (g->n < 1 || g->cin < 1 || g->h < 1 || g->w < 1 || g->cout < 1 || g->kh < 1 || g->kw < 1) return NE_ERR_INVALID_ARGUMENT;
    if (g->groups < 1 || g->cin % g->groups || g->cout % g->groups) return NE_ERR_INVALID_ARGUMENT;
    if (g->sh < 1 || g->sw < 1 || g->dh < 1 || g->dw < 1 || g->ph < 0 || g->pw < 0) return NE_ERR_INVALID_ARGUMENT;
    if (g->h + 2 * g->ph < g->dh * (g->kh - 1) + 1 || g->w + 2 * g->pw < g->dw * (g->kw - 1) + 1) return NE_ERR_INVALID_ARGUMENT;
    if (g->ho != (g->h + 2 * g->ph - (g->dh * (g->kh - 1) + 1)) / g->sh + 1) return NE_ERR_INVALID_ARGUMENT;
    if (g->wo != (g->w + 2 * g->pw - (g->dw * (g->kw - 1) + 1)) / g->sw + 1) return NE_ERR_INVALID_ARGUMENT;
    g->cin_g = g->cin / g->groups;
    g->cout_g = g->cout / g->groups;
    const int64_t lim = 2147483647;
    if (g->cin_g * g->kh * g->kw > lim || g->ho * g->wo > lim || g->cout > lim) return NE_ERR_INVALID_ARGUMENT;
    return NE_OK;
}

static int ne_c2_winograd_fits(const ne_c2_geom* g) {
    return g->kh == 3 && g->kw == 3 && g->sh == 1 && g->sw == 1 && g->dh == 1 && g->dw == 1 && g->groups == 1;
}

int32_t ne_conv2d_forward_cpu(int32_t dtype, const void* input, const void* weight, const void* bias,
                              const void* scale, const void* shift, const void* residual, int32_t relu,
                              void* output, const int64_t* dims, const int64_t* conv, int32_t algo,
                              int64_t gemm, int32_t threads, int32_t isa) {
    ne_c2_geom g;
    int32_t s = ne_c2_geom_read(dims, conv, &g);
    if (s != NE_OK) return s;
    if (!input || !weight || !output || !gemm || algo < 0 || algo > 2) return NE_ERR_INVALID_ARGUMENT;
    isa = ne_isa_resolve(isa);
    relu = relu != 0;
    switch (dtype) {
        case 0: {
            /* Winograd pays off once the products dominate its transforms: 16+ channels each way. */
            int wino = algo == 2 || (algo == 0 && ne_c2_winograd_fits(&g) && g.cin >= 16 && g.cout >= 16);
            if (wino && !ne_c2_winograd_fits(&g)) return NE_ERR_INVALID_ARGUMENT;
            if (wino)
                return ne_c2_forward_winograd(&g, input, weight, bias, scale, shift, residual, relu, output,
                                              (ne_c2_gemm_fn_f32) (intptr_t) gemm, threads, isa);
            return ne_c2_forward_gemm_f32(&g, input, weight, bias, scale, shift, residual, relu, output,
                                          (ne_c2_gemm_fn_f32) (intptr_t) gemm, threads, isa);
        }
        case 1:
            if (algo == 2) return NE_ERR_INVALID_ARGUMENT;
            return ne_c2_forward_gemm_f64(&g, input, weight, bias, scale, shift, residual, relu, output,
                                          (ne_c2_gemm_fn_f64) (intptr_t) gemm, threads, isa);
        default: return NE_ERR_UNSUPPORTED_DTYPE;
    }
}

#ifndef WITH_CUDA
int32_t ne_conv2d_forward_cuda(int32_t dtype, const void* input, const void* weight, const void* bias,
                               const void* scale, const void* shift, const void* residual, int32_t relu,
                               void* output, const int64_t* dims, const int64_t* conv, void* stream) {
    (void) dtype; (void) input; (void) weight; (void) bias; (void) scale; (void) shift; (void) residual; (void) relu;
    (void) output; (void) dims; (void) conv; (void) stream;
    return NE_ERR_NOT_BUILT_WITH_CUDA;
}
#endif
