/* conv2d on the CPU (include/ne_conv2d.h): the GEMM path (the project's deterministic GEMM,
 * ne_gemm.h, per image, group and chunk of output positions, on im2col columns or, for a 1x1
 * stride-1 unpadded convolution, straight on the NCHW input) for every shape, Winograd
 * F(4x4,3x3) for float32 3x3 stride-1 convolutions on planes large enough (2.25x fewer
 * multiplications), and the direct kernel (below) for float32 1x1 stride-1 convolutions and
 * those with <= 4 input channels (the stem). One path per case; the rule is in ne_c2_choose.
 * Every path runs on prepared weights (ne_conv2d_prepare_cpu: laid out once as the path reads
 * them, the BN scale folded in); the unprepared entry point prepares, runs and frees, so that
 * both give the same bits. The epilogue runs on each chunk while it is still in cache. */
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

/* Output positions per item of the GEMM path: on im2col columns (one packed NE_GEMM_NC block
 * of B per KC rows), straight on the input (1x1); bytes of Winograd's transformed input and
 * products per block of tile rows. */
#define NE_C2_GEMM_COLS 256
#define NE_C2_DIRECT_COLS 1536
#define NE_C2_WINO_BYTES ((int64_t) 12 << 20)

static void* ne_c2_alloc(size_t bytes) {
    void* p = NULL;
    return posix_memalign(&p, 64, bytes ? bytes : 64) == 0 ? p : NULL;
}

/* Scratch of one call (work buffers, Winograd's V and M): blocks of 128 KiB and more are kept
 * (up to NE_C2_KEPT, process-wide) for the next calls instead of being freed. Otherwise glibc
 * maps them fresh and the kernel faults them in page by page on every call, on both threads at
 * once (serialised in the kernel: a 2-thread Winograd layer on 28x28 ran no faster than 1
 * thread). A request takes the smallest kept block that fits; a freed block replaces the
 * smallest kept one when all slots are taken. Each block carries its size in a 64-byte head.
 * Also the unprepared call's prepared weights and Winograd's untransposed U. At most
 * NE_C2_KEPT * NE_C2_KEEP_MAX bytes stay allocated between calls. */
#define NE_C2_KEPT 8
#define NE_C2_KEEP_MIN ((size_t) 128 << 10)
#define NE_C2_KEEP_MAX ((size_t) 64 << 20)   /* larger blocks go back at once (bounded memory kept) */
static pthread_mutex_t ne_c2_kept_mu = PTHREAD_MUTEX_INITIALIZER;
static char* ne_c2_kept[NE_C2_KEPT];

static size_t ne_c2_block_size(const char* b) {
    size_t n;
    memcpy(&n, b, sizeof n);
    return n;
}

static void* ne_c2_scratch(size_t bytes) {
    const size_t need = bytes + 64;
    char* b = NULL;
    if (need >= NE_C2_KEEP_MIN) {
        pthread_mutex_lock(&ne_c2_kept_mu);
        int best = -1;
        for (int i = 0; i < NE_C2_KEPT; i++)
            if (ne_c2_kept[i] && ne_c2_block_size(ne_c2_kept[i]) >= need &&
                (best < 0 || ne_c2_block_size(ne_c2_kept[i]) < ne_c2_block_size(ne_c2_kept[best])))
                best = i;
        if (best >= 0) {
            b = ne_c2_kept[best];
            ne_c2_kept[best] = NULL;
        }
        pthread_mutex_unlock(&ne_c2_kept_mu);
    }
    if (!b) {
        b = (char*) ne_c2_alloc(need);
        if (!b) return NULL;
        memcpy(b, &need, sizeof need);
    }
    return b + 64;
}

static void ne_c2_scratch_free(void* p) {
    if (!p) return;
    char* b = (char*) p - 64;
    if (ne_c2_block_size(b) >= NE_C2_KEEP_MIN && ne_c2_block_size(b) <= NE_C2_KEEP_MAX) {
        pthread_mutex_lock(&ne_c2_kept_mu);
        int slot = -1;
        for (int i = 0; i < NE_C2_KEPT && slot < 0; i++)
            if (!ne_c2_kept[i]) slot = i;
        if (slot < 0) {
            for (int i = 0; i < NE_C2_KEPT; i++)
                if (ne_c2_block_size(ne_c2_kept[i]) < ne_c2_block_size(b) &&
                    (slot < 0 || ne_c2_block_size(ne_c2_kept[i]) < ne_c2_block_size(ne_c2_kept[slot])))
                    slot = i;
        }
        if (slot >= 0) {
            char* old = ne_c2_kept[slot];
            ne_c2_kept[slot] = b;
            b = old;
        }
        pthread_mutex_unlock(&ne_c2_kept_mu);
    }
    free(b);
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

/* The prepared weights (ne_conv2d_prepare_cpu): a header, then the path's arrays at 64-byte
 * offsets. GEMM: t[C_out], then per group ne_gemm_pa's packed A of [C_out/groups][K] (weights
 * times scale). Winograd: s[C_out], t[C_out], then 36 packed A of [C_out][C_in] (U = G w G^T).
 * Direct: t[C_out], then [8-channel block][K][8] (weights times scale). Nothing depends on the
 * plane size or the isa. */
#define NE_C2_PREP_MAGIC ((int64_t) 0x5045525032434e45LL)   /* "NEC2PREP" */
#define NE_C2_PATH_GEMM 1
#define NE_C2_PATH_WINOGRAD 2
#define NE_C2_PATH_DIRECT 3
#define NE_C2_DC 8    /* output channels per register block of the direct kernel */

typedef struct {
    int64_t magic, dtype, path, cout, cin, kh, kw, groups;
} ne_c2_prep_head;

typedef struct {
    int64_t s, t, a, bytes;   /* byte offsets of s, t, the weights; the total */
} ne_c2_layout;

static int64_t ne_c2_up64(int64_t b) {
    return (b + 63) / 64 * 64;
}

static ne_c2_layout ne_c2_layout_of(const ne_c2_geom* g, int32_t path, int64_t es) {
    ne_c2_layout L;
    const int64_t K = g->cin_g * g->kh * g->kw, mr = 12;   /* NE_GEMM_MR */
    const int64_t vec = ne_c2_up64(g->cout * es);
    L.s = L.t = ne_c2_up64((int64_t) sizeof(ne_c2_prep_head));
    if (path == NE_C2_PATH_WINOGRAD) L.t = L.s + vec;
    L.a = L.t + vec;
    int64_t elems;
    if (path == NE_C2_PATH_GEMM) elems = g->groups * ((g->cout_g + mr - 1) / mr * mr) * K;
    else if (path == NE_C2_PATH_WINOGRAD) elems = 36 * ((g->cout + mr - 1) / mr * mr) * g->cin;
    else elems = (g->cout + NE_C2_DC - 1) / NE_C2_DC * NE_C2_DC * K;
    L.bytes = L.a + elems * es;
    return L;
}

/* The SIMD variants of ne_conv2d_kernel.h, per dtype: base (x86-64), avx2 (+FMA: not
 * contracted), avx512 (AVX-512F); then the dtype's GEMM (ne_gemm.h) and drivers
 * (ne_conv2d_driver.h). */
#define NE_T float
#define NE_S f32
#define NE_C2_WINOGRAD 1
#include "ne_gemm.h"
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

/* The epilogue of the direct and pointwise paths on one output row of sums (the BN scale is
 * already in the weights): + shift, + residual (may be NULL), then ReLU; the SIMD variant's
 * ne_c2_epilogue with scale 1 (a*1 is a exactly, so the bits are those of a + t + r). */
typedef void (*ne_c2_epi_f32_fn)(float* y, const float* x, const float* r, int64_t n, float s, float t, int32_t relu);

typedef struct {
    const ne_c2_geom* g;
    const float *in, *res, *wp, *t;
    float* out;
    int32_t relu;
    int64_t lq, ncb;
    const int64_t* joff;
    ne_c2_direct_fn kernel;
    ne_c2_epi_f32_fn epi;
} ne_c2_direct_ctx;

static int32_t ne_c2_direct_range(void* p, int64_t begin, int64_t end) {
    const ne_c2_direct_ctx* c = (const ne_c2_direct_ctx*) p;
    const ne_c2_geom* g = c->g;
    const int64_t nr = g->cin * g->kh, lq = c->lq, hwo = g->ho * g->wo;
    /* nr phase-split rows, one zero row, the row pointers, one register block's sums */
    float* buf = (float*) ne_c2_scratch((size_t) ((nr + 1) * g->sw * lq + NE_C2_DC * NE_C2_DX) * sizeof(float) +
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
                    c->epi(c->out + at, acc + o * NE_C2_DX, c->res ? c->res + at : NULL, nx, 1.0f, c->t[co], c->relu);
                }
            }
        }
    }
    ne_c2_scratch_free(buf);
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
    float* panel = (float*) ne_c2_scratch((size_t) ((cin + ldc) * pb) * sizeof(float) + (size_t) cin * sizeof(float*));
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
            c->epi(c->out + at, acc + co * pb, c->res ? c->res + at : NULL, nx, 1.0f, c->t[co], c->relu);
        }
    }
    ne_c2_scratch_free(panel);
    return NE_OK;
}

/* Prepared: t[C_out] and the weights packed [8-channel block][K][8], the scale folded in. */
static int32_t ne_c2_prepare_direct(const ne_c2_geom* g, const float* w, const float* bias, const float* scale,
                                    const float* shift, char* prep, const ne_c2_layout* L) {
    const int64_t K = g->cin * g->kh * g->kw, ncb = (g->cout + NE_C2_DC - 1) / NE_C2_DC;
    float* t = (float*) (prep + L->t);
    float* wp = (float*) (prep + L->a);
    for (int64_t cb = 0; cb < ncb; cb++)
        for (int64_t k = 0; k < K; k++)
            for (int64_t o = 0; o < NE_C2_DC; o++) {
                const int64_t co = cb * NE_C2_DC + o;
                wp[(cb * K + k) * NE_C2_DC + o] = co < g->cout ? (scale ? w[co * K + k] * scale[co] : w[co * K + k]) : 0.0f;
            }
    for (int64_t co = 0; co < g->cout; co++) {
        float s;
        ne_c2_affine_f32(bias, scale, shift, co, &s, &t[co]);
    }
    return NE_OK;
}

static int32_t ne_c2_forward_direct(const ne_c2_geom* g, const float* in, const char* prep, const ne_c2_layout* L,
                                    const float* res, int32_t relu, float* out, int32_t threads, int32_t isa) {
    ne_c2_direct_ctx c;
    memset(&c, 0, sizeof c);
    c.g = g, c.in = in, c.res = res, c.out = out, c.relu = relu;
    c.kernel = isa == NE_ISA_AVX512 ? ne_c2_direct_f32_avx512 : isa == NE_ISA_AVX2 ? ne_c2_direct_f32_avx2 : ne_c2_direct_f32_base;
    c.epi = isa == NE_ISA_AVX512 ? ne_c2_epilogue_f32_avx512 : isa == NE_ISA_AVX2 ? ne_c2_epilogue_f32_avx2 : ne_c2_epilogue_f32_base;
    c.ncb = (g->cout + NE_C2_DC - 1) / NE_C2_DC;
    c.wp = (const float*) (prep + L->a), c.t = (const float*) (prep + L->t);
    if (ne_c2_pointwise_fits(g)) {
        /* positions per item: whole 48-column blocks, up to 8, while the sums stay under 256 KiB
         * and the panel under 512 KiB (long contiguous runs for the epilogue's output rows) */
        int64_t nsub = 8;
        while (nsub > 1 && (c.ncb * NE_C2_DC * nsub * NE_C2_DX * 4 > (256 << 10) || g->cin * nsub * NE_C2_DX * 4 > (512 << 10)))
            nsub--;
        c.lq = nsub * NE_C2_DX;
        return ne_parallel_for(g->n * ((g->h * g->w + c.lq - 1) / c.lq), threads, ne_c2_pointwise_range, &c);
    }
    /* phase-row length: every block's last load (x0 + 47 + (kw-1)/sw + 15 at most) stays inside */
    c.lq = ((g->wo + NE_C2_DX - 1) / NE_C2_DX * NE_C2_DX + g->kw + 16 + 15) / 16 * 16;
    int64_t* joff = (int64_t*) ne_c2_alloc((size_t) g->kw * sizeof(int64_t));
    if (!joff) return NE_ERR_OUT_OF_MEMORY;
    for (int64_t j = 0; j < g->kw; j++) joff[j] = (j % g->sw) * c.lq + j / g->sw;
    c.joff = joff;
    int32_t st = ne_parallel_for(g->n * g->ho, threads, ne_c2_direct_range, &c);
    free(joff);
    return st;
}

#define NE_T double
#define NE_S f64
#define NE_C2_WINOGRAD 0
#define NE_GEMM_DOUBLE
#include "ne_gemm.h"
#undef NE_GEMM_DOUBLE
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

/* Winograd's 4x4 tiles overhang a small plane (8x8 computed for 7x7) and its transformed
 * weights U are 4x the weights (36 vs 9 per channel pair), all read for few tiles: below this
 * many tiles per image the GEMM path is faster. Measured with prepared weights, one thread,
 * shared 2-core AVX-512 Xeon, 3x3 C->C (Winograd vs GEMM): 512 on 7x7 (4 tiles) 4.2 vs 2.4 ms;
 * 512 on 10x10 (9 tiles) 3.9 vs 4.3; 256 on 12x12 (9) 1.0 vs 1.8; 256 on 14x14 (16) 1.2 vs 2.4;
 * 128 on 28x28 (49) 0.9 vs 2.3. */
#define NE_C2_WINO_MIN_TILES 9

static int ne_c2_winograd_pays(const ne_c2_geom* g) {
    return g->cin >= 16 && g->cout >= 16 && ((g->ho + 3) / 4) * ((g->wo + 3) / 4) >= NE_C2_WINO_MIN_TILES;
}

/* The pointwise kernel computes whole 48-position blocks (7x7 = 49 positions take two, 96
 * computed) and re-reads all weights per item of up to 8 blocks; the GEMM path streams the
 * packed weights once with prefetch. Measured with prepared weights, cold (12 layers' buffers
 * in turn), one thread, shared 2-core AVX-512 Xeon, pointwise vs GEMM: 56x56 64->256 1.14 vs
 * 1.49 ms, 256->64 0.80 vs 1.18; 28x28 512->128 0.70 vs 0.98, 128->512 0.91 vs 1.05; 14x14
 * 256->1024 0.83 vs 0.76, 1024->512 1.86 vs 1.50, 1024->256 0.80 vs 0.83. So: the pointwise
 * kernel from 8 blocks (384 positions) per image, and where its overhang wastes at most a
 * quarter. */
static int ne_c2_pointwise_pays(const ne_c2_geom* g) {
    const int64_t hw = g->h * g->w, blocks = (hw + NE_C2_DX - 1) / NE_C2_DX;
    return blocks >= 8 && blocks * NE_C2_DX * 4 <= hw * 5;
}

/* The path algo selects (include/ne_conv2d.h), or NE_ERR_INVALID_ARGUMENT where the requested
 * one does not fit. Auto: Winograd where it fits and pays (16+ channels each way and enough
 * tiles), else the direct kernel for few input channels (the RGB stem) and for 1x1 stride-1
 * convolutions whose plane fills its blocks, else the GEMM path. */
static int32_t ne_c2_choose(int32_t dtype, const ne_c2_geom* g, int32_t algo, int32_t* path) {
    if (algo < 0 || algo > 3) return NE_ERR_INVALID_ARGUMENT;
    if (dtype == 1) {
        if (algo >= 2) return NE_ERR_INVALID_ARGUMENT;
        *path = NE_C2_PATH_GEMM;
        return NE_OK;
    }
    if (dtype != 0) return NE_ERR_UNSUPPORTED_DTYPE;
    const int direct_fits = ne_c2_direct_fits(g) || ne_c2_pointwise_fits(g);
    if (algo == 2 && !ne_c2_winograd_fits(g)) return NE_ERR_INVALID_ARGUMENT;
    if (algo == 3 && !direct_fits) return NE_ERR_INVALID_ARGUMENT;
    if (algo == 0) {
        if (ne_c2_winograd_fits(g) && ne_c2_winograd_pays(g)) *path = NE_C2_PATH_WINOGRAD;
        else if (ne_c2_direct_fits(g) || (ne_c2_pointwise_fits(g) && ne_c2_pointwise_pays(g))) *path = NE_C2_PATH_DIRECT;
        else *path = NE_C2_PATH_GEMM;
    } else {
        *path = algo;
    }
    return NE_OK;
}

/* Whether path can run these shapes at all (a prepared path, whatever rule picked it). */
static int ne_c2_path_fits(int32_t dtype, const ne_c2_geom* g, int32_t path) {
    if (path == NE_C2_PATH_GEMM) return dtype == 0 || dtype == 1;
    if (dtype != 0) return 0;
    if (path == NE_C2_PATH_WINOGRAD) return ne_c2_winograd_fits(g);
    if (path == NE_C2_PATH_DIRECT) return ne_c2_direct_fits(g) || ne_c2_pointwise_fits(g);
    return 0;
}

int32_t ne_conv2d_path_cpu(int32_t dtype, const int64_t* dims, const int64_t* conv, int32_t algo, int32_t* path) {
    ne_c2_geom g;
    int32_t s = ne_c2_geom_read(dims, conv, &g);
    if (s != NE_OK) return s;
    if (!path) return NE_ERR_INVALID_ARGUMENT;
    return ne_c2_choose(dtype, &g, algo, path);
}

int32_t ne_conv2d_prepared_bytes_cpu(int32_t dtype, const int64_t* dims, const int64_t* conv, int32_t path, int64_t* bytes) {
    ne_c2_geom g;
    int32_t s = ne_c2_geom_read(dims, conv, &g);
    if (s != NE_OK) return s;
    if (dtype != 0 && dtype != 1) return NE_ERR_UNSUPPORTED_DTYPE;
    if (!bytes || !ne_c2_path_fits(dtype, &g, path)) return NE_ERR_INVALID_ARGUMENT;
    *bytes = ne_c2_layout_of(&g, path, dtype == 0 ? 4 : 8).bytes;
    return NE_OK;
}

int32_t ne_conv2d_prepare_cpu(int32_t dtype, const void* weight, const void* bias, const void* scale, const void* shift,
                              const int64_t* dims, const int64_t* conv, int32_t path, void* prepared, int64_t bytes,
                              int32_t threads, int32_t isa) {
    ne_c2_geom g;
    int32_t s = ne_c2_geom_read(dims, conv, &g);
    if (s != NE_OK) return s;
    if (dtype != 0 && dtype != 1) return NE_ERR_UNSUPPORTED_DTYPE;
    if (!weight || !prepared || !ne_c2_path_fits(dtype, &g, path)) return NE_ERR_INVALID_ARGUMENT;
    const ne_c2_layout L = ne_c2_layout_of(&g, path, dtype == 0 ? 4 : 8);
    if (bytes < L.bytes) return NE_ERR_INVALID_ARGUMENT;
    isa = ne_isa_resolve(isa);
    char* p = (char*) prepared;
    ne_c2_prep_head* h = (ne_c2_prep_head*) p;
    h->magic = 0;   /* valid only once complete */
    if (dtype == 1) s = ne_c2_prepare_gemm_f64(&g, weight, bias, scale, shift, p, &L, threads);
    else if (path == NE_C2_PATH_GEMM) s = ne_c2_prepare_gemm_f32(&g, weight, bias, scale, shift, p, &L, threads);
    else if (path == NE_C2_PATH_WINOGRAD) s = ne_c2_prepare_winograd(&g, weight, bias, scale, shift, p, &L, threads, isa);
    else s = ne_c2_prepare_direct(&g, weight, bias, scale, shift, p, &L);
    if (s != NE_OK) return s;
    *h = (ne_c2_prep_head) {NE_C2_PREP_MAGIC, dtype, path, g.cout, g.cin, g.kh, g.kw, g.groups};
    return NE_OK;
}

int32_t ne_conv2d_forward_prepared_cpu(int32_t dtype, const void* input, const void* prepared, int64_t bytes,
                                       const void* residual, int32_t relu, void* output, const int64_t* dims,
                                       const int64_t* conv, int32_t threads, int32_t isa) {
    ne_c2_geom g;
    int32_t s = ne_c2_geom_read(dims, conv, &g);
    if (s != NE_OK) return s;
    if (dtype != 0 && dtype != 1) return NE_ERR_UNSUPPORTED_DTYPE;
    if (!input || !prepared || !output || bytes < (int64_t) sizeof(ne_c2_prep_head)) return NE_ERR_INVALID_ARGUMENT;
    const ne_c2_prep_head* h = (const ne_c2_prep_head*) prepared;
    if (h->magic != NE_C2_PREP_MAGIC || h->dtype != dtype || h->cout != g.cout || h->cin != g.cin || h->kh != g.kh ||
        h->kw != g.kw || h->groups != g.groups)
        return NE_ERR_INVALID_ARGUMENT;
    const int32_t path = (int32_t) h->path;
    if (!ne_c2_path_fits(dtype, &g, path)) return NE_ERR_INVALID_ARGUMENT;
    const ne_c2_layout L = ne_c2_layout_of(&g, path, dtype == 0 ? 4 : 8);
    if (bytes < L.bytes) return NE_ERR_INVALID_ARGUMENT;
    isa = ne_isa_resolve(isa);
    relu = relu != 0;
    const char* p = (const char*) prepared;
    if (dtype == 1) return ne_c2_forward_gemm_f64(&g, input, p, &L, residual, relu, output, threads, isa);
    if (path == NE_C2_PATH_WINOGRAD) return ne_c2_forward_winograd(&g, input, p, &L, residual, relu, output, threads, isa);
    if (path == NE_C2_PATH_DIRECT) return ne_c2_forward_direct(&g, input, p, &L, residual, relu, output, threads, isa);
    return ne_c2_forward_gemm_f32(&g, input, p, &L, residual, relu, output, threads, isa);
}

int32_t ne_conv2d_forward_cpu(int32_t dtype, const void* input, const void* weight, const void* bias,
                              const void* scale, const void* shift, const void* residual, int32_t relu,
                              void* output, const int64_t* dims, const int64_t* conv, int32_t algo,
                              int32_t threads, int32_t isa) {
    int32_t path = 0;
    int64_t bytes = 0;
    int32_t s = ne_conv2d_path_cpu(dtype, dims, conv, algo, &path);
    if (s == NE_OK) s = ne_conv2d_prepared_bytes_cpu(dtype, dims, conv, path, &bytes);
    if (s != NE_OK) return s;
    if (!input || !weight || !output) return NE_ERR_INVALID_ARGUMENT;
    void* prep = ne_c2_scratch((size_t) bytes);   /* kept for the next unprepared call */
    if (!prep) return NE_ERR_OUT_OF_MEMORY;
    s = ne_conv2d_prepare_cpu(dtype, weight, bias, scale, shift, dims, conv, path, prep, bytes, threads, isa);
    if (s == NE_OK) s = ne_conv2d_forward_prepared_cpu(dtype, input, prep, bytes, residual, relu, output, dims, conv, threads, isa);
    ne_c2_scratch_free(prep);
    return s;
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
