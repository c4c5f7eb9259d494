/* The direct and pointwise paths of conv2d's CPU code (float32), included once by
 * ne_conv2d_cpu.c after the float32 drivers (it uses ne_c2_geom, ne_c2_layout, the scratch
 * blocks, ne_c2_affine_f32 and the SIMD variants' ne_c2_epilogue): the stem's direct kernel, the
 * pointwise kernel for 1x1 convolutions, their shared 8-channel x 48-column register block
 * (AVX-512 here, the generic one in ne_conv2d_direct.h), their prepare and forward. Not a
 * public header. */

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

/* ---- The stem's rows by 1-D Winograd along the width. A 7-wide kernel at stride 2 is, per
 * input row, two stride-1 correlations: the even taps (0, 2, 4, 6) over the row's even columns
 * and the odd taps (1, 3, 5, and a zero 4th) over its odd columns, each 4 taps. Winograd F(4,4)
 * computes 4 consecutive outputs of a 4-tap correlation from a tile of 7 inputs with 7
 * multiplications instead of 16: y = A^T [(G g) . (B^T d)]. Both phases of all C_in*kh input rows
 * share the transform, so the products of a tile sum over the 2*C_in*kh = 42 phase rows before
 * one A^T per output channel, and the 7 products per tile are the direct path's register block
 * (8 channels x 48 tiles) run 7 times over the transformed rows V (kw 1). Multiplications per
 * output (the stem, 3 channels): 147 direct, 13 * 21 / 4 = 68.25 here (the odd phase's zero
 * 4th tap costs none: its product at infinity is skipped; F(2,4) would need 105, F(3,4) 84, F(5,4) 67 with a 5th point of larger
 * error and 672 columns not a multiple of 5). The input transform is per input row (shared by
 * the 64 output channels), A^T per output: a few percent each.
 * Error, float32 (points 0, 1, -1, 2, -2, -1/2, infinity; a numpy model of these roundings on
 * 1344-wide image-like rows, largest over 6 trials, against float64): 5.3e-7 of max|y| and
 * 1.8e-7 of sum|w x| per output, where the direct fma chain had 5.9e-7 and 1.6e-7 (F(4,4) with
 * +1/2 instead of -1/2: 9.7e-7; F(5,4): 8.6e-7, 4.0e-7); stated bound, tested (Conv2dTest): the
 * direct path's 2e-6 of (sum|w x| + 1). The weights' transform G g is computed in double. */
#define NE_C2_WX_M 4   /* outputs per tile */
#define NE_KERNEL "ne_conv2d_wx_kernel.h"
#define NE_S f32
#include "ne_each_isa.h"
#undef NE_S
#undef NE_KERNEL

static int ne_c2_wx_runs(const ne_c2_geom* g) {
    return ne_c2_wx_layout(g) && g->sw == 2 && g->dw == 1;
}

/* The 8 x 48 AVX-512 register block's accumulators a<c><v> (channel c of 8, vector v of 3): zeroed,
 * or, with cont, the partial sums acc[c * lda + 16 * v] of the previous channel chunk. */
#define NE_C2_ACC_ZERO                                                                                   \
    __m512 a00 = _mm512_setzero_ps(), a01 = a00, a02 = a00, a10 = a00, a11 = a00, a12 = a00, a20 = a00, a21 = a00, \
           a22 = a00, a30 = a00, a31 = a00, a32 = a00, a40 = a00, a41 = a00, a42 = a00, a50 = a00, a51 = a00, a52 = a00, \
           a60 = a00, a61 = a00, a62 = a00, a70 = a00, a71 = a00, a72 = a00;
#define NE_C2_ACC_LOAD(c)                                                                                \
    a##c##0 = _mm512_loadu_ps(acc + c * lda);                                                            \
    a##c##1 = _mm512_loadu_ps(acc + c * lda + 16);                                                       \
    a##c##2 = _mm512_loadu_ps(acc + c * lda + 32);
#define NE_C2_ACC_START                                                                                  \
    NE_C2_ACC_ZERO                                                                                       \
    if (cont) {                                                                                          \
        NE_C2_ACC_LOAD(0) NE_C2_ACC_LOAD(1) NE_C2_ACC_LOAD(2) NE_C2_ACC_LOAD(3)                          \
        NE_C2_ACC_LOAD(4) NE_C2_ACC_LOAD(5) NE_C2_ACC_LOAD(6) NE_C2_ACC_LOAD(7)                          \
    }

/* The AVX-512 register block's fma chains over (r, j), the same in the AVX-512 direct and pointwise kernels
 * (accumulators a<c><v>: channel c of 8, vector v of 3; the inputs rows, nr, kw, joff, wp, x0). */
#define NE_C2_DFMA(c)                                                                            \
    wc = _mm512_set1_ps(w[c]);                                                                  \
    a##c##0 = _mm512_fmadd_ps(wc, i0, a##c##0);                                                 \
    a##c##1 = _mm512_fmadd_ps(wc, i1, a##c##1);                                                 \
    a##c##2 = _mm512_fmadd_ps(wc, i2, a##c##2);
#define NE_C2_DIRECT_LOOP_AVX512                                                                 \
    for (int64_t r = 0; r < nr; r++) {                                                          \
        const float* row = rows[r] + x0;                                                        \
        const float* w = wp + r * kw * NE_C2_DC;                                                \
        for (int64_t j = 0; j < kw; j++, w += NE_C2_DC) {                                       \
            const float* s = row + joff[j];                                                     \
            const __m512 i0 = _mm512_loadu_ps(s), i1 = _mm512_loadu_ps(s + 16), i2 = _mm512_loadu_ps(s + 32); \
            __m512 wc;                                                                          \
            NE_C2_DFMA(0) NE_C2_DFMA(1) NE_C2_DFMA(2) NE_C2_DFMA(3)                             \
            NE_C2_DFMA(4) NE_C2_DFMA(5) NE_C2_DFMA(6) NE_C2_DFMA(7)                             \
        }                                                                                       \
    }

NE_TARGET_AVX512 static void ne_c2_direct_f32_avx512(const float* const* rows, int64_t nr, int64_t kw, const int64_t* joff,
                                                      const float* wp, int64_t x0, float* acc, int64_t lda, int cont) {
    NE_C2_ACC_START
    NE_C2_DIRECT_LOOP_AVX512
#define NE_C2_DST(c)                                                                                     \
    _mm512_storeu_ps(acc + c * lda, a##c##0);                                                           \
    _mm512_storeu_ps(acc + c * lda + 16, a##c##1);                                                      \
    _mm512_storeu_ps(acc + c * lda + 32, a##c##2);
    NE_C2_DST(0) NE_C2_DST(1) NE_C2_DST(2) NE_C2_DST(3) NE_C2_DST(4) NE_C2_DST(5) NE_C2_DST(6) NE_C2_DST(7)
#undef NE_C2_DST
}

/* The AVX-512 register block 32 columns wide (ne_c2_direct_f32_avx512's first two vectors, the
 * same fma chains: the same bits): the Winograd rows' last block where it has at most 32 tiles
 * (the stem: 168 tiles = 3 x 48 + 24), whose other 16 columns would be computed and dropped. */
NE_TARGET_AVX512 static void ne_c2_direct32_f32_avx512(const float* const* rows, int64_t nr, int64_t kw, const int64_t* joff,
                                                        const float* wp, int64_t x0, float* acc, int64_t lda, int cont) {
    __m512 a00 = _mm512_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00, a40 = a00,
           a41 = a00, a50 = a00, a51 = a00, a60 = a00, a61 = a00, a70 = a00, a71 = a00;
    if (cont) {
#define NE_C2_DLD2(c)                                                                                    \
        a##c##0 = _mm512_loadu_ps(acc + c * lda);                                                       \
        a##c##1 = _mm512_loadu_ps(acc + c * lda + 16);
        NE_C2_DLD2(0) NE_C2_DLD2(1) NE_C2_DLD2(2) NE_C2_DLD2(3) NE_C2_DLD2(4) NE_C2_DLD2(5) NE_C2_DLD2(6) NE_C2_DLD2(7)
#undef NE_C2_DLD2
    }
    for (int64_t r = 0; r < nr; r++) {
        const float* row = rows[r] + x0;
        const float* w = wp + r * kw * NE_C2_DC;
        for (int64_t j = 0; j < kw; j++, w += NE_C2_DC) {
            const float* s = row + joff[j];
            const __m512 i0 = _mm512_loadu_ps(s), i1 = _mm512_loadu_ps(s + 16);
            __m512 wc;
#define NE_C2_DFMA2(c)                                                                                   \
            wc = _mm512_set1_ps(w[c]);                                                                  \
            a##c##0 = _mm512_fmadd_ps(wc, i0, a##c##0);                                                 \
            a##c##1 = _mm512_fmadd_ps(wc, i1, a##c##1);
            NE_C2_DFMA2(0) NE_C2_DFMA2(1) NE_C2_DFMA2(2) NE_C2_DFMA2(3) NE_C2_DFMA2(4) NE_C2_DFMA2(5) NE_C2_DFMA2(6) NE_C2_DFMA2(7)
#undef NE_C2_DFMA2
        }
    }
#define NE_C2_DST2(c)                                                                                    \
    _mm512_storeu_ps(acc + c * lda, a##c##0);                                                           \
    _mm512_storeu_ps(acc + c * lda + 16, a##c##1);
    NE_C2_DST2(0) NE_C2_DST2(1) NE_C2_DST2(2) NE_C2_DST2(3) NE_C2_DST2(4) NE_C2_DST2(5) NE_C2_DST2(6) NE_C2_DST2(7)
#undef NE_C2_DST2
}

/* ne_c2wx_out_f32_avx512 then the epilogue (scale 1, no residual) of one whole Winograd block,
 * in registers: dst[c*cs + x0 + x] = relu?(y[c][x] + t[c]) for x < 192, c < 8, with the same
 * operations in the same order as ne_c2wx_out (ne_conv2d_wx_kernel.h) and ne_c2_epilogue (x*1 + t
 * is x + t), so the same bits; the 4 outputs of each tile interleaved by two rounds of permutes. */
NE_TARGET_AVX512 static void ne_c2wx_out_epi_f32_avx512(const float* m, const float* t, int32_t relu, float* dst, int64_t cs) {
    const __m512i lo = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i hi = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
    const __m512i p0 = _mm512_set_epi32(23, 22, 7, 6, 21, 20, 5, 4, 19, 18, 3, 2, 17, 16, 1, 0);
    const __m512i p1 = _mm512_set_epi32(31, 30, 15, 14, 29, 28, 13, 12, 27, 26, 11, 10, 25, 24, 9, 8);
    const __m512 two = _mm512_set1_ps(2.0f), four = _mm512_set1_ps(4.0f), eight = _mm512_set1_ps(8.0f);
    const __m512 half = _mm512_set1_ps(0.5f), quarter = _mm512_set1_ps(0.25f), eighth = _mm512_set1_ps(0.125f);
    const __m512 zero = _mm512_setzero_ps();
    for (int c = 0; c < 8; c++) {
        const __m512 tc = _mm512_set1_ps(t[c]);
        for (int v = 0; v < 3; v++) {
            const float* mc = m + c * 48 + 16 * v;
            const __m512 m0 = _mm512_loadu_ps(mc), m1 = _mm512_loadu_ps(mc + 384), m2 = _mm512_loadu_ps(mc + 2 * 384);
            const __m512 m3 = _mm512_loadu_ps(mc + 3 * 384), m4 = _mm512_loadu_ps(mc + 4 * 384);
            const __m512 m5 = _mm512_loadu_ps(mc + 5 * 384), m6 = _mm512_loadu_ps(mc + 6 * 384);
            const __m512 a = _mm512_add_ps(m1, m2), b = _mm512_sub_ps(m1, m2), cc = _mm512_add_ps(m3, m4), e = _mm512_sub_ps(m3, m4);
            const __m512 y0 = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(m0, a), cc), m5);
            const __m512 y1 = _mm512_sub_ps(_mm512_add_ps(b, _mm512_mul_ps(e, two)), _mm512_mul_ps(m5, half));
            const __m512 y2 = _mm512_add_ps(_mm512_add_ps(a, _mm512_mul_ps(cc, four)), _mm512_mul_ps(m5, quarter));
            const __m512 y3 = _mm512_add_ps(_mm512_sub_ps(_mm512_add_ps(b, _mm512_mul_ps(e, eight)), _mm512_mul_ps(m5, eighth)), m6);
            const __m512 l01 = _mm512_permutex2var_ps(y0, lo, y1), h01 = _mm512_permutex2var_ps(y0, hi, y1);
            const __m512 l23 = _mm512_permutex2var_ps(y2, lo, y3), h23 = _mm512_permutex2var_ps(y2, hi, y3);
            __m512 o[4] = {_mm512_permutex2var_ps(l01, p0, l23), _mm512_permutex2var_ps(l01, p1, l23),
                           _mm512_permutex2var_ps(h01, p0, h23), _mm512_permutex2var_ps(h01, p1, h23)};
            float* d = dst + c * cs + 64 * v;
            for (int k = 0; k < 4; k++) {
                __m512 x = _mm512_add_ps(o[k], tc);
                if (relu) x = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, zero, _CMP_LT_OQ), x, zero);
                _mm512_storeu_ps(d + 16 * k, x);
            }
        }
    }
}

/* The AVX-512 register block of the direct path with its epilogue at the store (a whole block:
 * 8 channels x 48 columns, no residual): dst[c*cs + x0 + x] = relu?(sum + t[c]), the bits of
 * ne_c2_epilogue_f32_avx512 with scale 1 (sum*1 + t is sum + t; v < 0 ? 0 : v), without the
 * round trip of the sums through memory. */
NE_TARGET_AVX512 static void ne_c2_direct_epi_f32_avx512(const float* const* rows, int64_t nr, int64_t kw, const int64_t* joff,
                                                         const float* wp, int64_t x0, const float* t, int32_t relu, float* dst,
                                                         int64_t cs) {
    NE_C2_ACC_ZERO
    NE_C2_DIRECT_LOOP_AVX512
    const __m512 zero = _mm512_setzero_ps();
#define NE_C2_DEPI(c, k)                                                                                 \
    {                                                                                                    \
        __m512 v = _mm512_add_ps(a##c##k, tc);                                                           \
        if (relu) v = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ), v, zero);           \
        _mm512_storeu_ps(dst + c * cs + x0 + 16 * k, v);                                                 \
    }
#define NE_C2_DEPS(c)                                                                                    \
    {                                                                                                    \
        const __m512 tc = _mm512_set1_ps(t[c]);                                                          \
        NE_C2_DEPI(c, 0) NE_C2_DEPI(c, 1) NE_C2_DEPI(c, 2)                                              \
    }
    NE_C2_DEPS(0) NE_C2_DEPS(1) NE_C2_DEPS(2) NE_C2_DEPS(3) NE_C2_DEPS(4) NE_C2_DEPS(5) NE_C2_DEPS(6) NE_C2_DEPS(7)
#undef NE_C2_DEPS
#undef NE_C2_DEPI
}
#undef NE_C2_DIRECT_LOOP_AVX512

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
    ne_c2_direct_fn kernel, kernel32;   /* kernel32: 32 columns (AVX-512), else the 48-column kernel */
    ne_c2_epi_f32_fn epi;
    int32_t epi_in_kernel;   /* AVX-512: whole blocks without residual take ne_c2_direct_epi_f32_avx512 */
    /* the fused max-pool (ne_c2_forward_direct_pool): kh, kw, sh, sw, ph, pw, dh, dw; output size */
    const int64_t* pool;
    int64_t pho, pwo;
    int32_t isa;
    /* the 1-D Winograd rows (ne_c2_wx_runs): its weights, tiles per phase row (a multiple of 48), transforms */
    int32_t wx;
    const float* u;
    int64_t ltq;
    void (*wx_in)(const float* d, float* v, int64_t ltq, float* tmp);
    void (*wx_out)(const float* m, float* y);
    int64_t npi;   /* the pointwise path: items per image, each a run of whole 48-position blocks */
} ne_c2_direct_ctx;

/* A task's scratch for ne_c2_direct_row, plus `extra` floats after it (64-byte aligned). */
typedef struct {
    float *block, *buf, *zero, *acc, *extra;
    const float** rows;
    int64_t* tag;   /* which input row each phase-row slot holds (ne_c2_direct_row), 0: none */
    /* Winograd rows: V of each slot's 2 phases [slot][phase][7][ltq], the 7 sums of a block
     * [7][8][48], its outputs [8][192], the deinterleave's scratch, the kernel's row pointers
     * [7][2 * C_in * kh] */
    float *v, *m, *y, *tmp;
    const float** vrows;
} ne_c2_direct_scratch;

/* d[q] = s[2q] for q < n (the even phase of a stride-2 row): one permute per 16; the second load
 * is masked to s[2q + 30] at most, so nothing past the last element read is touched. */
NE_TARGET_AVX512 static void ne_c2_even_f32_avx512(float* restrict d, const float* restrict s, int64_t n) {
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    int64_t q = 0;
    for (; q + 16 <= n; q += 16)
        _mm512_storeu_ps(d + q, _mm512_permutex2var_ps(_mm512_loadu_ps(s + 2 * q), even,
                                                       _mm512_maskz_loadu_ps((__mmask16) 0x7fff, s + 2 * q + 16)));
    for (; q < n; q++) d[q] = s[2 * q];
}

/* One output row (image b, row oy) of the direct path, every channel: dst[co * cs + x] for x < W_out,
 * the residual read at res[co * cs + x] (res may be NULL). buf holds the C_in*kh phase-split
 * rows, zero a zero row, acc one register block's sums, rows the row pointers. */
static void ne_c2_direct_row(const ne_c2_direct_ctx* c, const ne_c2_direct_scratch* sc, int64_t b, int64_t oy, float* dst,
                             const float* res, int64_t cs) {
    const ne_c2_geom* g = c->g;
    float* buf = sc->buf;
    const float* zero = sc->zero;
    float* acc = sc->acc;
    const float** rows = sc->rows;
    int64_t* tag = sc->tag;
    const int64_t nr = g->cin * g->kh, lq = c->lq, ltq = c->ltq, n2 = 2 * nr;
    for (int64_t ci = 0; ci < g->cin; ci++)
        for (int64_t i = 0; i < g->kh; i++) {
            const int64_t r = ci * g->kh + i, y = oy * g->sh - g->ph + i * g->dh;
            if (y < 0 || y >= g->h) {
                rows[r] = zero;
                if (c->wx)
                    for (int l = 0; l < NE_C2_WX_N; l++) sc->vrows[l * n2 + r] = sc->vrows[l * n2 + nr + r] = zero;
                continue;
            }
            /* input row y of channel ci is kept in slot (ci, y mod kh) for the next output rows
             * (they share kh - sh of their kh rows): with dilation 1 a row's kh input rows
             * are consecutive, so distinct slots; tag[slot] = (image * H + y) + 1 held there */
            const int64_t sl = g->dh == 1 ? ci * g->kh + y % g->kh : r, key = b * g->h + y + 1;
            float* d0 = buf + sl * g->sw * lq;
            rows[r] = d0;
            if (c->wx)
                for (int l = 0; l < NE_C2_WX_N; l++)
                    for (int ph = 0; ph < 2; ph++) sc->vrows[l * n2 + ph * nr + r] = sc->v + ((sl * 2 + ph) * NE_C2_WX_N + l) * ltq;
            if (tag[sl] == key) continue;
            tag[sl] = key;
            const float* src = c->in + ((b * g->cin + ci) * g->h + y) * g->w;
            for (int64_t ph = 0; ph < g->sw; ph++) {
                /* q in [qlo, qhi) reads x = q*sw + ph - pw inside the row; zeros around it */
                const int64_t x0 = ph - g->pw;
                int64_t qlo = x0 >= 0 ? 0 : (-x0 + g->sw - 1) / g->sw;
                int64_t qhi = x0 >= g->w ? 0 : (g->w - x0 + g->sw - 1) / g->sw;
                if (qlo > lq) qlo = lq;
                if (qhi > lq) qhi = lq;
                if (qhi < qlo) qhi = qlo;
                float* d = d0 + ph * lq;
                for (int64_t q = 0; q < qlo; q++) d[q] = 0.0f;
                if (g->sw == 2 && c->isa == NE_ISA_AVX512) {
                    ne_c2_even_f32_avx512(d + qlo, src + x0 + 2 * qlo, qhi - qlo);
                } else if (g->sw == 2) {
                    const float* sp = src + x0;
                    for (int64_t q = qlo; q < qhi; q++) d[q] = sp[2 * q];
                } else {
                    const float* sp = src + x0;
                    for (int64_t q = qlo; q < qhi; q++) d[q] = sp[q];
                }
                for (int64_t q = qhi; q < lq; q++) d[q] = 0.0f;
                if (c->wx) c->wx_in(d, sc->v + (sl * 2 + ph) * NE_C2_WX_N * ltq, ltq, sc->tmp);
            }
        }
    if (c->wx) {
        /* the input rows the next output row adds (sh per channel), asked into L2 now: read
         * from memory when split, they stalled the split (5 % of the stem) */
        for (int64_t ci = 0; ci < g->cin; ci++)
            for (int64_t i = g->kh; i < g->kh + g->sh; i++) {
                const int64_t y = oy * g->sh - g->ph + i * g->dh;
                if (y < 0 || y >= g->h) continue;
                const char* src = (const char*) (c->in + ((b * g->cin + ci) * g->h + y) * g->w);
                for (int64_t o = 0; o < g->w * (int64_t) sizeof(float); o += 64) _mm_prefetch(src + o, _MM_HINT_T1);
            }
        /* per block of 48 tiles (192 columns) and 8 channels: the 7 products' sums, each the
         * register block over the 2 * C_in * kh phase rows' V, then A^T and the epilogue */
        static const int64_t joff0 = 0;
        const int64_t ntl = (g->wo + NE_C2_WX_M - 1) / NE_C2_WX_M;
        for (int64_t t0 = 0; t0 < ntl; t0 += NE_C2_DX) {
            const int64_t x0 = NE_C2_WX_M * t0, nx = g->wo - x0 < NE_C2_WX_M * NE_C2_DX ? g->wo - x0 : NE_C2_WX_M * NE_C2_DX;
            const ne_c2_direct_fn kernel = ntl - t0 <= 32 ? c->kernel32 : c->kernel;
            for (int64_t cb = 0; cb < c->ncb; cb++) {
                const int64_t nco = g->cout - cb * NE_C2_DC < NE_C2_DC ? g->cout - cb * NE_C2_DC : NE_C2_DC;
                for (int l = 0; l < NE_C2_WX_N; l++)   /* product 6 (the point at infinity): even rows only */
                    kernel(sc->vrows + l * n2, l == NE_C2_WX_N - 1 ? nr : n2, 1, &joff0, c->u + (cb * NE_C2_WX_N + l) * n2 * NE_C2_DC, t0,
                              sc->m + l * NE_C2_DC * NE_C2_DX, NE_C2_DX, 0);
                if (c->epi_in_kernel && nx == NE_C2_WX_M * NE_C2_DX && nco == NE_C2_DC && !res) {
                    ne_c2wx_out_epi_f32_avx512(sc->m, c->t + cb * NE_C2_DC, c->relu, dst + cb * NE_C2_DC * cs + x0, cs);
                    continue;
                }
                c->wx_out(sc->m, sc->y);
                for (int64_t o = 0; o < nco; o++) {
                    const int64_t co = cb * NE_C2_DC + o;
                    c->epi(dst + co * cs + x0, sc->y + o * NE_C2_WX_M * NE_C2_DX, res ? res + co * cs + x0 : NULL, nx, 1.0f,
                           c->t[co], c->relu);
                }
            }
        }
        return;
    }
    for (int64_t cb = 0; cb < c->ncb; cb++) {
        const int64_t nco = g->cout - cb * NE_C2_DC < NE_C2_DC ? g->cout - cb * NE_C2_DC : NE_C2_DC;
        for (int64_t x0 = 0; x0 < g->wo; x0 += NE_C2_DX) {
            const int64_t nx = g->wo - x0 < NE_C2_DX ? g->wo - x0 : NE_C2_DX;
            if (c->epi_in_kernel && nx == NE_C2_DX && nco == NE_C2_DC && !res) {
                ne_c2_direct_epi_f32_avx512(rows, nr, g->kw, c->joff, c->wp + cb * nr * g->kw * NE_C2_DC, x0, c->t + cb * NE_C2_DC,
                                            c->relu, dst + cb * NE_C2_DC * cs, cs);
                continue;
            }
            c->kernel(rows, nr, g->kw, c->joff, c->wp + cb * nr * g->kw * NE_C2_DC, x0, acc, NE_C2_DX, 0);
            for (int64_t o = 0; o < nco; o++) {
                const int64_t co = cb * NE_C2_DC + o;
                c->epi(dst + co * cs + x0, acc + o * NE_C2_DX, res ? res + co * cs + x0 : NULL, nx, 1.0f, c->t[co], c->relu);
            }
        }
    }
}

static int ne_c2_direct_scratch_get(const ne_c2_direct_ctx* c, int64_t extra, ne_c2_direct_scratch* s) {
    const ne_c2_geom* g = c->g;
    const int64_t nr = g->cin * g->kh, lq = c->lq, ltq = c->ltq;
    /* nr phase-split rows, one zero row, one register block's sums, the row pointers, extra;
     * with Winograd rows, their V, sums, outputs, deinterleave and row pointers before extra */
    const int64_t fl = (nr + 1) * g->sw * lq + NE_C2_DC * NE_C2_DX, ptrs = (nr * 16 + 63) / 64 * 16;
    const int64_t wfl = c->wx ? (nr * 2 * NE_C2_WX_N * ltq + NE_C2_WX_N * NE_C2_DC * NE_C2_DX + NE_C2_DC * NE_C2_WX_M * NE_C2_DX +
                                 4 * (ltq + 1) + 15) / 16 * 16 + (NE_C2_WX_N * 2 * nr * 2 + 15) / 16 * 16
                              : 0;
    float* buf = (float*) ne_c2_scratch((size_t) (fl + ptrs + wfl + extra) * sizeof(float));
    if (!buf) return 0;
    s->block = s->buf = buf;
    s->zero = buf + nr * g->sw * lq;
    s->acc = s->zero + g->sw * lq;
    s->rows = (const float**) (s->acc + NE_C2_DC * NE_C2_DX);
    s->tag = (int64_t*) (s->rows + nr);
    for (int64_t i = 0; i < nr; i++) s->tag[i] = 0;
    s->v = s->m = s->y = s->tmp = NULL;
    s->vrows = NULL;
    if (c->wx) {
        s->v = buf + fl + ptrs;
        s->m = s->v + nr * 2 * NE_C2_WX_N * ltq;
        s->y = s->m + NE_C2_WX_N * NE_C2_DC * NE_C2_DX;
        s->tmp = s->y + NE_C2_DC * NE_C2_WX_M * NE_C2_DX;
        s->vrows = (const float**) (buf + fl + ptrs + wfl - (NE_C2_WX_N * 2 * nr * 2 + 15) / 16 * 16);
        /* the 32-tile block leaves columns 32..47 of the sums as they were: defined, never used */
        memset(s->m, 0, (size_t) (NE_C2_WX_N * NE_C2_DC * NE_C2_DX) * sizeof(float));
    }
    s->extra = buf + fl + ptrs + wfl;
    memset(s->zero, 0, (size_t) (g->sw * lq) * sizeof(float));
    return 1;
}

static int32_t ne_c2_direct_range(void* p, int64_t begin, int64_t end) {
    const ne_c2_direct_ctx* c = (const ne_c2_direct_ctx*) p;
    const ne_c2_geom* g = c->g;
    const int64_t hwo = g->ho * g->wo;
    ne_c2_direct_scratch s;
    if (!ne_c2_direct_scratch_get(c, 0, &s)) return NE_ERR_OUT_OF_MEMORY;
    for (int64_t item = begin; item < end; item++) {
        const int64_t b = item / g->ho, oy = item % g->ho;
        const int64_t at = b * g->cout * hwo + oy * g->wo;
        ne_c2_direct_row(c, &s, b, oy, c->out + at, c->res ? c->res + at : NULL, hwo);
    }
    ne_c2_scratch_free(s.block);
    return NE_OK;
}

/* ---- The pointwise path: float32 1x1 convolutions, no padding, groups 1, any stride (ResNet's
 * 1x1 layers and its stride-2 downsampling ones). The same 8-channel x 48-column register kernel
 * as the direct path, with the rows its kernel reads being a panel [C_in][48] of the input's 48
 * output positions, packed once per position block (contiguous, so the hardware prefetches it;
 * with a stride the packing gathers the positions' inputs, so no subsampled copy of the input
 * is made as the GEMM path's im2col did) and consumed in chunks
 * of NE_C2_PW_KC input channels whose 48-position slices stay in L1 while every 8-channel weight block passes over
 * them; the sums continue across chunks (the same fma chain as unchunked). Unlike OpenBLAS, it
 * never packs the weights per call (they are packed once per call into [8-channel block][C_in]
 * [8], with the BN scale folded in) and the epilogue runs on the 48-column block as the last
 * chunk's kernel stores it (AVX-512; ne_c2_pw_epi_f32_avx512). Items are (image, position block): bit-identical for any thread count and isa. */
/* 256: ResNet's 256-channel inputs in one chunk, no partial sums through the buffer (256->64 and
 * 256->128 on 56x56: 0.65 -> 0.61-0.63 ms, 1.16 -> 1.08-1.12; 512-channel inputs alike; 64 was
 * slower everywhere) */
#define NE_C2_PW_KC 256

/* prefetchw (PRFCHW: every AVX-512 CPU has it) for the output lines the kernel stores */
#define NE_TARGET_AVX512_PRFCHW __attribute__((target("avx512f,prfchw")))

/* Not for other kernels: the panel built by im2col (3x3/2 128->128 on 56x56) ran no faster than
 * the GEMM path (1.57 vs 1.54 ms, L3-warm): building it was 28% of the time, as im2col is 13% of
 * the GEMM path's (runs of 28 outputs at stride 2), which then wins back its tiles' waste. */
static int ne_c2_pointwise_fits(const ne_c2_geom* g) {
    return g->groups == 1 && g->kh == 1 && g->kw == 1 && g->ph == 0 && g->pw == 0;
}

/* The AVX-512 pointwise register block with the epilogue at its store (the last input-channel
 * chunk of a whole block: 8 channels x 48 positions): the fma chain over the nr panel rows from
 * acc (cont: the earlier chunks' sums) or from 0, then dst[c*cs + x] = relu?((sum + t[c]) +
 * res[c*cs + x]), the bits of ne_c2_epilogue_f32_* with scale 1 (sum*1 is sum; v < 0 ? 0 : v).
 * Without it the sums went to a buffer [C_out][positions] that a second pass read back with the
 * residual: that pass was 25-35% of a 64->256 or 128->512 layer on 56x56 / 28x28 (data in L3)
 * and 43% with the residual and output coming from memory, as in the network. The residual's
 * lines are prefetched, and the output's for writing, when the block starts, and those of the
 * next block along the same rows (the caller walks the positions of one channel block): they
 * arrive while the K steps compute (64->256 on 200x336, 17 MB written: 21.1 -> 16.3 ms with the
 * next block's). Prefetches past the end touch nothing. res may be dst itself (each element
 * read before it is written). */
NE_TARGET_AVX512_PRFCHW static void ne_c2_pw_epi_f32_avx512(const float* const* rows, int64_t nr, const float* wp, int64_t x0,
                                                            const float* acc, int64_t lda, int cont, const float* t,
                                                            int32_t relu, float* dst, const float* res, int64_t cs) {
    for (int c = 0; c < NE_C2_DC; c++)
        for (int k = 0; k < 3; k++) {
            if (res) _mm_prefetch((const char*) (res + c * cs + 16 * k), _MM_HINT_T0);
            __builtin_prefetch(dst + c * cs + 16 * k, 1, 3);
            if (res) _mm_prefetch((const char*) (res + c * cs + NE_C2_DX + 16 * k), _MM_HINT_T0);
            __builtin_prefetch(dst + c * cs + NE_C2_DX + 16 * k, 1, 3);
        }
    NE_C2_ACC_START
    for (int64_t r = 0; r < nr; r++) {
        const float* s = rows[r] + x0;
        const float* w = wp + r * NE_C2_DC;
        const __m512 i0 = _mm512_loadu_ps(s), i1 = _mm512_loadu_ps(s + 16), i2 = _mm512_loadu_ps(s + 32);
        __m512 wc;
        NE_C2_DFMA(0) NE_C2_DFMA(1) NE_C2_DFMA(2) NE_C2_DFMA(3) NE_C2_DFMA(4) NE_C2_DFMA(5) NE_C2_DFMA(6) NE_C2_DFMA(7)
    }
    const __m512 zero = _mm512_setzero_ps();
#define NE_C2_PEPI(c, k)                                                                                 \
    {                                                                                                    \
        __m512 v = _mm512_add_ps(a##c##k, tc);                                                           \
        if (res) v = _mm512_add_ps(v, _mm512_loadu_ps(res + c * cs + 16 * k));                          \
        if (relu) v = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ), v, zero);           \
        _mm512_storeu_ps(dst + c * cs + 16 * k, v);                                                      \
    }
#define NE_C2_PEPS(c)                                                                                    \
    {                                                                                                    \
        const __m512 tc = _mm512_set1_ps(t[c]);                                                          \
        NE_C2_PEPI(c, 0) NE_C2_PEPI(c, 1) NE_C2_PEPI(c, 2)                                              \
    }
    NE_C2_PEPS(0) NE_C2_PEPS(1) NE_C2_PEPS(2) NE_C2_PEPS(3) NE_C2_PEPS(4) NE_C2_PEPS(5) NE_C2_PEPS(6) NE_C2_PEPS(7)
#undef NE_C2_PEPS
#undef NE_C2_PEPI
}
#undef NE_C2_DFMA
#undef NE_C2_ACC_START
#undef NE_C2_ACC_LOAD
#undef NE_C2_ACC_ZERO

/* d[x] = the input of output position p0 + x (x < nx) in one input plane: src[(oy*s_h)*W + ox*s_w].
 * Stride 1: one copy; stride 2 on AVX-512: the even-phase permute, a run per output row. */
static void ne_c2_pw_gather(const ne_c2_geom* g, const float* src, int64_t p0, int64_t nx, float* d, int32_t isa) {
    if (g->sh == 1 && g->sw == 1) {
        memcpy(d, src + p0, (size_t) nx * sizeof(float));
        return;
    }
    int64_t oy = p0 / g->wo, ox = p0 % g->wo, x = 0;
    while (x < nx) {
        const int64_t run = g->wo - ox < nx - x ? g->wo - ox : nx - x;
        const float* s = src + oy * g->sh * g->w + ox * g->sw;
        if (g->sw == 2 && isa == NE_ISA_AVX512) {
            ne_c2_even_f32_avx512(d + x, s, run);
        } else {
            for (int64_t q = 0; q < run; q++) d[x + q] = s[q * g->sw];
        }
        x += run;
        oy++;
        ox = 0;
    }
}

static int32_t ne_c2_pointwise_range(void* p, int64_t begin, int64_t end) {
    const ne_c2_direct_ctx* c = (const ne_c2_direct_ctx*) p;
    const ne_c2_geom* g = c->g;
    const int64_t hw = g->h * g->w, hwo = g->ho * g->wo, pb = c->lq, cin = g->cin;
    const int64_t blocks = (hwo + NE_C2_DX - 1) / NE_C2_DX;
    const int64_t ldc = c->ncb * NE_C2_DC;
    /* the panel [C_in][pb], the sums [C_out rounded up to 8][pb], the row pointers */
    float* panel = (float*) ne_c2_scratch((size_t) ((cin + ldc) * pb) * sizeof(float) + (size_t) cin * sizeof(float*));
    if (!panel) return NE_ERR_OUT_OF_MEMORY;
    float* acc = panel + cin * pb;
    const float** rows = (const float**) (acc + ldc * pb);
    for (int64_t ci = 0; ci < cin; ci++) rows[ci] = panel + ci * pb;
    const int64_t zero = 0;
    for (int64_t item = begin; item < end; item++) {
        /* item i of an image: blocks [i * blocks / npi, (i + 1) * blocks / npi), at most pb / 48 */
        const int64_t b = item / c->npi, i = item % c->npi, p0 = i * blocks / c->npi * NE_C2_DX;
        const int64_t p1 = (i + 1) * blocks / c->npi * NE_C2_DX, nx = (p1 < hwo ? p1 : hwo) - p0;
        const int64_t nsub = (nx + NE_C2_DX - 1) / NE_C2_DX;
        const float* src = c->in + b * g->cin * hw;
        NE_C2_PROF_AT(t0)
        for (int64_t ci = 0; ci < cin; ci++) {
            float* d = panel + ci * pb;
            ne_c2_pw_gather(g, src + ci * hw, p0, nx, d, c->isa);
            for (int64_t x = nx; x < nsub * NE_C2_DX; x++) d[x] = 0;
        }
        NE_C2_PROF_AT(tp)
        NE_C2_PROF_ADD(1, t0, tp)
        float* out = c->out + b * g->cout * hwo + p0;
        const float* res = c->res ? c->res + b * g->cout * hwo + p0 : NULL;
        for (int64_t k0 = 0; k0 < cin; k0 += NE_C2_PW_KC) {
            const int64_t kn = cin - k0 < NE_C2_PW_KC ? cin - k0 : NE_C2_PW_KC;
            const int last = k0 + kn == cin;
            /* the last chunk walks the positions of one 8-channel block after the other, so
             * that its stores run along 8 output rows at a time (position blocks outer, each
             * store touched 3 lines of each of the C_out rows in turn: 64->256 on 200x336, its
             * 17 MB output from memory, 24.9 -> 33.1 ms); the others keep the 48-position
             * slice of the panel in L1 for every weight block. Same calls, same bits. */
            const int64_t nouter = last ? c->ncb : nsub, ninner = last ? nsub : c->ncb;
            for (int64_t oi = 0; oi < nouter; oi++)
                for (int64_t ii = 0; ii < ninner; ii++) {
                    const int64_t sb = last ? ii : oi, cb = last ? oi : ii;
                    const int64_t x0 = sb * NE_C2_DX, nsx = nx - x0 < NE_C2_DX ? nx - x0 : NE_C2_DX;
                    const int64_t nco = g->cout - cb * NE_C2_DC < NE_C2_DC ? g->cout - cb * NE_C2_DC : NE_C2_DC;
                    const float* w = c->wp + (cb * cin + k0) * NE_C2_DC;
                    float* a = acc + cb * NE_C2_DC * pb + x0;
                    const int64_t at = cb * NE_C2_DC * hwo + x0;
                    if (last && c->epi_in_kernel && nsx == NE_C2_DX && nco == NE_C2_DC) {
                        ne_c2_pw_epi_f32_avx512(rows + k0, kn, w, x0, a, pb, k0 > 0, c->t + cb * NE_C2_DC, c->relu, out + at,
                                                res ? res + at : NULL, hwo);
                        continue;
                    }
                    c->kernel(rows + k0, kn, 1, &zero, w, x0, a, pb, k0 > 0);
                    if (!last) continue;
                    for (int64_t o = 0; o < nco; o++)
                        c->epi(out + at + o * hwo, a + o * pb, res ? res + at + o * hwo : NULL, nsx, 1.0f, c->t[cb * NE_C2_DC + o],
                               c->relu);
                }
        }
        NE_C2_PROF_AT(t1)
        NE_C2_PROF_ADD(0, t0, t1)
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
    if (ne_c2_wx_layout(g)) {
        /* U[8-channel block][l][phase row ph*nr + r][8] = G g of phase ph's taps (j = 2k + ph) of
         * input row r = ci*kh + i, the scale folded in; in double, rounded once. The odd phase's
         * 4th tap is zero, and so its U[6] (G's last row picks that tap): product 6 runs over the
         * even rows only, 13 products per tile and input row instead of 14. */
        static const double G[NE_C2_WX_N][4] = {
            {1.0 / 2, 0, 0, 0}, {-1.0 / 9, -1.0 / 9, -1.0 / 9, -1.0 / 9}, {1.0 / 3, -1.0 / 3, 1.0 / 3, -1.0 / 3},
            {1.0 / 60, 1.0 / 30, 1.0 / 15, 2.0 / 15}, {-1.0 / 36, 1.0 / 18, -1.0 / 9, 2.0 / 9},
            {-32.0 / 45, 16.0 / 45, -8.0 / 45, 4.0 / 45}, {0, 0, 0, 1}};
        const int64_t nr = g->cin * g->kh, n2 = 2 * nr;
        float* u = (float*) (prep + L->u);
        for (int64_t cb = 0; cb < ncb; cb++)
            for (int l = 0; l < NE_C2_WX_N; l++)
                for (int64_t r = 0; r < nr; r++)
                    for (int ph = 0; ph < 2; ph++)
                        for (int64_t o = 0; o < NE_C2_DC; o++) {
                            const int64_t co = cb * NE_C2_DC + o;
                            double v = 0;
                            if (co < g->cout)
                                for (int k = 0; k < 4; k++)
                                    if (2 * k + ph < g->kw)
                                        v += G[l][k] * (double) w[co * K + r * g->kw + 2 * k + ph] * (scale ? (double) scale[co] : 1.0);
                            u[((cb * NE_C2_WX_N + l) * n2 + ph * nr + r) * NE_C2_DC + o] = (float) v;
                        }
    }
    return NE_OK;
}

/* The direct path's row length lq (every block's last load stays inside) and, where the
 * Winograd rows run, their tiles per phase row, weights and transforms. */
static void ne_c2_direct_setup(ne_c2_direct_ctx* c, const char* prep, const ne_c2_layout* L, int32_t isa) {
    const ne_c2_geom* g = c->g;
    c->lq = ((g->wo + NE_C2_DX - 1) / NE_C2_DX * NE_C2_DX + g->kw + 16 + 15) / 16 * 16;
    c->wx = ne_c2_wx_runs(g);
    if (!c->wx) return;
    c->ltq = ((g->wo + NE_C2_WX_M - 1) / NE_C2_WX_M + NE_C2_DX - 1) / NE_C2_DX * NE_C2_DX;
    if (c->lq < 4 * c->ltq + 4) c->lq = (4 * c->ltq + 4 + 15) / 16 * 16;   /* the input transform reads 4 * ltq + 4 */
    c->u = (const float*) (prep + L->u);
    c->kernel32 = isa == NE_ISA_AVX512 ? ne_c2_direct32_f32_avx512 : c->kernel;
    c->wx_in = isa == NE_ISA_AVX512 ? ne_c2wx_in_f32_avx512 : isa == NE_ISA_AVX2 ? ne_c2wx_in_f32_avx2 : ne_c2wx_in_f32_base;
    c->wx_out = isa == NE_ISA_AVX512 ? ne_c2wx_out_f32_avx512 : isa == NE_ISA_AVX2 ? ne_c2wx_out_f32_avx2 : ne_c2wx_out_f32_base;
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
    c.isa = isa;
    if (ne_c2_pointwise_fits(g)) {
        c.epi_in_kernel = isa == NE_ISA_AVX512;
        /* positions per item: whole 48-column blocks, up to 8, while the sums stay under 256 KiB
         * and the panel under 512 KiB (long contiguous runs for the epilogue's output rows) */
        int64_t nsub = 8;
        while (nsub > 1 && (c.ncb * NE_C2_DC * nsub * NE_C2_DX * 4 > (256 << 10) || g->cin * nsub * NE_C2_DX * 4 > (512 << 10)))
            nsub--;
        c.lq = nsub * NE_C2_DX;
        /* an even number of items per image, of whole blocks spread evenly (by the shapes only):
         * ne_parallel_for's two halves then get the same work (28x28 = 17 blocks in 9 items of
         * up to 2 was 5 items against 4: two threads at most 1.6x one) */
        const int64_t blocks = (g->ho * g->wo + NE_C2_DX - 1) / NE_C2_DX;
        c.npi = (blocks + nsub - 1) / nsub;
        if (c.npi > 1 && c.npi % 2 && c.npi < blocks) c.npi++;
        return ne_parallel_for(g->n * c.npi, threads, ne_c2_pointwise_range, &c);
    }
    c.epi_in_kernel = isa == NE_ISA_AVX512;
    c.isa = isa;
    /* phase-row length: every block's last load (x0 + 47 + (kw-1)/sw + 15 at most) stays inside */
    ne_c2_direct_setup(&c, prep, L, isa);
    int64_t* joff = (int64_t*) ne_c2_alloc((size_t) g->kw * sizeof(int64_t));
    if (!joff) return NE_ERR_OUT_OF_MEMORY;
    for (int64_t j = 0; j < g->kw; j++) joff[j] = (j % g->sw) * c.lq + j / g->sw;
    c.joff = joff;
    int32_t st = ne_parallel_for(g->n * g->ho, threads, ne_c2_direct_range, &c);
    free(joff);
    return st;
}

/* ---- The direct path with max_pool2d fused (the ResNet stem: conv 7x7/2 + BN + ReLU, then
 * max-pool 3x3/2 padding 1). Items are pooled output rows (image, row); a task computes each
 * conv row its pooled rows need once, all channels, into a ring of kh_pool rows [C_out][W_out]
 * (the rows of consecutive pooled rows overlap: 3x3/2 reads 2 new conv rows per pooled row), and
 * pools them while they are in cache: the conv output is never written to memory. The conv rows
 * are those of ne_c2_forward_direct (the same ne_c2_direct_row) and the pooling makes the same
 * comparisons in the same order as max_pool2d's kernel (a vertical max over the window's rows,
 * then one kernel column at a time), so the result has the bits of conv2d then max_pool2d for
 * any thread count and isa. A task recomputes at most kh_pool - sh_pool conv rows that the task
 * before it also computed. */
#define NE_C2P_MAX(v, m) (((v) > (m) || (v) != (v)) ? (v) : (m))
#define NE_KERNEL "ne_conv2d_pool_kernel.h"
#define NE_S f32
#include "ne_each_isa.h"
#undef NE_S
#undef NE_KERNEL

/* AVX-512's hmax for stride 2 (the stem's pool): the even elements of 32 consecutive floats by
 * one permute, then the same select as NE_C2P_MAX (v > m or v unordered: v). */
NE_TARGET_AVX512 static void ne_c2p_hmax2_f32_avx512(float* restrict o, const float* restrict buf, int64_t lo, int64_t hi,
                                                     int64_t sw, int64_t off) {
    if (sw != 2) {
        ne_c2p_hmax_f32_avx512(o, buf, lo, hi, sw, off);
        return;
    }
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    int64_t ox = lo;
    for (; ox + 16 <= hi; ox += 16) {
        const float* s = buf + 2 * ox + off;
        /* the loads read up to 2*ox + off + 31 <= 2*hi + off < W_out + 2: the caller's buf has
         * 32 floats beyond W_out (unused lanes, discarded by the permute) */
        const __m512 v = _mm512_permutex2var_ps(_mm512_loadu_ps(s), even, _mm512_loadu_ps(s + 16));
        const __m512 m = _mm512_loadu_ps(o + ox);
        const __mmask16 take = _mm512_cmp_ps_mask(v, m, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
        _mm512_storeu_ps(o + ox, _mm512_mask_blend_ps(take, m, v));
    }
    for (; ox < hi; ox++) o[ox] = NE_C2P_MAX(buf[2 * ox + off], o[ox]);
}

/* The stem's pooling of one channel's output row, 3 columns, stride 2, padding 1, dilation 1,
 * straight from the nv conv rows (no row buffer): o[ox] = max over j < 3 of (max over i < nv
 * of rows[i][2*ox - 1 + j]), columns outside [0, W_out) skipped, with the same selects in the
 * same order as the vmax / hmax pair (each starting from -inf), so the same bits. 16 outputs
 * take 3 vectors of vertical maxima at 2*ox - 1 (+16, +32) and two permutes; the edges go one
 * output at a time. The loads may read up to 47 floats past 2*ox - 1 (lanes discarded): the
 * caller's rows have that much memory after them. */
NE_TARGET_AVX512 static void ne_c2p_pool3s2_f32_avx512(float* restrict o, const float* const* rows, int64_t nv, int64_t wo,
                                                       int64_t pwo) {
    const float ninf = -__builtin_inff();
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
#define NE_C2P_VSEL(v, m) _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, m, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), m, v)
    /* vector outputs: ox >= 1 (column 2*ox - 1 >= 0) and 2*(ox + 15) + 1 < W_out */
    int64_t vhi = (wo - 2) / 2 - 15 + 1;
    if (vhi > pwo - 15) vhi = pwo - 15;
    /* output 0 one at a time, then vectors from 1 (the last one moved back to end at vhi + 14,
     * overlapping the one before it: the same values written twice), then the rest one at a time */
    int64_t ox = 0;
    for (int pass = 0; pass < 2; pass++) {
        const int64_t stop = pass == 0 ? (vhi > 1 ? 1 : pwo) : pwo;
        for (; ox < stop; ox++) {
            float m = ninf;
            for (int64_t j = 0; j < 3; j++) {
                const int64_t x = 2 * ox - 1 + j;
                if (x < 0 || x >= wo) continue;
                float v = ninf;
                for (int64_t i = 0; i < nv; i++) v = NE_C2P_MAX(rows[i][x], v);
                m = NE_C2P_MAX(v, m);
            }
            o[ox] = m;
        }
        if (pass == 1 || vhi <= 1) break;
        /* the vertical maxima at 2*q + 31 (c) are the next block's first ones (its a) */
        __m512 next = _mm512_set1_ps(ninf);
        int64_t next_at = -1;
        for (;; ox += 16) {
            const int64_t q = ox < vhi - 1 ? ox : vhi - 1, p = 2 * q - 1;
            __m512 a = _mm512_set1_ps(ninf), b = a, c = a;
            if (next_at == p) {
                a = next;
                for (int64_t i = 0; i < nv; i++) {
                    const float* r = rows[i] + p;
                    const __m512 rb = _mm512_loadu_ps(r + 16), rc = _mm512_loadu_ps(r + 32);
                    b = NE_C2P_VSEL(rb, b);
                    c = NE_C2P_VSEL(rc, c);
                }
            } else {
                for (int64_t i = 0; i < nv; i++) {
                    const float* r = rows[i] + p;
                    const __m512 ra = _mm512_loadu_ps(r), rb = _mm512_loadu_ps(r + 16), rc = _mm512_loadu_ps(r + 32);
                    a = NE_C2P_VSEL(ra, a);
                    b = NE_C2P_VSEL(rb, b);
                    c = NE_C2P_VSEL(rc, c);
                }
            }
            next = c;
            next_at = p + 32;
            const __m512 v0 = _mm512_permutex2var_ps(a, even, b), v1 = _mm512_permutex2var_ps(a, odd, b);
            const __m512 a2 = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(b), _mm512_castps_si512(a), 2));
            const __m512 b2 = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(c), _mm512_castps_si512(b), 2));
            const __m512 v2 = _mm512_permutex2var_ps(a2, even, b2);
            __m512 m = _mm512_set1_ps(ninf);
            m = NE_C2P_VSEL(v0, m);
            m = NE_C2P_VSEL(v1, m);
            m = NE_C2P_VSEL(v2, m);
            _mm512_storeu_ps(o + q, m);
            if (q == vhi - 1) break;
        }
        ox = vhi + 15;
    }
#undef NE_C2P_VSEL
}

static int64_t ne_c2p_ceil_div(int64_t a, int64_t b) { /* b > 0 */
    return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

static int32_t ne_c2_direct_pool_range(void* p, int64_t begin, int64_t end) {
    const ne_c2_direct_ctx* c = (const ne_c2_direct_ctx*) p;
    const ne_c2_geom* g = c->g;
    const int64_t* q = c->pool;
    const int64_t pkh = q[0], pkw = q[1], psh = q[2], psw = q[3], pph = q[4], ppw = q[5], pdh = q[6], pdw = q[7];
    const int64_t wo = g->wo, ldr = (wo + 15) / 16 * 16, slot = g->cout * ldr;
    ne_c2_direct_scratch s;
    /* the ring of pkh conv rows, then the vertical maxima of one channel */
    if (!ne_c2_direct_scratch_get(c, pkh * slot + ldr + 64, &s)) return NE_ERR_OUT_OF_MEMORY;
    float* ring = s.extra;
    float* vbuf = ring + pkh * slot;
    for (int64_t x = wo; x < ldr + 64; x++) vbuf[x] = 0;   /* read, unused, by the AVX-512 hmax and pool3s2 */
    int64_t tag[64];   /* (image * H_out + row) + 1 held by each ring slot, 0 for none */
    const float* held[64];
    for (int64_t i = 0; i < pkh; i++) tag[i] = 0;
    void (*vmax)(float*, const float*, int64_t) = c->isa == NE_ISA_AVX512 ? ne_c2p_vmax_f32_avx512
        : c->isa == NE_ISA_AVX2 ? ne_c2p_vmax_f32_avx2 : ne_c2p_vmax_f32_base;
    void (*hmax)(float*, const float*, int64_t, int64_t, int64_t, int64_t) = c->isa == NE_ISA_AVX512 ? ne_c2p_hmax2_f32_avx512
        : c->isa == NE_ISA_AVX2 ? ne_c2p_hmax_f32_avx2 : ne_c2p_hmax_f32_base;
    /* the stem's pooling (3 columns, stride 2, padding 1) on AVX-512: straight from the rows */
    const int stem = c->isa == NE_ISA_AVX512 && pkw == 3 && psw == 2 && ppw == 1 && pdw == 1;
    for (int64_t item = begin; item < end; item++) {
        const int64_t b = item / c->pho, po = item % c->pho;
        int64_t nv = 0;
        for (int64_t i = 0; i < pkh; i++) {
            const int64_t y = po * psh - pph + i * pdh;
            if (y < 0 || y >= g->ho) continue;
            /* the slot holding row y, else one that holds none of this window's rows (there is
             * one: the window has at most pkh rows) */
            const int64_t base = po * psh - pph, last = base + (pkh - 1) * pdh;
            int64_t k = -1;
            for (int64_t j = 0; j < pkh && k < 0; j++)
                if (tag[j] == b * g->ho + y + 1) k = j;
            if (k < 0) {
                for (int64_t j = 0; j < pkh && k < 0; j++) {
                    const int64_t t = tag[j] - 1 - b * g->ho;   /* the row slot j holds, in this image */
                    if (tag[j] == 0 || t < base || t > last || (t - base) % pdh) k = j;
                }
                float* dst = ring + k * slot;
                ne_c2_direct_row(c, &s, b, y, dst, NULL, ldr);
                tag[k] = b * g->ho + y + 1;
            }
            held[nv++] = ring + k * slot;
        }
        if (stem) {
            for (int64_t co = 0; co < g->cout; co++) {
                const float* cr[64];
                for (int64_t i = 0; i < nv; i++) cr[i] = held[i] + co * ldr;
                ne_c2p_pool3s2_f32_avx512(c->out + ((b * g->cout + co) * c->pho + po) * c->pwo, cr, nv, wo, c->pwo);
            }
            continue;
        }
        for (int64_t co = 0; co < g->cout; co++) {
            for (int64_t x = 0; x < wo; x++) vbuf[x] = -__builtin_inff();
            for (int64_t i = 0; i < nv; i++) vmax(vbuf, held[i] + co * ldr, wo);
            float* o = c->out + ((b * g->cout + co) * c->pho + po) * c->pwo;
            for (int64_t ox = 0; ox < c->pwo; ox++) o[ox] = -__builtin_inff();
            for (int64_t j = 0; j < pkw; j++) {
                /* column x = ox * sw + off is inside [0, W_out) for ox in [lo, hi) */
                const int64_t off = j * pdw - ppw;
                int64_t lo = ne_c2p_ceil_div(-off, psw), hi = ne_c2p_ceil_div(wo - off, psw);
                if (lo < 0) lo = 0;
                if (hi > c->pwo) hi = c->pwo;
                if (lo < hi) hmax(o, vbuf, lo, hi, psw, off);
            }
        }
    }
    ne_c2_scratch_free(s.block);
    return NE_OK;
}

static int32_t ne_c2_forward_direct_pool(const ne_c2_geom* g, const float* in, const char* prep, const ne_c2_layout* L,
                                         int32_t relu, const int64_t* pool, int64_t pho, int64_t pwo, float* out,
                                         int32_t threads, int32_t isa) {
    ne_c2_direct_ctx c;
    memset(&c, 0, sizeof c);
    c.g = g, c.in = in, c.res = NULL, c.out = out, c.relu = relu, c.pool = pool, c.pho = pho, c.pwo = pwo, c.isa = isa;
    c.epi_in_kernel = isa == NE_ISA_AVX512;
    c.kernel = isa == NE_ISA_AVX512 ? ne_c2_direct_f32_avx512 : isa == NE_ISA_AVX2 ? ne_c2_direct_f32_avx2 : ne_c2_direct_f32_base;
    c.epi = isa == NE_ISA_AVX512 ? ne_c2_epilogue_f32_avx512 : isa == NE_ISA_AVX2 ? ne_c2_epilogue_f32_avx2 : ne_c2_epilogue_f32_base;
    c.ncb = (g->cout + NE_C2_DC - 1) / NE_C2_DC;
    c.wp = (const float*) (prep + L->a), c.t = (const float*) (prep + L->t);
    ne_c2_direct_setup(&c, prep, L, isa);
    int64_t* joff = (int64_t*) ne_c2_alloc((size_t) g->kw * sizeof(int64_t));
    if (!joff) return NE_ERR_OUT_OF_MEMORY;
    for (int64_t j = 0; j < g->kw; j++) joff[j] = (j % g->sw) * c.lq + j / g->sw;
    c.joff = joff;
    int32_t st = ne_parallel_for(g->n * pho, threads, ne_c2_direct_pool_range, &c);
    free(joff);
    return st;
}
