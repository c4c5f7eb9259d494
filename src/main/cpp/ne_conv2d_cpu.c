/* conv2d on the CPU (include/ne_conv2d.h): the GEMM path (the caller's CBLAS, one call per
 * image, group and chunk of output positions, on im2col columns or, for a 1x1 stride-1
 * unpadded convolution, straight on the NCHW input) for every shape, Winograd F(4x4,3x3)
 * for float32 3x3 stride-1 convolutions (2.25x fewer multiplications; transforms here, the 36
 * products through the CBLAS), and the direct kernel (below) for float32 1x1 stride-1
 * convolutions and those with <= 4 input channels (the stem), where it measured faster than
 * OpenBLAS. One path per case; the rule is in ne_conv2d_forward_cpu. The epilogue runs on each
 * chunk while it is still in cache. */
#define _POSIX_C_SOURCE 200112L
#include <stdlib.h>
#include <string.h>
#include <immintrin.h>
#include "ne_conv2d.h"
#include "ne_parallel.h"
#include "ne_status.h"

typedef struct {
    int64_t n, cin, h, w, cout, kh, kw, ho, wo, groups;
    int64_t sh, sw, ph, pw, dh, dw;
    int64_t cin_g, cout_g;
} ne_c2_geom;

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
    /* 16-wide only where the second half of the chunks keeps 7/8 of the first's positions, else
     * hwo/k rounded up (196/4 = 49 rounded to 64 gave chunks 64, 64, 64, 4: 128 against 68) */
    const int64_t w16 = (w + 15) / 16 * 16, first = k / 2 * w16 < hwo ? k / 2 * w16 : hwo;
    if (k == 1 || (hwo - first) * 8 >= first * 7) w = w16;
    *nc = w;
    *nchunks = (hwo + w - 1) / w;
}

/* The SIMD variants of ne_conv2d_kernel.h, per dtype: base (x86-64), avx2 (+FMA: not
 * contracted), avx512 (AVX-512F); then the dtype's drivers (ne_conv2d_driver.h). */
#define NE_T float
#define NE_S f32
#define NE_C2_WINOGRAD 1
#define NE_KERNEL "ne_conv2d_kernel.h"
#include "ne_each_isa.h"
#undef NE_KERNEL
#include "ne_conv2d_driver.h"
#undef NE_C2_WINOGRAD
#undef NE_T
#undef NE_S

/* ---- The direct path: float32, groups 1, C_in <= 4, stride_w <= 2, dilation_w 1 (the 7x7/2
 * stem on RGB). im2col + GEMM is slow there: K = C_in*kh*kw is small (147 for the stem), so
 * the GEMM spends its time packing the wide column matrix. Instead, per output row, each of the
 * C_in*kh input rows it reads is copied once into a zero-padded row split into its stride_w
 * phases (even and odd columns), so that 16 consecutive outputs read 16 consecutive floats for
 * every kernel column; a register block of 8 output channels x 48 output columns then
 * accumulates over (ci, i, j) with fused multiply-adds from weights packed [8-channel block]
 * [ci, i, j][8] with the BN scale folded in. Every variant rounds the same: the same fma chain
 * from 0 in the same (ci, i, j) order (fmaf in the baseline, vfmadd in AVX2/AVX-512), then
 * + (bias*scale + shift), + residual, ReLU. Items are output rows: bit-identical for any thread
 * count and isa. */
#define NE_C2_DX 48   /* output columns per register block */
#define NE_C2_DC 8    /* output channels per register block */

static int ne_c2_direct_fits(const ne_c2_geom* g) {
    return g->groups == 1 && g->cin <= 4 && g->sw <= 2 && g->dw == 1;
}

/* acc[c*48 + x] = sum over r < nr, j < kw of wp[(r*kw + j)*8 + c] * rows[r][joff[j] + x0 + x], where
 * joff[j] = (j % stride_w) * lq + j / stride_w (precomputed: no division in the loop). */
typedef void (*ne_c2_direct_fn)(const float* const* rows, int64_t nr, int64_t kw, const int64_t* joff,
                                 const float* wp, int64_t x0, float* acc, int64_t lda, int cont);

/* fmaf without libm (the baseline has no FMA instruction and the library does not link libm):
 * the product of two floats is exact in double; the double sum is made round-to-odd from its
 * exact error (TwoSum), and a round-to-odd double (53 >= 2*24 + 2 bits) rounds to the correctly
 * rounded float, the same bits as vfmadd. */
static float ne_c2_fmaf_soft(float a, float b, float c) {
    const double p = (double) a * (double) b, s = p + (double) c;
    const double bv = s - p, e = (p - (s - bv)) + ((double) c - bv);
    double r = s;
    if (e != 0 && s - s == 0) {   /* inexact and finite */
        uint64_t u;
        memcpy(&u, &s, sizeof u);
        if (!(u & 1)) u += (e > 0) == (s > 0) ? 1 : (uint64_t) -1;
        memcpy(&r, &u, sizeof r);
    }
    return (float) r;
}

/* The generic register block (ne_conv2d_direct.h), baseline and AVX2; AVX-512's is below. */
#define NE_C2_FMA ne_c2_fmaf_soft
#define NE_SFX f32_base
#define NE_TARGET
#include "ne_conv2d_direct.h"
#undef NE_SFX
#undef NE_TARGET
#undef NE_C2_FMA
#define NE_C2_FMA __builtin_fmaf
#define NE_SFX f32_avx2
#define NE_TARGET NE_TARGET_AVX2
#include "ne_conv2d_direct.h"
#undef NE_SFX
#undef NE_TARGET
#undef NE_C2_FMA

NE_TARGET_AVX512 static void ne_c2_direct_f32_avx512(const float* const* rows, int64_t nr, int64_t kw, const int64_t* joff,
                                                      const float* wp, int64_t x0, float* acc, int64_t lda, int cont) {
    __m512 a00 = _mm512_setzero_ps(), a01 = a00, a02 = a00, a10 = a00, a11 = a00, a12 = a00, a20 = a00, a21 = a00,
           a22 = a00, a30 = a00, a31 = a00, a32 = a00, a40 = a00, a41 = a00, a42 = a00, a50 = a00, a51 = a00, a52 = a00,
           a60 = a00, a61 = a00, a62 = a00, a70 = a00, a71 = a00, a72 = a00;
    if (cont) {
#define NE_C2_DLD(c)                                                                                     \
        a##c##0 = _mm512_loadu_ps(acc + c * lda);                                                       \
        a##c##1 = _mm512_loadu_ps(acc + c * lda + 16);                                                  \
        a##c##2 = _mm512_loadu_ps(acc + c * lda + 32);
        NE_C2_DLD(0) NE_C2_DLD(1) NE_C2_DLD(2) NE_C2_DLD(3) NE_C2_DLD(4) NE_C2_DLD(5) NE_C2_DLD(6) NE_C2_DLD(7)
#undef NE_C2_DLD
    }
    for (int64_t r = 0; r < nr; r++) {
        const float* row = rows[r] + x0;
        const float* w = wp + r * kw * NE_C2_DC;
        for (int64_t j = 0; j < kw; j++, w += NE_C2_DC) {
            const float* s = row + joff[j];
            const __m512 i0 = _mm512_loadu_ps(s), i1 = _mm512_loadu_ps(s + 16), i2 = _mm512_loadu_ps(s + 32);
            __m512 wc;
#define NE_C2_DFMA(c)                                                                            \
            wc = _mm512_set1_ps(w[c]);                                                          \
            a##c##0 = _mm512_fmadd_ps(wc, i0, a##c##0);                                         \
            a##c##1 = _mm512_fmadd_ps(wc, i1, a##c##1);                                         \
            a##c##2 = _mm512_fmadd_ps(wc, i2, a##c##2);
            NE_C2_DFMA(0) NE_C2_DFMA(1) NE_C2_DFMA(2) NE_C2_DFMA(3)
            NE_C2_DFMA(4) NE_C2_DFMA(5) NE_C2_DFMA(6) NE_C2_DFMA(7)
#undef NE_C2_DFMA
        }
    }
#define NE_C2_DST(c)                                                                                     \
    _mm512_storeu_ps(acc + c * lda, a##c##0);                                                           \
    _mm512_storeu_ps(acc + c * lda + 16, a##c##1);                                                      \
    _mm512_storeu_ps(acc + c * lda + 32, a##c##2);
    NE_C2_DST(0) NE_C2_DST(1) NE_C2_DST(2) NE_C2_DST(3) NE_C2_DST(4) NE_C2_DST(5) NE_C2_DST(6) NE_C2_DST(7)
#undef NE_C2_DST
}

typedef struct {
    const ne_c2_geom* g;
    const float *in, *res, *wp, *t;
    float* out;
    int32_t relu;
    int64_t lq, ncb;
    const int64_t* joff;
    ne_c2_direct_fn kernel;
} ne_c2_direct_ctx;

/* The epilogue of the direct and pointwise paths on one output row of nx sums (the BN scale is
 * already in the weights): + shift, + residual (rr may be NULL), then ReLU. */
static inline void ne_c2_epilogue_row(const float* a, float t, const float* rr, int32_t relu, float* y, int64_t nx) {
    for (int64_t x = 0; x < nx; x++) {
        float v = a[x] + t;
        if (rr) v = v + rr[x];
        y[x] = relu && v < 0 ? 0.0f : v;
    }
}

static int32_t ne_c2_direct_range(void* p, int64_t begin, int64_t end) {
    const ne_c2_direct_ctx* c = (const ne_c2_direct_ctx*) p;
    const ne_c2_geom* g = c->g;
    const int64_t nr = g->cin * g->kh, lq = c->lq, hwo = g->ho * g->wo;
    /* nr phase-split rows, one zero row, the row pointers, one register block's sums */
    float* buf = (float*) ne_c2_alloc((size_t) ((nr + 1) * g->sw * lq + NE_C2_DC * NE_C2_DX) * sizeof(float) +
                                      (size_t) nr * sizeof(float*));
    if (!buf) return NE_ERR_OUT_OF_MEMORY;
    float* zero = buf + nr * g->sw * lq;
    float* acc = zero + g->sw * lq;
    const float** rows = (const float**) (acc + NE_C2_DC * NE_C2_DX);
    memset(zero, 0, (size_t) (g->sw * lq) * sizeof(float));
    for (int64_t item = begin; item < end; item++) {
        const int64_t b = item / g->ho, oy = item % g->ho;
        for (int64_t ci = 0; ci < g->cin; ci++)
            for (int64_t i = 0; i < g->kh; i++) {
                const int64_t r = ci * g->kh + i, y = oy * g->sh - g->ph + i * g->dh;
                if (y < 0 || y >= g->h) {
                    rows[r] = zero;
                    continue;
                }
                const float* src = c->in + ((b * g->cin + ci) * g->h + y) * g->w;
                float* dst = buf + r * g->sw * lq;
                for (int64_t ph = 0; ph < g->sw; ph++) {
                    /* q in [qlo, qhi) reads x = q*sw + ph - pw inside the row; zeros around it */
                    const int64_t x0 = ph - g->pw;
                    int64_t qlo = x0 >= 0 ? 0 : (-x0 + g->sw - 1) / g->sw;
                    int64_t qhi = x0 >= g->w ? 0 : (g->w - x0 + g->sw - 1) / g->sw;
                    if (qlo > lq) qlo = lq;
                    if (qhi > lq) qhi = lq;
                    if (qhi < qlo) qhi = qlo;
                    float* d = dst + ph * lq;
                    for (int64_t q = 0; q < qlo; q++) d[q] = 0.0f;
                    if (g->sw == 2) {
                        const float* sp = src + x0;
                        for (int64_t q = qlo; q < qhi; q++) d[q] = sp[2 * q];
                    } else {
                        const float* sp = src + x0;
                        for (int64_t q = qlo; q < qhi; q++) d[q] = sp[q];
                    }
                    for (int64_t q = qhi; q < lq; q++) d[q] = 0.0f;
                }
                rows[r] = dst;
            }
        for (int64_t cb = 0; cb < c->ncb; cb++) {
            const int64_t nco = g->cout - cb * NE_C2_DC < NE_C2_DC ? g->cout - cb * NE_C2_DC : NE_C2_DC;
            for (int64_t x0 = 0; x0 < g->wo; x0 += NE_C2_DX) {
                const int64_t nx = g->wo - x0 < NE_C2_DX ? g->wo - x0 : NE_C2_DX;
                c->kernel(rows, nr, g->kw, c->joff, c->wp + cb * nr * g->kw * NE_C2_DC, x0, acc, NE_C2_DX, 0);
                for (int64_t o = 0; o < nco; o++) {
                    const int64_t co = cb * NE_C2_DC + o;
                    const int64_t at = (b * g->cout + co) * hwo + oy * g->wo + x0;
                    ne_c2_epilogue_row(acc + o * NE_C2_DX, c->t[co], c->res ? c->res + at : NULL, c->relu, c->out + at, nx);
                }
            }
        }
    }
    free(buf);
    return NE_OK;
}

/* ---- The pointwise path: float32 1x1 convolutions, stride 1, no padding, groups 1 (ResNet's
 * 1x1 layers). The same 8-channel x 48-column register kernel as the direct path, with the
 * rows its kernel reads being a panel [C_in][48] of the input's 48 output positions, packed
 * once per position block (contiguous, so the hardware prefetches it) and consumed in chunks
 * of NE_C2_PW_KC input channels that stay in L1 while every 8-channel weight block passes over
 * them; the sums continue across chunks (the same fma chain as unchunked). Unlike OpenBLAS, it
 * never packs the weights per call (they are packed once per call into [8-channel block][C_in]
 * [8], with the BN scale folded in) and the epilogue runs on the 48-column block in registers'
 * reach. Items are (image, position block): bit-identical for any thread count and isa. */
#define NE_C2_PW_KC 128

static int ne_c2_pointwise_fits(const ne_c2_geom* g) {
    return g->groups == 1 && g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->ph == 0 && g->pw == 0;
}

static int32_t ne_c2_pointwise_range(void* p, int64_t begin, int64_t end) {
    const ne_c2_direct_ctx* c = (const ne_c2_direct_ctx*) p;
    const ne_c2_geom* g = c->g;
    const int64_t hw = g->h * g->w, pb = c->lq, nb = (hw + pb - 1) / pb, cin = g->cin, ldc = c->ncb * NE_C2_DC;
    /* the panel [C_in][pb], the sums [C_out rounded up to 8][pb], the row pointers */
    float* panel = (float*) ne_c2_alloc((size_t) ((cin + ldc) * pb) * sizeof(float) + (size_t) cin * sizeof(float*));
    if (!panel) return NE_ERR_OUT_OF_MEMORY;
    float* acc = panel + cin * pb;
    const float** rows = (const float**) (acc + ldc * pb);
    for (int64_t ci = 0; ci < cin; ci++) rows[ci] = panel + ci * pb;
    const int64_t zero = 0;
    for (int64_t item = begin; item < end; item++) {
        const int64_t b = item / nb, p0 = (item % nb) * pb;
        const int64_t nx = hw - p0 < pb ? hw - p0 : pb;
        const int64_t nsub = (nx + NE_C2_DX - 1) / NE_C2_DX;
        const float* src = c->in + b * cin * hw + p0;
        for (int64_t ci = 0; ci < cin; ci++) {
            float* d = panel + ci * pb;
            memcpy(d, src + ci * hw, (size_t) nx * sizeof(float));
            for (int64_t x = nx; x < nsub * NE_C2_DX; x++) d[x] = 0;
        }
        for (int64_t k0 = 0; k0 < cin; k0 += NE_C2_PW_KC) {
            const int64_t kn = cin - k0 < NE_C2_PW_KC ? cin - k0 : NE_C2_PW_KC;
            for (int64_t sb = 0; sb < nsub; sb++)
                for (int64_t cb = 0; cb < c->ncb; cb++)
                    c->kernel(rows + k0, kn, 1, &zero, c->wp + (cb * cin + k0) * NE_C2_DC, sb * NE_C2_DX,
                              acc + cb * NE_C2_DC * pb + sb * NE_C2_DX, pb, k0 > 0);
        }
        for (int64_t co = 0; co < g->cout; co++) {
            const int64_t at = (b * g->cout + co) * hw + p0;
            ne_c2_epilogue_row(acc + co * pb, c->t[co], c->res ? c->res + at : NULL, c->relu, c->out + at, nx);
        }
    }
    free(panel);
    return NE_OK;
}

static int32_t ne_c2_forward_direct(const ne_c2_geom* g, const float* in, const float* w, const float* bias,
                                    const float* scale, const float* shift, const float* res, int32_t relu, float* out,
                                    int32_t threads, int32_t isa) {
    ne_c2_direct_ctx c;
    memset(&c, 0, sizeof c);
    c.g = g, c.in = in, c.res = res, c.out = out, c.relu = relu;
    c.kernel = isa == NE_ISA_AVX512 ? ne_c2_direct_f32_avx512 : isa == NE_ISA_AVX2 ? ne_c2_direct_f32_avx2 : ne_c2_direct_f32_base;
    const int64_t K = g->cin * g->kh * g->kw;
    c.ncb = (g->cout + NE_C2_DC - 1) / NE_C2_DC;
    /* phase-row length: every block's last load (x0 + 47 + (kw-1)/sw + 15 at most) stays inside */
    c.lq = ((g->wo + NE_C2_DX - 1) / NE_C2_DX * NE_C2_DX + g->kw + 16 + 15) / 16 * 16;
    float* wp = (float*) ne_c2_alloc((size_t) (c.ncb * K * NE_C2_DC + g->cout) * sizeof(float) + (size_t) g->kw * sizeof(int64_t));
    if (!wp) return NE_ERR_OUT_OF_MEMORY;
    int64_t* joff = (int64_t*) (wp + c.ncb * K * NE_C2_DC + g->cout);
    for (int64_t j = 0; j < g->kw; j++) joff[j] = (j % g->sw) * c.lq + j / g->sw;
    c.joff = joff;
    float* t = wp + c.ncb * K * NE_C2_DC;
    for (int64_t cb = 0; cb < c.ncb; cb++)
        for (int64_t k = 0; k < K; k++)
            for (int64_t o = 0; o < NE_C2_DC; o++) {
                const int64_t co = cb * NE_C2_DC + o;
                float s = 0, tt;
                if (co < g->cout) ne_c2_affine_f32(bias, scale, shift, co, &s, &tt);
                wp[(cb * K + k) * NE_C2_DC + o] = co < g->cout ? (scale ? w[co * K + k] * s : w[co * K + k]) : 0.0f;
            }
    for (int64_t co = 0; co < g->cout; co++) {
        float s;
        ne_c2_affine_f32(bias, scale, shift, co, &s, &t[co]);
    }
    c.wp = wp, c.t = t;
    int32_t st;
    if (ne_c2_pointwise_fits(g)) {
        /* positions per item: whole 48-column blocks, up to 8, while the sums stay under 256 KiB
         * and the panel under 512 KiB (long contiguous runs for the epilogue's output rows) */
        int64_t nsub = 8;
        while (nsub > 1 && (c.ncb * NE_C2_DC * nsub * NE_C2_DX * 4 > (256 << 10) || g->cin * nsub * NE_C2_DX * 4 > (512 << 10)))
            nsub--;
        c.lq = nsub * NE_C2_DX;
        st = ne_parallel_for(g->n * ((g->h * g->w + c.lq - 1) / c.lq), threads, ne_c2_pointwise_range, &c);
    } else {
        st = ne_parallel_for(g->n * g->ho, threads, ne_c2_direct_range, &c);
    }
    free(wp);
    return st;
}

#define NE_T double
#define NE_S f64
#define NE_C2_WINOGRAD 0
#define NE_KERNEL "ne_conv2d_kernel.h"
#include "ne_each_isa.h"
#undef NE_KERNEL
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

/* Winograd's weight transform (36·C_out·C_in floats written, then read by the products) runs on
 * every call, and its 4x4 tiles overhang a small plane (8x8 computed for 7x7): below this many
 * tiles per image the GEMM path is faster (resnet50 at 224², 1 thread: 3x3 512->512 at 7x7,
 * 4 tiles, 26 ms by Winograd vs ~3 by GEMM; 256->256 at 14x14, 16 tiles, 3.9 vs ~2.6). */
#define NE_C2_WINO_MIN_TILES 36

static int ne_c2_winograd_pays(const ne_c2_geom* g) {
    return g->cin >= 16 && g->cout >= 16 && ((g->ho + 3) / 4) * ((g->wo + 3) / 4) >= NE_C2_WINO_MIN_TILES;
}

/* The pointwise kernel computes whole 48-position blocks: on a small plane the last block's
 * overhang is wasted work (7x7 = 49 positions take two blocks, 96 computed); past a quarter of
 * waste the GEMM path is faster. */
static int ne_c2_pointwise_pays(const ne_c2_geom* g) {
    const int64_t hw = g->h * g->w, blocks = (hw + NE_C2_DX - 1) / NE_C2_DX;
    return blocks * NE_C2_DX * 4 <= hw * 5;
}

int32_t ne_conv2d_forward_cpu(int32_t dtype, const void* input, const void* weight, const void* bias,
                              const void* scale, const void* shift, const void* residual, int32_t relu,
                              void* output, const int64_t* dims, const int64_t* conv, int32_t algo,
                              int64_t gemm, int32_t threads, int32_t isa) {
    ne_c2_geom g;
    int32_t s = ne_c2_geom_read(dims, conv, &g);
    if (s != NE_OK) return s;
    if (!input || !weight || !output || !gemm || algo < 0 || algo > 3) return NE_ERR_INVALID_ARGUMENT;
    isa = ne_isa_resolve(isa);
    relu = relu != 0;
    switch (dtype) {
        case 0: {
            /* Winograd pays off once the products dominate its transforms: 16+ channels each way
             * and enough tiles (ne_c2_winograd_pays). */
            int wino = algo == 2 || (algo == 0 && ne_c2_winograd_fits(&g) && ne_c2_winograd_pays(&g));
            if (wino && !ne_c2_winograd_fits(&g)) return NE_ERR_INVALID_ARGUMENT;
            /* Few input channels (the RGB stem): the direct kernel; see ne_c2_forward_direct. */
            int direct = algo == 3 || (algo == 0 && !wino && (ne_c2_direct_fits(&g) || (ne_c2_pointwise_fits(&g) && ne_c2_pointwise_pays(&g))));
            if (direct && !ne_c2_direct_fits(&g) && !ne_c2_pointwise_fits(&g)) return NE_ERR_INVALID_ARGUMENT;
            if (direct)
                return ne_c2_forward_direct(&g, input, weight, bias, scale, shift, residual, relu, output, threads, isa);
            if (wino)
                return ne_c2_forward_winograd(&g, input, weight, bias, scale, shift, residual, relu, output,
                                              (ne_c2_gemm_fn_f32) (intptr_t) gemm, threads, isa);
            return ne_c2_forward_gemm_f32(&g, input, weight, bias, scale, shift, residual, relu, output,
                                          (ne_c2_gemm_fn_f32) (intptr_t) gemm, threads, isa);
        }
        case 1:
            if (algo >= 2) return NE_ERR_INVALID_ARGUMENT;
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
