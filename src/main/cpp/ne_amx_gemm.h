/* A float32 GEMM on AMX tiles (Sapphire Rapids and later: AMX-BF16), as accurate as float32.
 *
 * Why: one core's AMX unit multiplies bfloat16 tiles at ~3.8 TFLOP/s on the 2-core Xeon this
 * was written on, against ~190 GFLOP/s of AVX-512 float32 FMAs. bfloat16 alone (8 significant
 * bits) would not give float32's results, so each float is split into three pieces of at most
 * 8 significant bits each, exact bfloat16 values,
 *     x = h + m + l   (h: x rounded to 8 bits, m: x - h rounded to 8 bits, l = x - h - m, exactly),
 * which hold its 24 significant bits, and a product a b is summed from the six piece products
 * larger than 2^-24 |a b|:
 *     hh + hm + mh + hl + mm + lh    (dropped: ml, lm ~2^-24, ll ~2^-32 of |a b|).
 * Each piece product is exact in float32 and the tiles accumulate in float32, so the error is
 * that of a float32 dot product (tools/profile/amx_gemm_profile.c, random operands: max |error|
 * 0.6-1.8e-7 of sum |a b| on ResNet-50's shapes, where the float32 fma chain had 1.2-2.6e-7).
 * The bits differ from ne_gemm.h's fma chain (another summation order); they do not depend on
 * the thread count: every element of C is summed by one kernel call over k in the same order
 * whatever rows and columns a call covers.
 * Limits: AMX flushes denormals, so pieces below 2^-126 count as zero (|x| < ~2^-110 loses its
 * low pieces; results that small are denormal-range anyway). Where an input is inf, NaN or at
 * least 2^56 in magnitude, every result that comes out inf or NaN is redone by the float32 fma
 * chain, so that inf, NaN and overflow come out as float32 gives them (ne_amx_redo_nonfinite).
 *
 * Layouts (bf16 elements; a tile is 16 rows x 32 bf16 = 1 KiB, NE_AMX_TILE elements):
 *   prepared A (m x k, e.g. weights, once): a 64-byte head, then [m tile][k block of 32][piece]
 *                                           [16 rows][32 k]
 *   packed B (k x n, per call):             [k block][piece][n tile][16 k pairs][16 columns][2]
 *     (VNNI: row r of a B tile holds k = 2r, 2r+1 of each column side by side)
 * both zero-padded to whole tiles. C is float32, row-major, any ldc.
 *
 * Use: ne_amx_usable() first (it also asks Linux for the AMX state: arch_prctl; nothing here may
 * run where it says no), ne_amx_prepare_a once per A, then ne_amx_gemm_f32 from any thread
 * with a work buffer of ne_amx_work_bytes (each call loads the tile configuration and releases
 * the tiles before it returns). Not a public header: included by the ops that use it.
 *
 * Measured (tools/profile/amx_gemm_profile.c, one thread, min of 60, operands warm, the shared
 * 2-core machine; ms, against the AVX-512 path's time for the same ResNet-50 layer at 224² in
 * `bin/bench-resnet profile`, which includes its im2col or epilogue): 1x1 64->256 on 56x56
 * 0.43 (0.59), 256->64 0.54 (0.65); 512->128 on 28x28 0.33 (0.68), 128->512 0.26 (0.58);
 * 1024->256 on 14x14 0.32 (0.60), 256->1024 0.29 (0.60); 2048->512 on 7x7 0.37 (0.68, weights
 * cold 0.54), 512->2048 0.36 (0.64); im2col'd 3x3/2 128 on 56->28 0.86 (1.56), 3x3 512 on 7x7
 * 0.91 (1.55, weights cold 1.38). */
#ifndef NE_AMX_GEMM_H
#define NE_AMX_GEMM_H

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <pthread.h>

#if defined(__x86_64__) && defined(__GNUC__) && defined(__linux__)
#define NE_AMX_BUILT 1
#include <immintrin.h>
#include <cpuid.h>
#include <unistd.h>
#include <sys/syscall.h>
#else
#define NE_AMX_BUILT 0
#endif

#define NE_AMX_TILE 512     /* bf16 elements of one tile */
#define NE_AMX_PIECES 3
#ifndef NE_AMX_PF
#define NE_AMX_PF 2         /* k blocks of A prefetched ahead where A streams from memory */
#endif

static inline int64_t ne_amx_tiles(int64_t x) { return (x + 15) / 16; }
static inline int64_t ne_amx_kblocks(int64_t k) { return (k + 31) / 32; }

/* Bytes of the prepared A of an m x k matrix (a 64-byte head, then the tiles), and of the packed
 * B of a k x n one. */
static inline int64_t ne_amx_a_bytes(int64_t m, int64_t k) {
    return 64 + ne_amx_tiles(m) * ne_amx_kblocks(k) * NE_AMX_PIECES * NE_AMX_TILE * 2;
}
static inline int64_t ne_amx_b_bytes(int64_t k, int64_t n) {
    return ne_amx_kblocks(k) * NE_AMX_PIECES * ne_amx_tiles(n) * NE_AMX_TILE * 2;
}

#if NE_AMX_BUILT

#define NE_AMX_TARGET __attribute__((target("amx-tile,amx-bf16,avx512f,avx512bw,avx512bf16")))

/* ---- whether this process may use AMX: the CPU has AMX-BF16, AMX-TILE, AVX512-BF16 and
 * AVX512-BW, the OS has enabled the tile state (XCR0 bits 17, 18) and Linux grants this process
 * its use (ARCH_REQ_XCOMP_PERM, process-wide, asked once). ---- */
static pthread_once_t ne_amx_once = PTHREAD_ONCE_INIT;
static int ne_amx_ok;

static void ne_amx_probe(void) {
    unsigned a, b, c, d;
    if (__get_cpuid_max(0, NULL) < 7) return;
    __cpuid_count(7, 0, a, b, c, d);
    const int tile = (d >> 24) & 1, bf16 = (d >> 22) & 1, f512 = (b >> 16) & 1, bw = (b >> 30) & 1;
    __cpuid_count(7, 1, a, b, c, d);
    const int vbf16 = (a >> 5) & 1;
    __cpuid_count(1, 0, a, b, c, d);
    const int osxsave = (c >> 27) & 1;
    if (!(tile && bf16 && f512 && bw && vbf16 && osxsave)) return;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0x600e6u) != 0x600e6u) return;   /* SSE, AVX, opmask, ZMM, XTILECFG, XTILEDATA */
    const long ARCH_REQ_XCOMP_PERM = 0x1023, XFEATURE_XTILEDATA = 18;
    if (syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) != 0) return;
    ne_amx_ok = 1;
}

static int ne_amx_usable(void) {
    pthread_once(&ne_amx_once, ne_amx_probe);
    return ne_amx_ok;
}

/* ---- splitting ---- */
static inline uint16_t ne_amx_bf16(float x) {   /* round to nearest even; NaN stays a quiet NaN */
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t) ((u >> 16) | 0x40);
    return (uint16_t) ((u + 0x7fffu + ((u >> 16) & 1)) >> 16);
}
static inline float ne_amx_f32(uint16_t h) {
    const uint32_t u = (uint32_t) h << 16;
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}
static inline void ne_amx_split1(float x, uint16_t* p) {
    p[0] = ne_amx_bf16(x);
    if (!(x - x == 0)) {   /* inf, NaN: the top piece only */
        p[1] = p[2] = 0;
        return;
    }
    const float r = x - ne_amx_f32(p[0]);   /* exact */
    p[1] = ne_amx_bf16(r);
    p[2] = ne_amx_bf16(r - ne_amx_f32(p[1]));
}

#define NE_AMX_ODD 0x1p56f   /* |x| from which a value is odd (ne_amx_split16) */


/* The three pieces of 16 floats, as floats whose low 16 bits are zero (so their top halves are
 * the bf16 pieces, exactly). Veltkamp's split with 2^16 + 1 rounds a float to its top 8
 * significant bits, h, and leaves x - h exactly, in 16 bits; the same on that gives m and an
 * l of at most 8 bits: 8 float operations, no shuffles (the packing took 3.6-3.8 ns per 16
 * floats with the conversion instructions, bound on the shuffle port; 2.6-2.8 ns with this).
 * Lanes where |x| >= NE_AMX_ODD (2^56), inf or NaN take the scalar split (rarely) and are
 * returned as a mask: such inputs make a call check its results (ne_amx_redo_nonfinite). */
NE_AMX_TARGET static inline __mmask16 ne_amx_split16(__m512 x, __m512* h, __m512* m, __m512* l) {
    const __m512 c = _mm512_set1_ps(65537.0f);
    __m512 t = _mm512_mul_ps(x, c);
    *h = _mm512_sub_ps(t, _mm512_sub_ps(t, x));
    const __m512 r = _mm512_sub_ps(x, *h);
    t = _mm512_mul_ps(r, c);
    *m = _mm512_sub_ps(t, _mm512_sub_ps(t, r));
    *l = _mm512_sub_ps(r, *m);
    const __mmask16 odd = _mm512_cmp_ps_mask(_mm512_abs_ps(x), _mm512_set1_ps(NE_AMX_ODD), _CMP_NLT_UQ);
    if (__builtin_expect(odd != 0, 0)) {
        float xs[16], hs[16], ms[16], ls[16];
        _mm512_storeu_ps(xs, x);
        _mm512_storeu_ps(hs, *h);
        _mm512_storeu_ps(ms, *m);
        _mm512_storeu_ps(ls, *l);
        for (int i = 0; i < 16; i++)
            if (odd >> i & 1) {
                uint16_t p[3];
                ne_amx_split1(xs[i], p);
                hs[i] = ne_amx_f32(p[0]);
                ms[i] = ne_amx_f32(p[1]);
                ls[i] = ne_amx_f32(p[2]);
            }
        *h = _mm512_loadu_ps(hs);
        *m = _mm512_loadu_ps(ms);
        *l = _mm512_loadu_ps(ls);
    }
    return odd;
}

/* A(i, j) = a[i * ars + j * acs] * (scale ? scale[i] : 1) (the product rounded to float first,
 * as the float32 paths fold a BN scale), for i < m, j < k, into dst (ne_amx_a_bytes(m, k), 64-byte
 * aligned), split as B is (ne_amx_split16: 0.3 ns a weight where the scalar split took 4.3). The
 * head's first int64 says whether a value is odd (not finite, or |x| >= 2^56). */
NE_AMX_TARGET static void ne_amx_prepare_a(const float* a, int64_t ars, int64_t acs, const float* scale, int64_t m,
                                           int64_t k, void* dst) {
    uint16_t* o = (uint16_t*) ((char*) dst + 64);
    const int64_t KB = ne_amx_kblocks(k);
    __mmask16 odd = 0;
    memset(dst, 0, (size_t) ne_amx_a_bytes(m, k));
    for (int64_t i = 0; i < m; i++)
        for (int64_t kb = 0; kb < KB; kb++) {
            float row[32];
            const int64_t j0 = kb * 32, nj = k - j0 < 32 ? k - j0 : 32;
            for (int64_t j = 0; j < 32; j++) row[j] = j < nj ? a[i * ars + (j0 + j) * acs] : 0.0f;
            const __m512 s = _mm512_set1_ps(scale ? scale[i] : 1.0f);
            __m512 x0 = _mm512_loadu_ps(row), x1 = _mm512_loadu_ps(row + 16);
            if (scale) x0 = _mm512_mul_ps(x0, s), x1 = _mm512_mul_ps(x1, s);
            __m512 p0[3], p1[3];
            odd |= ne_amx_split16(x0, &p0[0], &p0[1], &p0[2]);
            odd |= ne_amx_split16(x1, &p1[0], &p1[1], &p1[2]);
            uint16_t* t = o + (i / 16 * KB + kb) * NE_AMX_PIECES * NE_AMX_TILE + (i % 16) * 32;
            for (int q = 0; q < NE_AMX_PIECES; q++)   /* the pieces are bf16 values: exact conversions */
                _mm512_storeu_si512((void*) (t + q * NE_AMX_TILE), (__m512i) _mm512_cvtne2ps_pbh(p1[q], p0[q]));
        }
    const int64_t flag = odd != 0;
    memcpy(dst, &flag, sizeof flag);
}

/* Packs row pairs [rp0, rp1) (row pair q: rows 2q, 2q + 1 of b; a k block has 16) of columns
 * [n0, n0 + nb) of the k x n float matrix b (row-major, ldb) as B of a k x nb product into dst
 * (ne_amx_b_bytes(k, nb)); columns past nb and rows past k are zeros. Returns whether a value
 * was odd (ne_amx_split16). */
NE_AMX_TARGET static int ne_amx_pack_b_rows(const float* b, int64_t ldb, int64_t k, int64_t n0, int64_t nb, void* dst,
                                            int64_t rp0, int64_t rp1, int64_t ahead) {
    uint16_t* o = (uint16_t*) dst;
    __mmask16 odd = 0;
    const int64_t NT = ne_amx_tiles(nb);
    for (int64_t rp = rp0; rp < rp1; rp++) {
        const int64_t kb = rp / 16, r = rp % 16, k0 = 2 * rp;
        const float* r0 = b + k0 * ldb + n0;
        const float* r1 = r0 + ldb;
        /* the same rows' next columns, ahead (a B read in place: rows a plane apart, which the
         * hardware prefetchers do not follow) */
        if (ahead)
            for (int64_t t = 0; t < NT; t++) {
                _mm_prefetch((const char*) (r0 + ahead + 16 * t), _MM_HINT_T1);
                if (k0 + 1 < k) _mm_prefetch((const char*) (r1 + ahead + 16 * t), _MM_HINT_T1);
            }
        for (int64_t t = 0; t < NT; t++) {
            const int64_t left = nb - 16 * t;
            const __mmask16 mk = left >= 16 ? (__mmask16) 0xffff : (__mmask16) ((1u << left) - 1);
            const __m512 x0 = k0 < k ? _mm512_maskz_loadu_ps(mk, r0 + 16 * t) : _mm512_setzero_ps();
            const __m512 x1 = k0 + 1 < k ? _mm512_maskz_loadu_ps(mk, r1 + 16 * t) : _mm512_setzero_ps();
            __m512 p0[3], p1[3];
            odd |= ne_amx_split16(x0, &p0[0], &p0[1], &p0[2]);
            odd |= ne_amx_split16(x1, &p1[0], &p1[1], &p1[2]);
            for (int q = 0; q < NE_AMX_PIECES; q++) {   /* lane j: row k0's bf16 low, k0 + 1's high (VNNI) */
                const __m512i v = _mm512_or_si512(_mm512_srli_epi32(_mm512_castps_si512(p0[q]), 16),
                                                  _mm512_castps_si512(p1[q]));
                _mm512_storeu_si512((void*) (o + ((kb * NE_AMX_PIECES + q) * NT + t) * NE_AMX_TILE + r * 32), v);
            }
        }
    }
    return odd != 0;
}

/* All of B's row pairs (see ne_amx_pack_b_rows). */
NE_AMX_TARGET static int ne_amx_pack_b(const float* b, int64_t ldb, int64_t k, int64_t n0, int64_t nb, void* dst) {
    return ne_amx_pack_b_rows(b, ldb, k, n0, nb, dst, 0, ne_amx_kblocks(k) * 16, 0);
}

/* Packing the next panel of B in slices while the tile unit works on this one: after each k
 * block's products, ne_amx_block packs `slice` more row pairs (the tile instructions run on
 * their own; the packing's vector instructions fill the wait). */
typedef struct {
    const float* b;
    int64_t ldb, k, n0, nb, rp, end, slice;
    void* dst;
    int odd;        /* an odd value was packed */
    int64_t ahead;  /* columns past n0 prefetched, row by row, for the panel after (0: none) */
} ne_amx_pack_job;

NE_AMX_TARGET static inline void ne_amx_pack_step(ne_amx_pack_job* j) {
    if (!j || j->rp >= j->end) return;
    const int64_t e = j->rp + j->slice < j->end ? j->rp + j->slice : j->end;
    j->odd |= ne_amx_pack_b_rows(j->b, j->ldb, j->k, j->n0, j->nb, j->dst, j->rp, e, j->ahead);
    j->rp = e;
}

/* ---- the product ---- */
typedef struct {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} ne_amx_config;

/* Eight 16 x 64-byte tiles. A static object, not a stack one: GCC's _tile_loadconfig tells the
 * compiler it reads 8 bytes only, so at -O2 it dropped the stores of the rest of a local
 * configuration and ldtilecfg faulted (#GP) on the garbage. */
static const ne_amx_config ne_amx_cfg = {
    1, 0, {0}, {64, 64, 64, 64, 64, 64, 64, 64, 0, 0, 0, 0, 0, 0, 0, 0}, {16, 16, 16, 16, 16, 16, 16, 16, 0, 0, 0, 0, 0, 0, 0, 0}};

NE_AMX_TARGET static inline void ne_amx_configure(void) {
    _tile_loadconfig(&ne_amx_cfg);
}

/* What a call's tiles need besides A's pieces and the packed B: for results that are not finite,
 * redone by the float32 chain (below). */
typedef struct {
    const uint16_t* a;   /* the prepared A's tiles */
    int64_t KB, k;
    const float* b;      /* the float32 B */
    int64_t ldb;
} ne_amx_src;

/* A non-finite sum (an inf or NaN among its inputs, or an overflow) is not what float32 gives:
 * the pieces of a finite factor may differ in sign, so inf times them gives inf - inf = NaN. Such
 * an element of C is redone as the float32 fma chain over k (A's float = h + m + l, exactly),
 * as ne_gemm.h computes it: the same inf, NaN or overflow. Only where an input is not finite or
 * is at least 2^56 in magnitude (else no sum of fewer than 2^16 products overflows): A's flag,
 * set by ne_amx_prepare_a, or B's, found while packing. */
NE_AMX_TARGET static void ne_amx_redo_nonfinite(const ne_amx_src* s, float* c, int64_t ldc, int64_t i, int64_t j,
                                                int64_t rows, int64_t cols) {
    const __mmask16 cm = cols >= 16 ? (__mmask16) 0xffff : (__mmask16) ((1u << cols) - 1);
    const __m512 inf = _mm512_set1_ps(__builtin_inff());
    for (int64_t r = 0; r < rows; r++) {
        float* row = c + (i + r) * ldc + j;
        const __m512 v = _mm512_maskz_loadu_ps(cm, row);
        __mmask16 bad = _mm512_mask_cmp_ps_mask(cm, _mm512_abs_ps(v), inf, _CMP_NLT_UQ);
        while (bad) {
            const int jj = __builtin_ctz(bad);
            bad &= (__mmask16) (bad - 1);
            const int64_t ii = i + r;
            float acc = 0;
            for (int64_t q = 0; q < s->k; q++) {
                const uint16_t* p = s->a + ((ii / 16 * s->KB + q / 32) * NE_AMX_PIECES) * NE_AMX_TILE + (ii % 16) * 32 + q % 32;
                const float a = (ne_amx_f32(p[0]) + ne_amx_f32(p[NE_AMX_TILE])) + ne_amx_f32(p[2 * NE_AMX_TILE]);
                acc = fmaf(a, s->b[q * s->ldb + j + jj], acc);
            }
            row[jj] = acc;
        }
    }
}

/* Stores C tile `t` at rows i.., columns j.. of c, only the part inside m x n. */
#define NE_AMX_STORE(t, i, j)                                                                         \
    do {                                                                                              \
        if ((i) + 16 <= m && (j) + 16 <= n) _tile_stored(t, c + (i) * ldc + (j), ldc * 4);            \
        else {                                                                                        \
            _tile_stored(t, buf, 64);                                                                 \
            for (int64_t ii = 0; ii < 16 && (i) + ii < m; ii++)                                       \
                for (int64_t jj = 0; jj < 16 && (j) + jj < n; jj++) c[((i) + ii) * ldc + (j) + jj] = buf[ii * 16 + jj]; \
        }                                                                                             \
    } while (0)

/* One block of C: rows i, i + 16 (two_m) x columns of B's tiles t, t + 1 (two_n), over k blocks
 * kb0 <= kb < kb1 (hh, hm, hl, mm, mh, lh per block; A holds KB k blocks per m tile, its stride
 * from a0 to the next m tile's a1); B (nt tiles wide) is a packed B or
 * panel, and C's column j of the block is c's column cj + 16 t + j. The four C tiles start from
 * zero, or from `from` (their partial sums, 4 tiles of 16 x 16, stored by the previous k range),
 * and go to C, or to `to` (a later k range continues from there: a float32 store and reload is
 * exact, so the bits are those of one pass over all k). */
/* What a block prefetches into L2 besides its own A: `step` bytes per k block from p0 (and p1,
 * where not NULL), a slice of the A the next block streams (set by ne_amx_gemm_f32). */
typedef struct {
    const char *p0, *p1;
    int64_t step;
} ne_amx_ahead;

NE_AMX_TARGET static inline void ne_amx_block(const uint16_t* a0, int64_t KB, int64_t kb0, int64_t kb1, int two_m,
                                              const uint16_t* B, int64_t NT, int64_t t, int two_n, float* c,
                                              int64_t ldc, int64_t i, int64_t cj, int64_t m, int64_t n, float* buf,
                                              int prefetch, const float* from, float* to, ne_amx_pack_job* job,
                                              const ne_amx_ahead* ahead) {
    const uint16_t* a1 = a0 + KB * NE_AMX_PIECES * NE_AMX_TILE;
    if (from) {
        _tile_loadd(0, from, 64);
        _tile_loadd(1, from + 256, 64);
        _tile_loadd(2, from + 512, 64);
        _tile_loadd(3, from + 768, 64);
    } else {
        _tile_zero(0);
        _tile_zero(1);
        _tile_zero(2);
        _tile_zero(3);
    }
    for (int64_t kb = kb0; kb < kb1; kb++) {
        const uint16_t* ak0 = a0 + kb * NE_AMX_PIECES * NE_AMX_TILE;
        const uint16_t* ak1 = a1 + kb * NE_AMX_PIECES * NE_AMX_TILE;
        const uint16_t* bk = B + (kb * NE_AMX_PIECES * NT + t) * NE_AMX_TILE;
        const char* pf0 = (const char*) (ak0 + NE_AMX_PF * NE_AMX_PIECES * NE_AMX_TILE);
        const char* pf1 = (const char*) (ak1 + NE_AMX_PF * NE_AMX_PIECES * NE_AMX_TILE);
#define NE_AMX_PFQ(q)                                                                  \
        if (prefetch) for (int l = (q) * 512; l < (q) * 512 + 512; l += 64) {          \
            _mm_prefetch(pf0 + l, _MM_HINT_T0);                                          \
            if (two_m) _mm_prefetch(pf1 + l, _MM_HINT_T0);                               \
        }
#define NE_AMX_LA(q)                                                          \
    _tile_loadd(4, ak0 + (q) * NE_AMX_TILE, 64);                              \
    if (two_m) _tile_loadd(5, ak1 + (q) * NE_AMX_TILE, 64);
#define NE_AMX_LB(q)                                                          \
    _tile_loadd(6, bk + (q) * NT * NE_AMX_TILE, 64);                          \
    if (two_n) _tile_loadd(7, bk + (q) * NT * NE_AMX_TILE + NE_AMX_TILE, 64);
#define NE_AMX_DP                                                             \
    _tile_dpbf16ps(0, 4, 6);                                                  \
    if (two_m) _tile_dpbf16ps(2, 5, 6);                                       \
    if (two_n) {                                                              \
        _tile_dpbf16ps(1, 4, 7);                                              \
        if (two_m) _tile_dpbf16ps(3, 5, 7);                                   \
    }
        NE_AMX_LA(0) NE_AMX_LB(0) NE_AMX_DP NE_AMX_PFQ(0)
        NE_AMX_LB(1) NE_AMX_DP NE_AMX_PFQ(1)
        NE_AMX_LB(2) NE_AMX_DP NE_AMX_PFQ(2)
        NE_AMX_LA(1) NE_AMX_LB(1) NE_AMX_DP NE_AMX_PFQ(3)
        NE_AMX_LB(0) NE_AMX_DP NE_AMX_PFQ(4)
        NE_AMX_LA(2) NE_AMX_DP NE_AMX_PFQ(5)
        if (ahead)
            for (int64_t l = 0; l < ahead->step; l += 64) {
                _mm_prefetch(ahead->p0 + (kb - kb0) * ahead->step + l, _MM_HINT_T1);
                if (ahead->p1) _mm_prefetch(ahead->p1 + (kb - kb0) * ahead->step + l, _MM_HINT_T1);
            }
        ne_amx_pack_step(job);
#undef NE_AMX_LA
#undef NE_AMX_LB
#undef NE_AMX_DP
#undef NE_AMX_PFQ
    }
    if (to) {
        _tile_stored(0, to, 64);
        _tile_stored(1, to + 256, 64);
        _tile_stored(2, to + 512, 64);
        _tile_stored(3, to + 768, 64);
        return;
    }
    const int64_t j = cj + 16 * t;
    NE_AMX_STORE(0, i, j);
    if (two_n) NE_AMX_STORE(1, i, j + 16);
    if (two_m) {
        NE_AMX_STORE(2, i + 16, j);
        if (two_n) NE_AMX_STORE(3, i + 16, j + 16);
    }
}

/* Bytes of the work buffer ne_amx_gemm_f32 needs for a k x n B: the packed B, then the partial
 * sums of a 32-row block (4 tiles per pair of column tiles). */
/* A packed B larger than NE_AMX_B_L2 does not stay in L2 while A streams past it (512 x 4608 on
 * 49 columns, B 1.8 MiB: 1.5 ms with B re-read from L3 per row block, against 0.43 ms for
 * K = 2304); there the k ranges go outermost, with every row block's partial sums kept, up to
 * NE_AMX_PART_BYTES of them. */
#define NE_AMX_B_L2 ((int64_t) 1 << 20)
#define NE_AMX_PART_BYTES ((int64_t) 1 << 20)
static inline int64_t ne_amx_part_bytes(int64_t k, int64_t n) {
    const int64_t pair = (ne_amx_tiles(n) + 1) / 2 * 4 * 1024;   /* one 32-row block's */
    return ne_amx_b_bytes(k, n) > NE_AMX_B_L2 && pair < NE_AMX_PART_BYTES ? NE_AMX_PART_BYTES : pair;
}

/* Bytes of the work buffer's first part: the packed B whole, or two 32-column panels of it. */
static inline int64_t ne_amx_b_room(int64_t k, int64_t n) {
    const int64_t whole = ne_amx_b_bytes(k, n), panels = 2 * ne_amx_b_bytes(k, 32);
    return whole > panels ? whole : panels;
}

static inline int64_t ne_amx_work_bytes(int64_t k, int64_t n) {
    return ne_amx_b_room(k, n) + ne_amx_part_bytes(k, n);
}

/* C[i][j] = sum over k of A(i, k) B(k, j) for rows i0 <= i < i1 (i0 a multiple of 16) and
 * columns j < n: A prepared (m x k), B float32 k x n row-major (ldb), C overwritten (ldc), work
 * ne_amx_work_bytes(k, n) bytes, 64-byte aligned. Where the rows' A is larger than B (weights
 * streaming from memory: ResNet's 7x7 stage), B is packed whole once and A streams once, with a
 * prefetch: per 32-row block, k goes in ranges whose A and B stay in L2 together, each range over
 * all columns (partial sums kept in the work buffer), so that A is read from memory once. Else B
 * is packed a 32-column panel at a time, each panel used by every row block while in L1/L2, and
 * A stays in L2. Either way each element of C is summed over k in the same order. */
NE_AMX_TARGET static void ne_amx_gemm_f32_part(const void* pa, int64_t m, int64_t kfull, int64_t kb_lo, int64_t k, int64_t i0,
                                               int64_t i1, const float* b, int64_t ldb, int64_t n, float* c, int64_t ldc,
                                               void* work);

NE_AMX_TARGET static void ne_amx_gemm_f32(const void* pa, int64_t m, int64_t k, int64_t i0, int64_t i1,
                                          const float* b, int64_t ldb, int64_t n, float* c, int64_t ldc,
                                          void* work) {
    ne_amx_gemm_f32_part(pa, m, k, 0, k, i0, i1, b, ldb, n, c, ldc, work);
}

/* ne_amx_gemm_f32 over part of k: A prepared as m x kfull, of which the k columns from kb_lo * 32
 * on (k blocks [kb_lo, kb_lo + ne_amx_kblocks(k)), B holding those k rows; work
 * ne_amx_work_bytes(k, n)): C = that part of the sum, each element in the same order as the k
 * blocks run in the whole product. */
NE_AMX_TARGET static void ne_amx_gemm_f32_part(const void* pa, int64_t m, int64_t kfull, int64_t kb_lo, int64_t k, int64_t i0,
                                               int64_t i1, const float* b, int64_t ldb, int64_t n, float* c, int64_t ldc,
                                               void* work) {
    const int64_t KS = ne_amx_kblocks(kfull);   /* A's k blocks per m tile: its stride */
    const uint16_t* A = (const uint16_t*) ((const char*) pa + 64) + kb_lo * NE_AMX_PIECES * NE_AMX_TILE;
    int64_t odd;   /* an odd input: A's flag, then B's */
    memcpy(&odd, pa, sizeof odd);
    uint16_t* W = (uint16_t*) work;
    const int64_t KB = ne_amx_kblocks(k), NT = ne_amx_tiles(n);
    const int64_t as = KS * NE_AMX_PIECES * NE_AMX_TILE;   /* one m tile of A */
    float buf[256] __attribute__((aligned(64)));
    const ne_amx_src src = {A, KS, k, b, ldb};
    if (i1 > m) i1 = m;
    if (i1 <= i0 || n <= 0) return;
    const int64_t a_bytes = ne_amx_tiles(i1 - i0) * KB * NE_AMX_PIECES * NE_AMX_TILE * 2;   /* the part this call streams */
    if (a_bytes > ne_amx_b_bytes(k, n)) {
        float* part = (float*) ((char*) work + ne_amx_b_room(k, n));
        /* k blocks per range: a range's A (2 x 3 KiB per block) and B (3 KiB per tile and block) in
         * ~768 KiB; all of k in one range where that takes at most a quarter more (L2 is 2 MiB on
         * every AMX core). A second range costs each block a store and reload of its partial sums
         * and a second stream of A's next block. 1024->256 on 14x14 on two threads, the thread with
         * 7 column tiles (kr 28 of 32 k blocks) against the one with 6 (kr 32): tile loop 218-221
         * vs 168-170 us, 1.3x for 7/6 of the tiles. */
        int64_t kr = 768 / (6 + 3 * NT);
        if (kr < 4) kr = 4;
        if (KB * 4 <= kr * 5) kr = KB;
        odd |= ne_amx_pack_b(b, ldb, k, 0, n, W);
        ne_amx_configure();
        const int64_t pairs = (NT + 1) / 2, blocks = (i1 - i0 + 31) / 32;
        const int k_outer = ne_amx_b_bytes(k, n) > NE_AMX_B_L2 && blocks * pairs * 4096 <= ne_amx_part_bytes(k, n);
        /* Blocks (a row block i over a k range [kb0, kb1)) run in order: with k_outer (B larger
         * than L2) every row block of a k range, then the next range; else every k range of a
         * row block, then the next. A block's first column pair streams its A from memory (with
         * a prefetch a few k blocks ahead), the other pairs read it from cache; those also
         * prefetch, a slice each, the next block's A into L2, so that memory works while the
         * tiles do rather than before them (with 3+ column pairs: the slices of one or two
         * passes came in bursts that stalled, 2048 x 1024 on 49 columns 1.07 -> 1.25 ms). A from
         * memory (tools/profile/amx_gemm_profile.c COPIES=40, one thread, min ms): 256 x 1024 on
         * 196 columns 0.363 -> 0.339 (0.325 with A warm), 512 x 1024 0.69-0.72 -> 0.655-0.663. In
         * the network (tools/profile/resnet50_chain.c, one thread, min of 2 x 40): 14x14 1x1s
         * 0.41-0.455 -> 0.355-0.41 each, 1024->512 0.85 -> 0.68, 3x3/2 256 28->14 1.43 -> 1.22,
         * 1x1/2 512->1024 0.87 -> 0.75; the layers' minima 36.3-38.8 -> 34.9-37.1 ms. */
        for (int64_t kb0 = 0, i = i0; k_outer ? kb0 < KB : i < i1;) {
            const int64_t kb1 = kb0 + kr < KB ? kb0 + kr : KB;
            /* the next block: its row block ni, its k range [nk0, nk1); ni < 0: none */
            int64_t ni = i, nk0 = kb1;
            if (k_outer) {
                ni = i + 32, nk0 = kb0;
                if (ni >= i1) ni = i0, nk0 = kb1;
            } else if (kb1 >= KB) {
                ni = i + 32, nk0 = 0;
            }
            if (ni >= i1 || nk0 >= KB) ni = -1;
            const int64_t nk1 = nk0 + kr < KB ? nk0 + kr : KB, passes = pairs - 1;
            for (int64_t t = 0; t < NT; t += 2) {
                float* pt = part + ((k_outer ? (i - i0) / 32 * pairs : 0) + t / 2) * 1024;
                ne_amx_ahead ahead = {NULL, NULL, 0};
                const int slice = ni >= 0 && t > 0 && pairs >= 3;   /* spread over 2+ passes (fewer: a burst that stalled) */
                if (slice) {
                    /* pass q of `passes` takes bytes [q L / passes, (q + 1) L / passes) of each of
                     * the next block's (one or two) m tiles' A, L bytes each, over kb1 - kb0 steps */
                    const int64_t L = (nk1 - nk0) * NE_AMX_PIECES * NE_AMX_TILE * 2, q = t / 2 - 1;
                    const char* na = (const char*) (A + (ni / 16) * as + nk0 * NE_AMX_PIECES * NE_AMX_TILE) + q * L / passes;
                    ahead.p0 = na;
                    ahead.p1 = ni + 16 < i1 ? na + as * 2 : NULL;
                    ahead.step = ((L + passes - 1) / passes / (kb1 - kb0) + 63) / 64 * 64;
                }
                ne_amx_block(A + (i / 16) * as, KS, kb0, kb1, i + 16 < i1, W, NT, t, t + 1 < NT, c, ldc, i, 0, i1, n, buf,
                             t == 0, kb0 > 0 ? pt : NULL, kb1 < KB ? pt : NULL, NULL, slice ? &ahead : NULL);
            }
            if (k_outer) {
                i += 32;
                if (i >= i1) i = i0, kb0 = kb1;
            } else {
                kb0 = kb1;
                if (kb0 >= KB) kb0 = 0, i += 32;
            }
        }
    } else {
        /* two panel buffers: the next panel is packed while this one's products run */
        const int64_t pbytes = ne_amx_b_bytes(k, 32), steps = ne_amx_tiles(i1 - i0) / 2 * KB + KB;
        uint16_t* panel[2] = {W, W + pbytes / 2};
        /* B's rows 2 KiB or more apart (a 1x1 convolution's input read in place: a plane apart):
         * each row's next 32 columns are prefetched while a panel is packed, one panel ahead, as
         * the hardware prefetchers do not follow hundreds of rows (3136 apart, one thread, A warm,
         * tools/profile/amx_gemm_profile.c: 128 x 256 0.80-0.85 -> 0.77 ms, 64 x 256 0.58 -> 0.52-0.54) */
        const int far = ldb >= 512;
        odd |= ne_amx_pack_b_rows(b, ldb, k, 0, n < 32 ? n : 32, panel[0], 0, KB * 16, n > 32 && far ? 32 : 0);
        ne_amx_configure();
        for (int64_t j = 0, p = 0; j < n; j += 32, p ^= 1) {
            const int64_t nb = n - j < 32 ? n - j : 32;
            ne_amx_pack_job job = {b, ldb, k, j + 32, n - j - 32 < 32 ? n - j - 32 : 32, 0, 0, 0, panel[p ^ 1], 0,
                                   j + 64 < n && far ? 32 : 0};
            if (j + 32 < n) {
                job.end = KB * 16;
                job.slice = (job.end + steps - 1) / steps;
            }
            for (int64_t i = i0; i < i1; i += 32)
                ne_amx_block(A + (i / 16) * as, KS, 0, KB, i + 16 < i1, panel[p], ne_amx_tiles(nb), 0, nb > 16, c,
                             ldc, i, j, i1, n, buf, 0, NULL, NULL, &job, NULL);
            ne_amx_pack_step(&job);   /* whatever is left */
            job.slice = job.end;
            ne_amx_pack_step(&job);
            odd |= job.odd;
        }
    }
    _tile_release();
    if (odd)
        for (int64_t i = i0; i < i1; i += 16)
            for (int64_t j = 0; j < n; j += 16)
                ne_amx_redo_nonfinite(&src, c, ldc, i, j, i1 - i < 16 ? i1 - i : 16, n - j < 16 ? n - j : 16);
}
#undef NE_AMX_STORE

#else /* not x86-64 Linux with GCC: never usable */
static inline int ne_amx_usable(void) { return 0; }
#endif

#endif
