/* conv2d on the CPU (include/ne_conv2d.h): the GEMM path (the project's deterministic GEMM,
 * ne_gemm.h, per image, group and chunk of output positions, on im2col columns or, for a 1x1
 * stride-1 unpadded convolution, straight on the NCHW input) for every shape, Winograd
 * F(4x4,3x3) for float32 3x3 stride-1 convolutions on planes large enough (2.25x fewer
 * multiplications), and the direct kernel (ne_conv2d_direct_paths.h) for float32 unpadded 1x1
 * convolutions on large planes and those with <= 4 input channels (the stem, whose 7-wide
 * stride-2 rows it computes by 1-D Winograd F(4,4) over the two column phases). One path per
 * case; the rule is in ne_c2_choose.
 * Every path runs on prepared weights (ne_conv2d_prepare_cpu: laid out once as the path reads
 * them, the BN scale folded in); the unprepared entry point prepares, runs and frees, so that
 * both give the same bits. The epilogue runs on each chunk while it is still in cache.
 * Where AMX is usable (ne_amx_gemm.h), the GEMM and pointwise paths' prepared weights also hold
 * the AMX route's A, and the forward runs their product on AMX tiles (ne_conv2d_amx_path.h:
 * float32 accuracy, other bits) for isa AMX, and for AUTO where ne_c2_amx_pays; isa AVX512,
 * AVX2 and BASELINE run exactly the code and bits they ran before. */
#define _POSIX_C_SOURCE 200112L
#define _DEFAULT_SOURCE 1   /* madvise(MADV_HUGEPAGE) */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <immintrin.h>
#include "ne_conv2d.h"
#include "ne_parallel.h"
#include "ne_amx_gemm.h"
#include "ne_status.h"
#include "ne_text.h"

/* Phase timers of tools/profile/conv_profile.c (rdtsc cycles summed per slot), compiled in only
 * with -DNE_C2_PROFILE: 0 a pointwise item, 1 its panel's packing; GEMM path: 2 im2col (per
 * chunk, or the shared columns), 3 the GEMM of an im2col chunk, 4 an item but its ReLU pass,
 * 5 the ReLU pass, 6 the epilogue's init pass (t + residual). */
#ifdef NE_C2_PROFILE
#include <x86intrin.h>
int64_t ne_c2_prof[8];
#define NE_C2_PROF_AT(v) const uint64_t v = __rdtsc();
#define NE_C2_PROF_ADD(slot, a, b) ne_c2_prof[slot] += (int64_t) ((b) - (a));
#else
#define NE_C2_PROF_AT(v)
#define NE_C2_PROF_ADD(slot, a, b)
#endif

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
/* Winograd with U of at most NE_C2_WINO_SMALL_U bytes (64 channels each way: 0.56 MiB), which
 * stays in L2 while it is re-read per block: blocks of NE_C2_WINO_SMALL_BYTES, so that V and M
 * stay in L2 too between a block's transforms and its products (3x3 64->64, one thread, weights
 * cold, tools/profile/conv_profile.c COPIES=20/10: 56x56 0.76-0.78 -> 0.64 ms, 112x112 2.91-2.95
 * -> 2.47-2.50; 64 channels on 200x336 15.9 -> 15.2-15.7). Larger U (128 channels: 2.25 MiB,
 * 28x28: no change with 1-4 MiB blocks) keeps the large blocks. */
#define NE_C2_WINO_SMALL_U ((int64_t) 1 << 20)
#define NE_C2_WINO_SMALL_BYTES ((int64_t) 1 << 20)

/* Blocks of 2 MiB and more (Winograd's V and M: 7 and 6 MiB on a 50x50 plane, 256 channels)
 * are 2 MiB aligned and asked for in huge pages where the kernel gives them on request (THP
 * "madvise"): their writes are scattered over 36 matrices, and with 4 KiB pages the TLB misses
 * showed (one thread, 3x3 256->256 on 50x50: 6.05 -> 5.83 ms). Advice only: no effect elsewhere. */
static void* ne_c2_alloc(size_t bytes) {
    void* p = NULL;
    const size_t huge = (size_t) 2 << 20;
    if (bytes >= huge) {
        if (posix_memalign(&p, huge, bytes) != 0) return NULL;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
        madvise(p, bytes, MADV_HUGEPAGE);
#endif
        return p;
    }
    return posix_memalign(&p, 64, bytes ? bytes : 64) == 0 ? p : NULL;
}

/* Prepared weights of 4 MiB and more (ResNet-50's stage 5: 4 to 9.4 MiB per layer, streamed
 * from memory once per call) are asked for in huge pages where the caller's buffer has not been
 * touched yet: the 2 MiB-aligned part of it, before the prepare step writes it. With 4 KiB pages
 * the stream crossed a page every 4 KiB (a TLB miss, and the hardware prefetcher stops at page
 * boundaries): 2048->512 on 7x7 0.78 -> 0.74 ms, 512->2048 0.72-0.79 -> 0.69-0.70, 3x3 512 on
 * 7x7 1.96-1.98 -> 1.79-1.88 (one thread, everything evicted from the caches between runs,
 * tools/profile/conv_profile.c with NE_HUGE=1 for the same advice). Advice only. */
static void ne_c2_hugepage_advice(void* p, int64_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    const uintptr_t huge = (uintptr_t) 2 << 20, a = ((uintptr_t) p + huge - 1) & ~(huge - 1);
    const uintptr_t e = ((uintptr_t) p + (uintptr_t) bytes) & ~(huge - 1);
    if (bytes >= ((int64_t) 4 << 20) && e > a) madvise((void*) a, e - a, MADV_HUGEPAGE);
#else
    (void) p;
    (void) bytes;
#endif
}

/* Scratch of one call (work buffers, Winograd's V and M): blocks of 128 KiB and more are kept
 * (up to NE_C2_KEPT, process-wide) for the next calls instead of being freed. Otherwise glibc
 * maps them fresh and the kernel faults them in page by page on every call, on both threads at
 * once (serialised in the kernel: a 2-thread Winograd layer on 28x28 ran no faster than 1
 * thread). A request takes, of the kept blocks that fit, the one its own thread gave back last,
 * else the one given back last: its lines are the likeliest to be in this core's caches still.
 * (It took the smallest that fit: a layer then often wrote a block last touched a whole forward
 * ago, its lines coming from memory. tools/profile/resnet50_chain.c, two threads, min of 40: the
 * first 3x3 64->64 Winograd layer on 56x56 0.448-0.493 -> 0.382-0.403 ms; sum of the layers'
 * minima 18.94-19.06 -> 18.22-18.84 ms.) A freed block replaces the smallest kept one when all
 * slots are taken. Each block carries its size in a 64-byte head.
 * Also the unprepared call's prepared weights and Winograd's untransposed U. At most
 * NE_C2_KEPT * NE_C2_KEEP_MAX bytes stay allocated between calls. */
#define NE_C2_KEPT 8
#define NE_C2_KEEP_MIN ((size_t) 128 << 10)
#define NE_C2_KEEP_MAX ((size_t) 64 << 20)   /* larger blocks go back at once (bounded memory kept) */
static pthread_mutex_t ne_c2_kept_mu = PTHREAD_MUTEX_INITIALIZER;
static char* ne_c2_kept[NE_C2_KEPT];
static uint64_t ne_c2_kept_when[NE_C2_KEPT];   /* when each block was given back (a counter) */
static const void* ne_c2_kept_by[NE_C2_KEPT];  /* by which thread */
static uint64_t ne_c2_kept_clock;

/* A token of the calling thread (the address of a thread-local). */
static const void* ne_c2_thread_token(void) {
    static __thread char token;
    return &token;
}

static size_t ne_c2_block_size(const char* b) {
    size_t n;
    memcpy(&n, b, sizeof n);
    return n;
}

static void* ne_c2_scratch(size_t bytes) {
    const size_t need = bytes + 64;
    char* b = NULL;
    if (need >= NE_C2_KEEP_MIN) {
        const void* me = ne_c2_thread_token();
        pthread_mutex_lock(&ne_c2_kept_mu);
        /* the block this thread gave back last, of those that fit, else the last any thread gave
         * back: its lines are the likeliest to be in this core's caches still */
        int best = -1;
        for (int i = 0; i < NE_C2_KEPT; i++) {
            if (!ne_c2_kept[i] || ne_c2_block_size(ne_c2_kept[i]) < need) continue;
            if (best < 0) {
                best = i;
                continue;
            }
            const int mine = ne_c2_kept_by[i] == me, best_mine = ne_c2_kept_by[best] == me;
            if (mine > best_mine || (mine == best_mine && ne_c2_kept_when[i] > ne_c2_kept_when[best])) best = i;
        }
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
            ne_c2_kept_when[slot] = ++ne_c2_kept_clock;
            ne_c2_kept_by[slot] = ne_c2_thread_token();
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
    /* 16-wide only where the second half of the chunks keeps 7/8 of the first's positions, else
     * hwo/k rounded up (196/4 = 49 rounded to 64 gave chunks 64, 64, 64, 4: 128 against 68) */
    const int64_t w16 = (w + 15) / 16 * 16, first = k / 2 * w16 < hwo ? k / 2 * w16 : hwo;
    if (k == 1 || (hwo - first) * 8 >= first * 7) w = w16;
    *nc = w;
    *nchunks = (hwo + w - 1) / w;
}

/* The prepared weights (ne_conv2d_prepare_cpu): a header, then the path's arrays at 64-byte
 * offsets. GEMM: t[C_out], then per group ne_gemm_pa's packed A of [C_out/groups][K] (weights
 * times scale). Winograd: s[C_out], t[C_out], then 36 packed A of [C_out][C_in] (U = G w G^T).
 * Direct: t[C_out], then [8-channel block][K][8] (weights times scale). The AMX route of the
 * GEMM and pointwise paths (path | NE_C2_PATH_AMX): t[C_out], then per group the AMX-prepared A
 * (ne_conv2d_amx_path.h), and nothing else. Winograd F(2x2)'s (NE_C2_PATH_WINOGRAD |
 * NE_C2_PATH_WINO2): s[C_out], t[C_out], then its 16 packed A (ne_conv2d_wino2.h), and nothing
 * else. Nothing depends on the plane size or the isa. */
#define NE_C2_PREP_MAGIC ((int64_t) 0x5045525032434e45LL)   /* "NEC2PREP" */
#define NE_C2_PATH_GEMM 1
#define NE_C2_PATH_WINOGRAD 2
#define NE_C2_PATH_DIRECT 3
/* Or'ed into the GEMM or the direct path (pointwise shapes): their product on AMX tiles, for the
 * shapes and isa ne_c2_amx_route picks (include/ne_conv2d.h). Its own block, made only for a
 * layer that runs it: until 2026-12-05 every float32 GEMM and pointwise block held the AMX A
 * (1.5x its weights) beside its float32 weights wherever AMX was usable, so that resnet50 at 224²
 * prepared 286.6 MiB for 97.3 MiB of weights, about 94 MiB of it AMX copies of the 7x7 stage and
 * the fc, which never take the AMX route there (ne_c2_amx_pays); and a layer that runs on AMX
 * no longer keeps float32 weights it does not read. */
#define NE_C2_PATH_AMX 8
/* Or'ed into the Winograd path where it runs F(2x2,3x3) (256-384 channels on small planes:
 * ne_c2_wino2_layout, ne_c2_wino2_runs): its own block, holding F(2x2)'s U only. Until 2026-12-05
 * those layers' block held F(4x4)'s U (36 / 9 of the weights) and F(2x2)'s (16 / 9) together,
 * whichever ran: resnet50's six 256-channel 3x3s on 14x14 kept 56 MiB of F(4x4) U they never
 * read, R-50-FPN's at 800x1344 (50x84) 25 MiB of F(2x2) U. */
#define NE_C2_PATH_WINO2 16
#define NE_C2_PATH_BASE 7   /* the path without its route flags */
#define NE_C2_DC 8    /* output channels per register block of the direct kernel */

typedef struct {
    int64_t magic, dtype, path, cout, cin, kh, kw, groups;   /* path with its flags: the layout follows from it */
} ne_c2_prep_head;

typedef struct {
    int64_t s, t, a, u, bytes;   /* byte offsets of s, t, the weights, the direct path's Winograd weights; the total */
    int64_t x;                   /* byte offset of the AMX route's A per group (ne_conv2d_amx_path.h), 0: none */
    int64_t w2;                  /* byte offset of Winograd F(2x2,3x3)'s U (path | NE_C2_PATH_WINO2: ne_conv2d_wino2.h), 0: none */
} ne_c2_layout;

/* Winograd layers with 256 to 384 channels each way run F(2x2,3x3) on small planes
 * (ne_conv2d_wino2.h), from a block of their own (NE_C2_PATH_WINO2). Not wider ones: on the small
 * planes where F(2x2) would run (9-16 F(4x4) tiles), 512 channels take the GEMM path
 * (ne_c2_winograd_pays). */
#define NE_C2_W2_MIN_CH 256
#define NE_C2_W2_MAX_CH 384
static int ne_c2_wino2_layout(const ne_c2_geom* g) {
    return g->cin >= NE_C2_W2_MIN_CH && g->cout >= NE_C2_W2_MIN_CH && g->cin <= NE_C2_W2_MAX_CH && g->cout <= NE_C2_W2_MAX_CH;
}

#define NE_ISA_AMX 4   /* CpuOptions.Isa.AMX: conv2d only (ne_isa_resolve treats it as the best SIMD variant) */

/* The direct path's prepared weights for a kernel 7 wide on few channels (the stem) also hold
 * their 1-D Winograd transform for stride 2 ([8-channel block][NE_C2_WX_N][C_in*kh][2 phases][8]
 * at offset u: ne_conv2d_direct_paths.h), which the forward takes when stride_w is 2. */
#define NE_C2_WX_N 7
static int ne_c2_wx_layout(const ne_c2_geom* g) {
    return g->kw == 7 && g->cin <= 4 && g->groups == 1;
}

static int64_t ne_c2_up64(int64_t b) {
    return (b + 63) / 64 * 64;
}

/* Whether path (without its flags) has an AMX route for these shapes (float32 only: the caller's
 * check): the GEMM path, or the direct path's pointwise kernel (not the direct kernel of 1x1s on
 * <= 4 channels, whose bits the max-pool fusion shares). */
static int ne_c2_amx_applies(const ne_c2_geom* g, int32_t path) {
    return path == NE_C2_PATH_GEMM || (path == NE_C2_PATH_DIRECT && g->kh == 1 && g->kw == 1 && g->groups == 1 && g->cin > 4);
}

static ne_c2_layout ne_c2_layout_of(const ne_c2_geom* g, int32_t path, int64_t es) {
    ne_c2_layout L;
    const int64_t K = g->cin_g * g->kh * g->kw, mr = 12;   /* NE_GEMM_MR */
    const int64_t vec = ne_c2_up64(g->cout * es);
    L.s = L.t = ne_c2_up64((int64_t) sizeof(ne_c2_prep_head));
    L.w2 = 0;
    if (path & NE_C2_PATH_AMX) {   /* t, then the AMX route's A of each group ([C_out/groups][K], the scale folded in) */
        L.a = L.u = L.x = L.t + vec;
        L.bytes = L.x + g->groups * ne_c2_up64(ne_amx_a_bytes(g->cout_g, K));
        return L;
    }
    if (path & NE_C2_PATH_WINO2) {   /* s, t, then F(2x2)'s U: 16 packed A of [C_out][C_in] */
        L.t = L.s + vec;
        L.a = L.u = L.w2 = L.t + vec;
        L.x = 0;
        L.bytes = L.w2 + 16 * ((g->cout + mr - 1) / mr * mr) * g->cin * es;
        return L;
    }
    if (path == NE_C2_PATH_WINOGRAD) L.t = L.s + vec;
    L.a = L.t + vec;
    int64_t elems, uelems = 0;
    if (path == NE_C2_PATH_GEMM) elems = g->groups * ((g->cout_g + mr - 1) / mr * mr) * K;
    else if (path == NE_C2_PATH_WINOGRAD) elems = 36 * ((g->cout + mr - 1) / mr * mr) * g->cin;
    else elems = (g->cout + NE_C2_DC - 1) / NE_C2_DC * NE_C2_DC * K;
    if (path == NE_C2_PATH_DIRECT && ne_c2_wx_layout(g))
        uelems = (g->cout + NE_C2_DC - 1) / NE_C2_DC * NE_C2_DC * NE_C2_WX_N * 2 * g->cin * g->kh;
    L.u = ne_c2_up64(L.a + elems * es);
    L.bytes = L.u + uelems * es;
    L.x = 0;
    return L;
}

/* im2col rows of a stride-2 convolution (output rows at most 64 wide) or a stride-1 one on a
 * small plane (rows at most 8 wide: ResNet's 3x3 on 7x7), dilation 1 along x, kernels at most 8
 * wide; AVX-512 float32 only (base, AVX2 and double return 0: ne_c2_im2col's loops run): 16
 * outputs at a time from two zero-masked loads and one permute of the even elements (stride 2),
 * or one zero-masked load (stride 1). The masks keep the padding columns and whatever lies past
 * the run unread (masked lanes do not fault); those of a whole output row depend only on the
 * tap's column, so they are computed once per call. Row k and the layout as ne_c2_im2col's. Copies only: the same bits.
 * Measured (one thread, the shared 2-core AVX-512 Xeon, tools/profile/resnet_conv_profile.c with
 * -DNE_C2_PROFILE, phase [2]): 3x3/2 28->14, 256 ch: im2col 0.60 -> 0.37 Mcycles; 56->28, 128 ch:
 * 0.81 -> 0.66; 14->7, 512 ch: 0.39 -> 0.31; 3x3/1 512 on 7x7 (was the tap maps): 0.46 -> 0.36;
 * alone on warm caches (all of 56->28's columns) 0.215 -> 0.178 ms. Without the
 * per-row masks (computed per vector) it was slower than the plain loops (0.26 ms): the plain
 * loops cost ~0.6 cycles an element, about what the mask arithmetic cost per vector. */
static int ne_c2_im2col_s2_f32_base(const ne_c2_geom* g, const float* in, int64_t p0, int64_t nc, int64_t k0, int64_t k1,
                                    float* col) {
    (void) g, (void) in, (void) p0, (void) nc, (void) k0, (void) k1, (void) col;
    return 0;
}
#define ne_c2_im2col_s2_f32_avx2 ne_c2_im2col_s2_f32_base
static int ne_c2_im2col_s2_f64_any(const ne_c2_geom* g, const double* in, int64_t p0, int64_t nc, int64_t k0, int64_t k1,
                                   double* col) {
    (void) g, (void) in, (void) p0, (void) nc, (void) k0, (void) k1, (void) col;
    return 0;
}
#define ne_c2_im2col_s2_f64_base ne_c2_im2col_s2_f64_any
#define ne_c2_im2col_s2_f64_avx2 ne_c2_im2col_s2_f64_any
#define ne_c2_im2col_s2_f64_avx512 ne_c2_im2col_s2_f64_any

#ifndef NE_C2_IM2COL_SAME
#define NE_C2_IM2COL_SAME 1
#endif

/* Masks of the vector of outputs t0.. of a run of `run` outputs from column ox (x = 2 (ox + t)
 * + xj): loads m (32 bits: both vectors), store ms. */
static inline void ne_c2_s2_masks(int64_t w, int64_t sw, int64_t ox, int64_t xj, int64_t run, int64_t t0, uint32_t* m,
                                  uint32_t* ms) {
    const int64_t x0 = sw * (ox + t0) + xj;
    int64_t lo = -x0, hi = w - x0;
    const int64_t last = sw * (run - t0) - (sw - 1);
    if (lo < 0) lo = 0;
    if (hi > last) hi = last;
    if (hi > 16 * sw) hi = 16 * sw;
    *m = hi > lo ? (uint32_t) ((((uint64_t) 1 << hi) - 1) & ~(((uint64_t) 1 << lo) - 1)) : 0;
    const int64_t left = run - t0;
    *ms = left >= 16 ? 0xffffu : (1u << left) - 1;
}

/* im2col rows of a whole small plane under a stride-1 "same" convolution (output plane = input
 * plane, at most 64 positions: ResNet's 3x3 on 7x7), AVX-512 float32. Its rows are then the
 * plane itself shifted by the tap's offset, d[p] = in[p + off], with the lanes whose tap falls
 * in the padding masked to zero: at most four masked loads and stores a row, masks computed once
 * per call per tap. The row-by-row copies below spent ~20 cycles on each 7-wide output row:
 * 3x3 512 on 7x7, one thread, im2col 0.34 -> 0.24 Mcycles, the layer 1.31 -> 1.27-1.28 ms
 * (tools/profile/resnet_conv_profile.c with -DNE_C2_PROFILE, phase [2]); gathers were slower
 * than either (0.44). Copies only: the same bits. */
NE_TARGET_AVX512 static int ne_c2_im2col_same_f32_avx512(const ne_c2_geom* g, const float* in, int64_t p0, int64_t nc,
                                                         int64_t k0, int64_t k1, float* col) {
    const int64_t hw = g->h * g->w, taps = g->kh * g->kw;
    if (NE_C2_IM2COL_SAME == 0 || p0 != 0 || nc != hw || hw > 64 || taps > 9 || g->sh != 1 || g->sw != 1 || g->ho != g->h ||
        g->wo != g->w)
        return 0;
    const int64_t nv = (hw + 15) / 16;
    int64_t off[9];
    __mmask16 msk[9][4];
    for (int64_t t = 0; t < taps; t++) {
        const int64_t dy = (t / g->kw) * g->dh - g->ph, dx = (t % g->kw) * g->dw - g->pw;
        off[t] = dy * g->w + dx;
        for (int64_t v = 0; v < nv; v++) {
            uint32_t m = 0;
            for (int q = 0; q < 16; q++) {
                const int64_t p = 16 * v + q, y = p / g->w + dy, x = p % g->w + dx;
                if (p < hw && y >= 0 && y < g->h && x >= 0 && x < g->w) m |= 1u << q;
            }
            msk[t][v] = (__mmask16) m;
        }
    }
    const __mmask16 last = (__mmask16) (hw % 16 ? (1u << (hw % 16)) - 1 : 0xffffu);
    int64_t t = k0 % taps;
    const float* plane = in + (k0 / taps) * hw;
    for (int64_t k = k0; k < k1; k++) {
        const float* src = plane + off[t];   /* lanes outside the plane are masked: never read */
        float* d = col + (k - k0) * nc;
        for (int64_t v = 0; v < nv; v++)
            _mm512_mask_storeu_ps(d + 16 * v, v == nv - 1 ? last : (__mmask16) 0xffffu,
                                  _mm512_maskz_loadu_ps(msk[t][v], src + 16 * v));
        if (++t == taps) t = 0, plane += hw;
    }
    return 1;
}

/* im2col rows of a stride-2 convolution with at most 1024 output positions (ResNet's 3x3/2 on
 * 56->28, 28->14, 14->7), dilation 1, kernels of at most 3x3 reaching at most one input column
 * and row past the window's centre (k - 1 - pad <= 1), AVX-512 float32. Each input channel is
 * first split into its four phase planes Q_ab[u][v] = in[2u + a][2v + b] (ho x wo each, zeros
 * past the input; even/odd permutes of the rows), and a tap's row is then phase plane
 * ((i - ph) & 1, (j - pw) & 1) shifted by the tap's offset, d[p] = Q[p + off], with the lanes
 * whose input lies in the padding masked to zero: one masked load and store per 16 outputs.
 * The row-by-row copies below cost ~20 cycles per 16 outputs of a 28-wide row. One thread,
 * L3-warm (tools/profile/resnet_conv_profile.c, -DNE_C2_PROFILE phase [2], Mcycles): 3x3/2 512
 * 14->7 0.39-0.41 -> 0.20-0.21 (layer 1.32 -> 1.26 ms); 256 28->14 on the GEMM path 0.44 -> 0.31
 * (AMX, AUTO: 1.13-1.20 -> 1.08-1.09 ms); 128 56->28 0.73 -> 0.53 (AMX: 1.21 -> 1.15-1.19 ms).
 * Only the phase rows a call's positions read are built (the GEMM path calls once per chunk
 * and k block). Copies only: the same bits. */
#ifndef NE_C2_IM2COL_PHASE
#define NE_C2_IM2COL_PHASE 1
#endif
#define NE_C2_PHASE_MAX 1024
NE_TARGET_AVX512 static int ne_c2_im2col_phase_f32_avx512(const ne_c2_geom* g, const float* in, int64_t p0, int64_t nc,
                                                          int64_t k0, int64_t k1, float* col) {
    const int64_t ho = g->ho, wo = g->wo, hwo = ho * wo, taps = g->kh * g->kw;
    if (!NE_C2_IM2COL_PHASE || g->sh != 2 || g->sw != 2 || g->dh != 1 || g->dw != 1 || taps > 9 || hwo > NE_C2_PHASE_MAX ||
        g->kh - 1 - g->ph > 1 || g->kw - 1 - g->pw > 1 || nc < 1 || k1 <= k0)
        return 0;
    const int64_t nv = (nc + 15) / 16;
    int64_t off[9];
    int phase[9];
    __mmask16 msk[9][NE_C2_PHASE_MAX / 16];
    /* each position's output row and column (past nc: a row no tap accepts) */
    int32_t oys[NE_C2_PHASE_MAX] __attribute__((aligned(64))), oxs[NE_C2_PHASE_MAX] __attribute__((aligned(64)));
    {
        int32_t oy = (int32_t) (p0 / wo), ox = (int32_t) (p0 % wo);
        for (int64_t x = 0; x < 16 * nv; x++) {
            oys[x] = x < nc ? oy : -1000000, oxs[x] = ox;
            if (++ox == wo) ox = 0, oy++;
        }
    }
    for (int64_t t = 0; t < taps; t++) {
        const int64_t ry = t / g->kw - g->ph, rx = t % g->kw - g->pw;
        const int64_t a = ry & 1, b = rx & 1, dy = (ry - a) / 2, dx = (rx - b) / 2;
        /* phase rows and columns inside the input and the plane */
        const int64_t qh = (g->h - a + 1) / 2 < ho ? (g->h - a + 1) / 2 : ho, qw = (g->w - b + 1) / 2 < wo ? (g->w - b + 1) / 2 : wo;
        phase[t] = (int) (2 * a + b);
        off[t] = dy * wo + dx;
        /* lane valid: 0 <= oy + dy < qh and 0 <= ox + dx < qw, as one unsigned compare each */
        const __m512i vdy = _mm512_set1_epi32((int32_t) dy), vdx = _mm512_set1_epi32((int32_t) dx);
        const __m512i vqh = _mm512_set1_epi32((int32_t) qh), vqw = _mm512_set1_epi32((int32_t) qw);
        for (int64_t v = 0; v < nv; v++) {
            const __m512i u = _mm512_add_epi32(_mm512_load_si512(oys + 16 * v), vdy);
            const __m512i x = _mm512_add_epi32(_mm512_load_si512(oxs + 16 * v), vdx);
            msk[t][v] = _mm512_cmplt_epu32_mask(u, vqh) & _mm512_cmplt_epu32_mask(x, vqw);
        }
    }
    /* the phase rows this call's positions read: from its first output row's, dy >= -(ph + 1) / 2
     * rows up, to its last output row's (dy <= 0) */
    const int64_t u0 = p0 / wo - (g->ph + 1) / 2 > 0 ? p0 / wo - (g->ph + 1) / 2 : 0, u1 = (p0 + nc - 1) / wo + 1;
    static __thread float Q[4][NE_C2_PHASE_MAX + 16] __attribute__((aligned(64)));
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __mmask16 last = (__mmask16) (nc % 16 ? (1u << (nc % 16)) - 1 : 0xffffu);
    int64_t ci = -1;
    for (int64_t k = k0; k < k1; k++) {
        const int64_t t = k % taps;
        if (k / taps != ci) {
            /* the channel's phase planes: row u of Q_ab from input row 2u + a, elements b, b + 2, ... */
            ci = k / taps;
            const float* plane = in + ci * g->h * g->w;
            for (int ab = 0; ab < 4; ab++) {
                const int64_t a = ab >> 1, b = ab & 1;
                for (int64_t u = u0; u < u1; u++) {
                    float* dst = Q[ab] + u * wo;
                    const int64_t y = 2 * u + a;
                    for (int64_t v0 = 0; v0 < wo; v0 += 16) {
                        const __mmask16 ms = (__mmask16) (wo - v0 >= 16 ? 0xffffu : (1u << (wo - v0)) - 1);
                        __m512 x = _mm512_setzero_ps();
                        if (y < g->h) {
                            /* input columns 2 v0 + b .. 2 v0 + b + 31 (the even ones kept), those < w */
                            const int64_t c0 = 2 * v0 + b, left = g->w - c0;
                            const __mmask16 m0 = (__mmask16) (left >= 16 ? 0xffffu : left > 0 ? (1u << left) - 1 : 0);
                            const __mmask16 m1 = (__mmask16) (left >= 32 ? 0xffffu : left > 16 ? (1u << (left - 16)) - 1 : 0);
                            const float* r = plane + y * g->w + c0;
                            x = _mm512_permutex2var_ps(_mm512_maskz_loadu_ps(m0, r), even, _mm512_maskz_loadu_ps(m1, r + 16));
                        }
                        _mm512_mask_storeu_ps(dst + v0, ms, x);
                    }
                }
            }
        }
        const float* src = Q[phase[t]] + p0 + off[t];   /* lanes outside the phase plane are masked: never read */
        float* d = col + (k - k0) * nc;
        for (int64_t v = 0; v < nv; v++)
            _mm512_mask_storeu_ps(d + 16 * v, v == nv - 1 ? last : (__mmask16) 0xffffu, _mm512_maskz_loadu_ps(msk[t][v], src + 16 * v));
    }
    return 1;
}

NE_TARGET_AVX512 static int ne_c2_im2col_s2_f32_avx512(const ne_c2_geom* g, const float* in, int64_t p0, int64_t nc,
                                                       int64_t k0, int64_t k1, float* col) {
    if (ne_c2_im2col_same_f32_avx512(g, in, p0, nc, k0, k1, col)) return 1;
    if (ne_c2_im2col_phase_f32_avx512(g, in, p0, nc, k0, k1, col)) return 1;
    /* stride 1 only where ne_c2_im2col's tap maps ran (rows of at most 8): on 14 and 28 wide rows
     * its plain copies were as fast (0.064 vs 0.060 ms, 0.183 vs 0.170 ms alone, warm) */
    if (!((g->sw == 2 && g->wo <= 64) || (g->sw == 1 && g->wo <= 8)) || g->dw != 1 || g->kw > 8) return 0;
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const int64_t nv = (g->wo + 15) / 16;
    uint32_t fm[8][4], fs[8][4];   /* a whole row's masks per tap column */
    for (int64_t j = 0; j < g->kw; j++)
        for (int64_t v = 0; v < nv; v++) ne_c2_s2_masks(g->w, g->sw, 0, j - g->pw, g->wo, 16 * v, &fm[j][v], &fs[j][v]);
    const int64_t end = p0 + nc, oy0 = p0 / g->wo, ox0 = p0 % g->wo;
    for (int64_t k = k0; k < k1; k++) {
        const int64_t jj = k % g->kw, ii = (k / g->kw) % g->kh, ci = k / (g->kw * g->kh);
        const float* plane = in + ci * g->h * g->w;
        float* dst = col + (k - k0) * nc;
        const int64_t xj = jj - g->pw;
        int64_t p = p0, oy = oy0, ox = ox0;
        while (p < end) {
            int64_t run = g->wo - ox;
            if (run > end - p) run = end - p;
            float* d = dst + (p - p0);
            const int64_t y = oy * g->sh - g->ph + ii * g->dh;
            const int inside = y >= 0 && y < g->h;
            const float* r = plane + (inside ? y : 0) * g->w + g->sw * ox + xj;   /* output ox + t reads r[s t] */
            const int full = ox == 0 && run == g->wo;
            for (int64_t v = 0, t0 = 0; t0 < run; v++, t0 += 16) {
                uint32_t m, ms;
                if (full) m = fm[jj][v], ms = fs[jj][v];
                else ne_c2_s2_masks(g->w, g->sw, ox, xj, run, t0, &m, &ms);
                if (!inside) m = 0;
                if (g->sw == 1) {
                    _mm512_mask_storeu_ps(d + t0, (__mmask16) ms, _mm512_maskz_loadu_ps((__mmask16) m, r + t0));
                    continue;
                }
                const __m512 a = _mm512_maskz_loadu_ps((__mmask16) (m & 0xffff), r + 2 * t0);
                const __m512 b = _mm512_maskz_loadu_ps((__mmask16) (m >> 16), r + 2 * t0 + 16);
                _mm512_mask_storeu_ps(d + t0, (__mmask16) ms, _mm512_permutex2var_ps(a, even, b));
            }
            p += run;
            oy++;
            ox = 0;
        }
    }
    return 1;
}

/* The SIMD variants of ne_conv2d_kernel.h, per dtype: base (x86-64), avx2 (+FMA: not
 * contracted), avx512 (AVX-512F); then the dtype's GEMM (ne_gemm.h) and drivers
 * (ne_conv2d_driver.h). */
#define NE_T float
#define NE_S f32
#define NE_C2_WINOGRAD 1
#include "ne_gemm.h"
typedef char ne_c2_mr_is_12[NE_GEMM_MR == 12 ? 1 : -1];   /* ne_c2_layout_of's panel height */

/* Winograd's input rows split into their 6 phases, o[j][q] = p[4q + j] for j < 6, q < n (n a
 * multiple of 16; p readable up to 4n + 68), per variant (ne_c2_wino_input calls its own): plain
 * copies in base and AVX2 (GCC leaves these stride-4 loops scalar), permutes on AVX-512 (the
 * scalar copies were 40 % of that transform at 13 tiles a row). Copies only: the same bits. */
static void ne_c2_phases_f32_base(float* const* o, const float* p, int64_t n) {
    for (int64_t q = 0; q < n; q++)
        for (int j = 0; j < 6; j++) o[j][q] = p[4 * q + j];
}

NE_TARGET_AVX2 static void ne_c2_phases_f32_avx2(float* const* o, const float* p, int64_t n) {
    for (int64_t q = 0; q < n; q++)
        for (int j = 0; j < 6; j++) o[j][q] = p[4 * q + j];
}

NE_TARGET_AVX512 static void ne_c2_phases_f32_avx512(float* const* o, const float* p, int64_t n) {
    for (int64_t q = 0; q < n; q += 16) {
        for (int j = 0; j < 6; j++) {
            /* elements j, j + 4, ..., j + 60 of the 64 from 4q (phases 4, 5: 0, 1 from 4q + 4) */
            const float* s = p + 4 * q + (j & 3) + (j & 4);
            const __m512i idx = _mm512_set_epi32(28, 24, 20, 16, 12, 8, 4, 0, 28, 24, 20, 16, 12, 8, 4, 0);
            const __m512 ab = _mm512_permutex2var_ps(_mm512_loadu_ps(s), idx, _mm512_loadu_ps(s + 16));
            const __m512 cd = _mm512_permutex2var_ps(_mm512_loadu_ps(s + 32), idx, _mm512_loadu_ps(s + 48));
            _mm512_storeu_ps(o[j] + q, _mm512_shuffle_f32x4(ab, cd, 0x44));
        }
    }
}

/* Winograd's output rows, y[x] = v[x % 4][x / 4] for x < n (the 4 columns of each tile
 * interleaved), per variant: plain copies in base and AVX2, two rounds of permutes on AVX-512
 * (v readable up to (n + 63) / 64 * 16 elements each). Copies only: the same bits. */
static void ne_c2_interleave4_f32_base(float* y, const float* const* v, int64_t n) {
    for (int64_t x = 0; x < n; x++) y[x] = v[x & 3][x >> 2];
}

NE_TARGET_AVX2 static void ne_c2_interleave4_f32_avx2(float* y, const float* const* v, int64_t n) {
    for (int64_t x = 0; x < n; x++) y[x] = v[x & 3][x >> 2];
}

NE_TARGET_AVX512 static void ne_c2_interleave4_f32_avx512(float* y, const float* const* v, int64_t n) {
    const __m512i lo = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i hi = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
    const __m512i p0 = _mm512_set_epi32(23, 22, 7, 6, 21, 20, 5, 4, 19, 18, 3, 2, 17, 16, 1, 0);
    const __m512i p1 = _mm512_set_epi32(31, 30, 15, 14, 29, 28, 13, 12, 27, 26, 11, 10, 25, 24, 9, 8);
    for (int64_t x0 = 0; x0 < n; x0 += 64) {
        const int64_t q = x0 / 4;
        const __m512 y0 = _mm512_loadu_ps(v[0] + q), y1 = _mm512_loadu_ps(v[1] + q), y2 = _mm512_loadu_ps(v[2] + q),
                     y3 = _mm512_loadu_ps(v[3] + q);
        const __m512 l01 = _mm512_permutex2var_ps(y0, lo, y1), h01 = _mm512_permutex2var_ps(y0, hi, y1);
        const __m512 l23 = _mm512_permutex2var_ps(y2, lo, y3), h23 = _mm512_permutex2var_ps(y2, hi, y3);
        const __m512 o[4] = {_mm512_permutex2var_ps(l01, p0, l23), _mm512_permutex2var_ps(l01, p1, l23),
                             _mm512_permutex2var_ps(h01, p0, h23), _mm512_permutex2var_ps(h01, p1, h23)};
        for (int k = 0; k < 4 && x0 + 16 * k < n; k++) {
            const int64_t rem = n - x0 - 16 * k;
            _mm512_mask_storeu_ps(y + x0 + 16 * k, rem >= 16 ? (__mmask16) 0xffff : (__mmask16) ((1u << rem) - 1), o[k]);
        }
    }
}

#include "ne_conv2d_wino_products.h"
#define NE_KERNEL "ne_conv2d_kernel.h"
#include "ne_each_isa.h"
#undef NE_KERNEL
#include "ne_conv2d_driver.h"
#undef NE_C2_WINOGRAD
#undef NE_T
#undef NE_S

/* The direct and pointwise paths (float32). */
#include "ne_conv2d_direct_paths.h"
/* The AMX route of the GEMM and pointwise paths (float32). */
#include "ne_conv2d_amx_path.h"
#include "ne_conv2d_wino2.h"

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
 * 128 on 28x28 (49) 0.9 vs 2.3. Re-measured after the few-tile products (ne_conv2d_wino_products.h),
 * weights cold (tools/profile/conv_profile.c, COPIES=8/20): 512 on 7x7 3.5 vs 1.5 ms; 512 on 10x10
 * 3.9 vs 2.9 (the GEMM path has become faster: Winograd's 38 MiB of U streams at ~10 GB/s);
 * 256 on 12x12 0.97 vs 1.1; 256 on 14x14 0.76 vs 1.47. So 512 channels on 9-15 tiles would now
 * go to the GEMM path; no ResNet layer at 224x224 or 800x1344 has such a plane, left as it is. */
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
 * quarter. Re-measured after its epilogue moved into the kernel's store and strided 1x1s came
 * to it (tools/profile/conv_profile.c, one thread, L2 flushed / everything from memory; min ms,
 * pointwise vs GEMM): 28x28 128->512 0.67 vs 0.73 / 0.84 vs 0.98, 512->128 0.62 vs 0.72 / 0.83
 * vs 0.97; 1x1/2 256->512 56->28 1.17 vs 1.44 / 1.48 vs 1.97; 14x14 (5 blocks for 196
 * positions) 256->1024 0.90-0.99 vs 0.79-0.86, 1024->256 0.94 vs 0.70-0.76, 1x1/2 512->1024
 * 28->14 1.85-1.90 vs 1.43-1.56 (from memory). The rule stands. */
static int ne_c2_pointwise_pays(const ne_c2_geom* g) {
    const int64_t hw = g->ho * g->wo, blocks = (hw + NE_C2_DX - 1) / NE_C2_DX;
    return blocks >= 8 && blocks * NE_C2_DX * 4 <= hw * 5;
}

/* The path algo selects (include/ne_conv2d.h), or NE_ERR_INVALID_ARGUMENT where the requested
 * one does not fit. Auto: Winograd where it fits and pays (16+ channels each way and enough
 * tiles), else the direct kernel for few input channels (the RGB stem) and for unpadded 1x1
 * convolutions whose plane fills its blocks, else the GEMM path. The path does not depend on
 * the isa; within the GEMM and pointwise paths, AUTO's AMX route is ne_c2_amx_pays's rule
 * (below, with its figures). Winograd stays Winograd under AMX: 3x3 on AMX with im2col took
 * twice its time (one thread, weights cold, tools/profile/conv_profile.c COPIES=8, Winograd on
 * AVX-512 vs im2col on AMX: 256 on 14x14 0.84 vs 1.66 ms, 128 on 28x28 0.66 vs 1.30, 64 on
 * 56x56 0.69 vs 1.49). */
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

/* Whether the AMX route (ne_conv2d_amx_path.h) beats the path's AVX-512 code for these shapes,
 * where the prepared block has the AMX route's A (isa AUTO), for 64+ output channels per group:
 * unpadded 1x1 convolutions on 100 to 1024 output positions, and on up to 4096 with 128+ output
 * channels; im2col products on 100 to 1024 positions. Measured in the network, one thread, the
 * shared 2-core Sapphire Rapids (bin/bench-resnet profile's resnet50 224² run with
 * -Dnativeext.cpu.isa=avx512 and =amx, min ms AVX-512 vs AMX), with ne_amx_gemm.h of 38b2023
 * (first figures) and of c3c9995 (in brackets):
 *   56x56: 256->128 1.29 vs 1.03 (1.15 vs 0.97), 64->256 + residual 0.65-0.68 vs 0.52-0.76
 *     (0.58-0.60 vs 0.47-0.55); but 256->64 0.68-0.71 vs 0.74-0.86, 64->64 0.20 vs 0.27 (few
 *     output channels: B split and packed for few rows);
 *   3x3/2 56->28 128: 1.71 vs 1.42 (1.53 vs 1.31); 3x3/2 28->14 256: 1.75 vs 1.50 (1.59 vs 1.72);
 *   28x28: 512->256 1.34 vs 0.84 (1.22 vs 0.72), 128->512 0.64-0.65 vs 0.44-0.48, 512->128
 *     0.72-0.74 vs 0.47-0.54; 1x1/2 56->28 256->512 1.34 vs 1.08 (1.22 vs 0.97);
 *   14x14: 256->1024 0.64-0.66 vs 0.49-0.54, 1024->256 0.65-0.66 vs 0.49, 1024->512 1.25 vs
 *     0.91; 1x1/2 28->14 512->1024 1.32 vs 0.98;
 * not taken: the 7x7 stage, where the bf16x3 weights (1.5x the float32 ones) stream from memory:
 *   512->2048 0.67-0.69 vs 0.68-0.71 (0.61 vs 0.74-0.77), 2048->512 0.69-0.71 vs 0.71-0.72,
 *   1x1/2 1024->2048 1.38 vs 1.29 (1.22 vs 1.42), 3x3 512 1.68-1.72 vs 1.67-1.71 (1.53-1.61 vs
 *   2.12), 3x3/2 14->7 1.77 vs 1.83 (1.55 vs 2.33): even now, and 1.5x the memory; one position
 *   (2048->1000 with its pool: 0.84 vs 1.05); 200x336 planes (alone, c3c9995: 256->64 15 vs 30
 *   ms, 64->256 16 vs 28: the output and residual from memory). */
static int ne_c2_amx_pays(const ne_c2_geom* g, int32_t path) {
    (void) path;
    const int64_t hwo = g->ho * g->wo;
    if (g->cout_g < 64) return 0;   /* 16-row tiles: few rows per group (ResNeXt's 4) would mostly compute padding */
    if (g->kh == 1 && g->kw == 1 && g->ph == 0 && g->pw == 0)
        return hwo >= 100 && (hwo <= 1024 || (hwo <= 4096 && g->cout_g >= 128));
    return hwo >= 100 && hwo <= 1024;
}

/* Whether the forward of path (GEMM or direct) takes its AMX route for these shapes on isa:
 * where this process may use AMX and the route applies, for isa AMX, and for AUTO where it pays. */
static int ne_c2_amx_route(int32_t dtype, const ne_c2_geom* g, int32_t path, int32_t isa) {
    if (dtype != 0 || !ne_c2_amx_applies(g, path) || !ne_amx_usable()) return 0;
    return isa == NE_ISA_AMX || (isa <= NE_ISA_AUTO && ne_c2_amx_pays(g, path));
}

/* The route flags the forward of path (1, 2 or 3) takes for these shapes on isa: NE_C2_PATH_AMX
 * for the AMX route, NE_C2_PATH_WINO2 for Winograd F(2x2), else 0. Shapes and isa only. */
static int32_t ne_c2_route(int32_t dtype, const ne_c2_geom* g, int32_t path, int32_t isa) {
    if (path == NE_C2_PATH_WINOGRAD) return dtype == 0 && ne_c2_wino2_layout(g) && ne_c2_wino2_runs(g) ? NE_C2_PATH_WINO2 : 0;
    return ne_c2_amx_route(dtype, g, path, isa) ? NE_C2_PATH_AMX : 0;
}

/* Whether path can run these shapes at all (a prepared path, whatever rule picked it). */
static int ne_c2_path_fits(int32_t dtype, const ne_c2_geom* g, int32_t path) {
    const int32_t base = path & NE_C2_PATH_BASE;
    if (path & NE_C2_PATH_AMX)
        return path == (base | NE_C2_PATH_AMX) && NE_AMX_BUILT && dtype == 0 && ne_c2_amx_applies(g, base) && ne_c2_path_fits(dtype, g, base) &&
               ne_amx_usable();
    if (path & NE_C2_PATH_WINO2)
        return path == (NE_C2_PATH_WINOGRAD | NE_C2_PATH_WINO2) && dtype == 0 && ne_c2_winograd_fits(g) && ne_c2_wino2_layout(g);
    if (path == NE_C2_PATH_GEMM) return dtype == 0 || dtype == 1;
    if (dtype != 0) return 0;
    if (path == NE_C2_PATH_WINOGRAD) return ne_c2_winograd_fits(g);
    if (path == NE_C2_PATH_DIRECT) return ne_c2_direct_fits(g) || ne_c2_pointwise_fits(g);
    return 0;
}

int32_t ne_conv2d_amx_usable_cpu(void) {
    return ne_amx_usable();
}

int32_t ne_conv2d_path_cpu(int32_t dtype, const int64_t* dims, const int64_t* conv, int32_t algo, int32_t isa, int32_t* path) {
    ne_c2_geom g;
    int32_t s = ne_c2_geom_read(dims, conv, &g);
    if (s != NE_OK) return s;
    if (!path) return NE_ERR_INVALID_ARGUMENT;
    s = ne_c2_choose(dtype, &g, algo, path);
    if (s == NE_OK) *path |= ne_c2_route(dtype, &g, *path, isa);
    return s;
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

/* s and t of Winograd F(2x2)'s block (path | NE_C2_PATH_WINO2), as ne_c2_prepare_winograd makes them. */
static void ne_c2_prepare_st_f32(const ne_c2_geom* g, const float* bias, const float* scale, const float* shift, char* prep,
                                 const ne_c2_layout* L) {
    float *s = (float*) (prep + L->s), *t = (float*) (prep + L->t);
    for (int64_t co = 0; co < g->cout; co++) ne_c2_affine_f32(bias, scale, shift, co, &s[co], &t[co]);
}

/* The AMX route's block (path | NE_C2_PATH_AMX): t as the float32 paths make it, then each
 * group's A, the scale folded in (ne_amx_prepare_a). */
static int32_t ne_c2_prepare_amx(const ne_c2_geom* g, const float* w, const float* bias, const float* scale, const float* shift,
                                 char* prep, const ne_c2_layout* L) {
#if NE_AMX_BUILT
    float* t = (float*) (prep + L->t);
    for (int64_t co = 0; co < g->cout; co++) {
        float s;
        ne_c2_affine_f32(bias, scale, shift, co, &s, &t[co]);
    }
    const int64_t K = g->cin_g * g->kh * g->kw, apg = ne_c2_amx_apg(g);
    for (int64_t gr = 0; gr < g->groups; gr++)
        ne_amx_prepare_a(w + gr * g->cout_g * K, K, 1, scale ? scale + gr * g->cout_g : NULL, g->cout_g, K, prep + L->x + gr * apg);
    return NE_OK;
#else
    (void) g, (void) w, (void) bias, (void) scale, (void) shift, (void) prep, (void) L;
    return NE_ERR_INVALID_ARGUMENT;   /* unreachable: ne_c2_path_fits refuses the AMX route */
#endif
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
    ne_c2_hugepage_advice(p, L.bytes);
    ne_c2_prep_head* h = (ne_c2_prep_head*) p;
    h->magic = 0;   /* valid only once complete */
    if (path & NE_C2_PATH_AMX) s = ne_c2_prepare_amx(&g, weight, bias, scale, shift, p, &L);
    else if (path & NE_C2_PATH_WINO2) ne_c2_prepare_st_f32(&g, bias, scale, shift, p, &L);   /* then U below */
    else if (dtype == 1) s = ne_c2_prepare_gemm_f64(&g, weight, bias, scale, shift, p, &L, threads);
    else if (path == NE_C2_PATH_GEMM) s = ne_c2_prepare_gemm_f32(&g, weight, bias, scale, shift, p, &L, threads);
    else if (path == NE_C2_PATH_WINOGRAD) s = ne_c2_prepare_winograd(&g, weight, bias, scale, shift, p, &L, threads, isa);
    else s = ne_c2_prepare_direct(&g, weight, bias, scale, shift, p, &L);
    if (s == NE_OK && L.w2) s = ne_c2_prepare_wino2(&g, (const float*) weight, p + L.w2, threads);
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
    relu = relu != 0;
    const char* p = (const char*) prepared;
    /* the route is the shapes' and the isa's (ne_conv2d_path_cpu), never the block's: a block of
     * another route is refused rather than run with other bits */
    if ((path & ~NE_C2_PATH_BASE) != ne_c2_route(dtype, &g, path & NE_C2_PATH_BASE, isa)) return NE_ERR_INVALID_ARGUMENT;
#if NE_AMX_BUILT
    if (path & NE_C2_PATH_AMX) return ne_c2_forward_amx(&g, input, p, &L, residual, relu, output, threads);
#endif
    isa = ne_isa_resolve(isa);
    if (dtype == 1) return ne_c2_forward_gemm_f64(&g, input, p, &L, residual, relu, output, threads, isa);
    if (path & NE_C2_PATH_WINO2) return ne_c2_forward_wino2(&g, input, p, &L, residual, relu, output, threads, isa);
    if (path == NE_C2_PATH_WINOGRAD) return ne_c2_forward_winograd(&g, input, p, &L, residual, relu, output, threads, isa);
    if (path == NE_C2_PATH_DIRECT) return ne_c2_forward_direct(&g, input, p, &L, residual, relu, output, threads, isa);
    return ne_c2_forward_gemm_f32(&g, input, p, &L, residual, relu, output, threads, isa);
}

int32_t ne_conv2d_forward_prepared_max_pool_cpu(int32_t dtype, const void* input, const void* prepared, int64_t bytes,
                                                int32_t relu, void* output, const int64_t* dims, const int64_t* conv,
                                                const int64_t* pool, const int64_t* pool_out, int32_t threads, int32_t isa) {
    ne_c2_geom g;
    int32_t s = ne_c2_geom_read(dims, conv, &g);
    if (s != NE_OK) return s;
    if (dtype != 0 && dtype != 1) return NE_ERR_UNSUPPORTED_DTYPE;
    if (!input || !prepared || !output || !pool || !pool_out || bytes < (int64_t) sizeof(ne_c2_prep_head))
        return NE_ERR_INVALID_ARGUMENT;
    if (pool[0] < 1 || pool[0] > 64 || pool[1] < 1 || pool[2] < 1 || pool[3] < 1 || pool[4] < 0 || pool[5] < 0 ||
        pool[6] < 1 || pool[7] < 1 || pool_out[0] < 1 || pool_out[1] < 1)
        return NE_ERR_INVALID_ARGUMENT;
    const ne_c2_prep_head* h = (const ne_c2_prep_head*) prepared;
    if (h->magic != NE_C2_PREP_MAGIC || h->dtype != dtype || h->cout != g.cout || h->cin != g.cin || h->kh != g.kh ||
        h->kw != g.kw || h->groups != g.groups)
        return NE_ERR_INVALID_ARGUMENT;
    if (dtype != 0 || h->path != NE_C2_PATH_DIRECT || !ne_c2_direct_fits(&g)) return NE_ERR_INVALID_ARGUMENT;
    const ne_c2_layout L = ne_c2_layout_of(&g, NE_C2_PATH_DIRECT, 4);
    if (bytes < L.bytes) return NE_ERR_INVALID_ARGUMENT;
    return ne_c2_forward_direct_pool(&g, input, (const char*) prepared, &L, relu != 0, pool, pool_out[0], pool_out[1],
                                     (float*) output, threads, ne_isa_resolve(isa));
}

int32_t ne_conv2d_forward_cpu(int32_t dtype, const void* input, const void* weight, const void* bias,
                              const void* scale, const void* shift, const void* residual, int32_t relu,
                              void* output, const int64_t* dims, const int64_t* conv, int32_t algo,
                              int32_t threads, int32_t isa) {
    int32_t path = 0;
    int64_t bytes = 0;
    int32_t s = ne_conv2d_path_cpu(dtype, dims, conv, algo, isa, &path);
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

int32_t ne_conv2d_cuda_dnn(const char* library, char* description, int64_t capacity) {
    (void) library;
    ne_copy_text("none: this library was built without CUDA", description, capacity);
    return NE_ERR_NOT_BUILT_WITH_CUDA;
}
#endif
