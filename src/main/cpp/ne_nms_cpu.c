/* NMS on the CPU (docs/ops.md §4). The plan, and why it is exact:
 *
 * 1. A stable LSD radix sort of the scores (keys that order NaN first and -0 == +0), then, for
 *    batched NMS, a stable radix sort of that order by category. Categories never interact, so
 *    each category's run is an independent NMS, and the union of their keeps, listed in score
 *    order, is the answer: no coordinate shift, no precision lost.
 * 2. The boxes of a run are gathered as separate coordinate arrays (SoA) in visiting order, and
 *    each kept box is tested against many candidates in one branch-free loop that the compiler
 *    vectorises (ne_nms_sweep.h: a division-free test that is exact away from the threshold, the
 *    reference's division near it); the loop is compiled for baseline x86-64, AVX2 and AVX-512
 *    and picked with ne_isa_resolve. Every variant reaches the reference's decision for every
 *    pair (C99 mode: no FMA contraction), so all give the same keep list.
 * 3. A candidate's "removed" flag is set without checking that it comes later: flags of boxes
 *    already visited are never read again, which keeps the loop free of index compares.
 * 4. Spatial and size pruning (ne_nms_walk.h) for 0.05 <= t <= 1: a kept box visits only the
 *    candidates whose size and centre can give IoU > t. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ne_nms.h"
#include "ne_parallel.h"
#include "ne_status.h"

/* ---- sorting ---------------------------------------------------------------------------- */

/* Ascending key == descending score; NaN gets 0 (first), -0 is folded onto +0. */
static uint64_t ne_nms_key_f32(float x) {
    if (x != x) return 0;
    if (x == 0.0f) x = 0.0f;
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    u = (u & 0x80000000u) ? ~u : (u | 0x80000000u);
    return (uint64_t) (uint32_t) ~u;
}

static uint64_t ne_nms_key_f64(double x) {
    if (x != x) return 0;
    if (x == 0.0) x = 0.0;
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    u = (u & 0x8000000000000000ull) ? ~u : (u | 0x8000000000000000ull);
    return ~u;
}

/* Stable LSD radix sort of the element ids in perm by key[id], 8 bits a pass over the low D
 * bytes (4 for a float score key); passes whose digit is the same for every key are skipped. */
static void ne_nms_radix(int64_t n, const uint64_t* key, int D, int64_t* perm, int64_t* tmp) {
    int64_t hist[8][256];
    memset(hist, 0, sizeof hist);
    if (D == 4) {
        for (int64_t i = 0; i < n; i++) {
            uint64_t k = key[i];
            hist[0][k & 255]++;
            hist[1][(k >> 8) & 255]++;
            hist[2][(k >> 16) & 255]++;
            hist[3][(k >> 24) & 255]++;
        }
    } else {
        for (int64_t i = 0; i < n; i++) {
            uint64_t k = key[i];
            for (int d = 0; d < D; d++) hist[d][(k >> (8 * d)) & 255]++;
        }
    }
    int64_t* src = perm;
    int64_t* dst = tmp;
    for (int d = 0; d < D; d++) {
        int64_t off[256], sum = 0;
        int trivial = 0;
        for (int b = 0; b < 256; b++) {
            if (hist[d][b] == n) trivial = 1;
            off[b] = sum;
            sum += hist[d][b];
        }
        if (trivial) continue;
        for (int64_t i = 0; i < n; i++) {
            int64_t e = src[i];
            dst[off[(key[e] >> (8 * d)) & 255]++] = e;
        }
        int64_t* t = src;
        src = dst;
        dst = t;
    }
    if (src != perm) memcpy(perm, src, (size_t) n * sizeof *perm);
}

/* The float case: (32-bit key << 32 | id) packed in one word, so that each pass streams one array
 * instead of chasing key[id]; 4 passes at most. n < 2^32 (the caller falls back otherwise). */
static void ne_nms_radix_packed(int64_t n, uint64_t* v, uint64_t* tmp, int64_t* perm) {
    int64_t hist[4][256];
    memset(hist, 0, sizeof hist);
    for (int64_t i = 0; i < n; i++) {
        uint64_t k = v[i] >> 32;
        hist[0][k & 255]++;
        hist[1][(k >> 8) & 255]++;
        hist[2][(k >> 16) & 255]++;
        hist[3][(k >> 24) & 255]++;
    }
    uint64_t* src = v;
    uint64_t* dst = tmp;
    for (int d = 0; d < 4; d++) {
        int64_t off[256], sum = 0;
        int trivial = 0;
        for (int b = 0; b < 256; b++) {
            if (hist[d][b] == n) trivial = 1;
            off[b] = sum;
            sum += hist[d][b];
        }
        if (trivial) continue;
        int sh = 32 + 8 * d;
        for (int64_t i = 0; i < n; i++) {
            uint64_t x = src[i];
            dst[off[(x >> sh) & 255]++] = x;
        }
        uint64_t* t = src;
        src = dst;
        dst = t;
    }
    for (int64_t i = 0; i < n; i++) perm[i] = (int64_t) (src[i] & 0xffffffffu);
}

/* The double threshold as a threshold of type T: for float iou, (double) iou > thr iff
 * iou > (largest float <= thr), and (double) iou >= thr iff iou >= (smallest float >= thr). */
static float ne_nms_thr_f32(double thr, int ge) {
    float f = (float) thr;
    if (!ge && (double) f > thr) f = nextafterf(f, -INFINITY);
    if (ge && (double) f < thr) f = nextafterf(f, INFINITY);
    return f;
}

static double ne_nms_thr_f64(double thr, int ge) {
    (void) ge;
    return thr;
}

/* The fast test's bounds (ne_nms_sweep.h): thi >= t·(1 + 2^-20), tlo <= t·(1 - 2^-20) for float;
 * the double ones with 2^-48 (their own rounding, 2^-53, is well inside that margin). */
static float ne_nms_bound_f32(float t, int up) {
    double x = (double) t * (up ? 1.0 + 0x1p-20 : 1.0 - 0x1p-20);
    float f = (float) x;
    if (up && (double) f < x) f = nextafterf(f, INFINITY);
    if (!up && (double) f > x) f = nextafterf(f, -INFINITY);
    return f;
}

static double ne_nms_bound_f64(double t, int up) {
    return t * (up ? 1.0 + 0x1p-47 : 1.0 - 0x1p-47);
}

/* ---- the sweeps, per dtype and ISA (ne_nms_sweep.h) ------------------------------------- */

/* 512-bit vectors: GCC would otherwise prefer 256-bit ones even for the AVX-512 variant. */
#define NE_NMS_TARGET_AVX512 __attribute__((target("avx512f,prefer-vector-width=512")))

/* Flags as wide as the coordinates, so that a vector of compares stores as one vector. */
typedef int32_t ne_rm_f32;
/* Sweeps run over whole aligned blocks of this many candidates (64 bytes of floats). */
#define NE_NMS_BLOCK 16
typedef int64_t ne_rm_f64;

/* Sweeps (ne_nms_sweep.h) per variant, AVX-512 with 512-bit vectors; the walk (ne_nms_walk.h) once. */
#define NE_KERNEL "ne_nms_sweep.h"
#define NE_EACH_ISA_AVX512_TARGET NE_NMS_TARGET_AVX512
#define NE_T float
#define NE_RT ne_rm_f32
#define NE_S f32
#include "ne_each_isa.h"
#undef NE_S
#define NE_SFX f32
#include "ne_nms_walk.h"
#undef NE_SFX
#undef NE_RT
#undef NE_T

#define NE_T double
#define NE_RT ne_rm_f64
#define NE_S f64
#include "ne_each_isa.h"
#undef NE_S
#define NE_SFX f64
#include "ne_nms_walk.h"
#undef NE_SFX
#undef NE_RT
#undef NE_T
#undef NE_EACH_ISA_AVX512_TARGET
#undef NE_KERNEL

/* ---- one call, generic over T --------------------------------------------------------------- */

#define NE_NMS_DEFINE(T, SFX, KEYBYTES)                                                            \
    static void ne_nms_pick_##SFX(int32_t isa, ne_nms_sweeper_##SFX* sw) {                          \
        switch (ne_isa_resolve(isa)) {                                                             \
        case NE_ISA_AVX512: sw->fast = ne_nms_fast_##SFX##_avx512; sw->exact = ne_nms_exact_##SFX##_avx512; break; \
        case NE_ISA_AVX2: sw->fast = ne_nms_fast_##SFX##_avx2; sw->exact = ne_nms_exact_##SFX##_avx2; break; \
        default: sw->fast = ne_nms_fast_##SFX##_base; sw->exact = ne_nms_exact_##SFX##_base; break; \
        }                                                                                          \
    }                                                                                              \
                                                                                                   \
    static int32_t ne_nms_run_##SFX(int64_t n, const T* boxes, const T* scores, const int64_t* idxs, \
                                    double thr, double d, int ge, int32_t isa, int64_t* keep,       \
                                    int64_t* count) {                                              \
        int32_t st = NE_OK;                                                                        \
        /* One allocation: 10 T arrays (the run's SoA and the grid's), the flags, 7 int64 arrays \
         * (keys, order, run, tmp and the walk's), kept flags; padded to whole aligned blocks. */ \
        int64_t np = (n + 2 * NE_NMS_BLOCK - 1) & ~(int64_t) (NE_NMS_BLOCK - 1);                  \
        size_t bytes = (size_t) np * (10 * sizeof(T) + sizeof(ne_rm_##SFX) + 7 * sizeof(int64_t) + 2) + 64; \
        char* mem = (char*) malloc(bytes);                                                         \
        ne_nms_ws_##SFX ws;                                                                        \
        memset(&ws, 0, sizeof ws);                                                                 \
        if (!mem) return NE_ERR_OUT_OF_MEMORY;                                                     \
        T* soa = (T*) (mem + (64 - (uintptr_t) mem % 64));                                         \
        T* c[5];                                                                                   \
        for (int k = 0; k < 5; k++) { c[k] = soa + (int64_t) k * np; ws.g[k] = soa + (int64_t) (k + 5) * np; } \
        ne_rm_##SFX* rm = (ne_rm_##SFX*) (soa + 10 * np);                                         \
        uint64_t* key = (uint64_t*) (rm + np);                                                     \
        int64_t* order = (int64_t*) (key + np);                                                    \
        int64_t* run = order + np;                                                                 \
        int64_t* tmp = run + np;                                                                   \
        ws.cellof = tmp + np;                                                                      \
        ws.slot = ws.cellof + np;                                                                  \
        ws.alive = ws.slot + np;                                                                   \
        uint8_t* kept = (uint8_t*) (ws.alive + np);                                                \
        uint8_t* keptid = kept + np;                                                               \
        memset(keptid, 0, (size_t) n);                                                             \
        if (KEYBYTES == 4 && n < ((int64_t) 1 << 32)) {                                            \
            for (int64_t i = 0; i < n; i++) key[i] = ne_nms_key_##SFX(scores[i]) << 32 | (uint64_t) i; \
            ne_nms_radix_packed(n, key, (uint64_t*) tmp, order);                                   \
        } else {                                                                                   \
            for (int64_t i = 0; i < n; i++) { key[i] = ne_nms_key_##SFX(scores[i]); order[i] = i; } \
            ne_nms_radix(n, key, KEYBYTES, order, tmp);                                            \
        }                                                                                          \
        const int64_t* runs = order;                                                               \
        if (idxs) {                                                                                \
            memcpy(run, order, (size_t) n * sizeof(int64_t));                                      \
            for (int64_t i = 0; i < n; i++) key[i] = (uint64_t) idxs[i] ^ 0x8000000000000000ull;   \
            ne_nms_radix(n, key, 8, run, tmp);                                                     \
            runs = run;                                                                            \
        }                                                                                          \
        ne_nms_sweeper_##SFX sw;                                                                   \
        ne_nms_pick_##SFX(isa, &sw);                                                               \
        sw.t = ne_nms_thr_##SFX(thr, ge);                                                          \
        sw.thi = ne_nms_bound_##SFX(sw.t, 1);                                                      \
        sw.tlo = ne_nms_bound_##SFX(sw.t, 0);                                                      \
        sw.d = (T) d;                                                                              \
        sw.ge = ge;                                                                                \
        int pruned = thr >= 0.05 && thr <= 1.0;                                                    \
        double guard = sizeof(T) == 4 ? 1e-3 : 1e-10;                                              \
        for (int64_t r0 = 0; r0 < n;) {                                                            \
            int64_t r1 = idxs ? r0 + 1 : n;                                                        \
            while (idxs && r1 < n && idxs[runs[r1]] == idxs[runs[r0]]) r1++;                       \
            int64_t m = r1 - r0;                                                                   \
            for (int64_t p = 0; p < m; p++) {                                                      \
                const T* bx = boxes + runs[r0 + p] * 4;                                            \
                c[0][p] = bx[0]; c[1][p] = bx[1]; c[2][p] = bx[2]; c[3][p] = bx[3];                \
                c[4][p] = (bx[2] - bx[0] + (T) d) * (bx[3] - bx[1] + (T) d);                       \
            }                                                                                      \
            memset(kept, 0, (size_t) m);                                                           \
            int done = 0;                                                                          \
            if (pruned && m > 32) {                                                                \
                done = ne_nms_grid_##SFX(m, c, &ws, d, thr, guard, &sw, rm, kept);                 \
                if (done < 0) { st = NE_ERR_OUT_OF_MEMORY; goto done; }                            \
            }                                                                                      \
            if (!done) ne_nms_brute_##SFX(m, c, &sw, rm, kept);                                    \
            for (int64_t p = 0; p < m; p++) keptid[runs[r0 + p]] = kept[p];                        \
            r0 = r1;                                                                               \
        }                                                                                          \
        int64_t k = 0;                                                                             \
        /* Branch-free compaction (keep has room for n). */                                        \
        for (int64_t i = 0; i < n; i++) { keep[k] = order[i]; k += keptid[order[i]]; }            \
        *count = k;                                                                                \
    done:                                                                                          \
        free(ws.start);                                                                            \
        free(mem);                                                                                 \
        return st;                                                                                 \
    }

NE_NMS_DEFINE(float, f32, 4)
NE_NMS_DEFINE(double, f64, 8)

int32_t ne_nms_cpu(int32_t dtype, int64_t n, const void* boxes, const void* scores, const int64_t* idxs,
                   double iou_threshold, double offset, int32_t flags, int32_t threads, int32_t isa,
                   int64_t* keep, int64_t* count) {
    (void) threads; /* the greedy walk is inherently sequential; one thread is the fast path */
    if (n < 0 || count == NULL || iou_threshold != iou_threshold || offset != offset) return NE_ERR_INVALID_ARGUMENT;
    *count = 0;
    if (n == 0) return NE_OK;
    if (boxes == NULL || scores == NULL || keep == NULL) return NE_ERR_INVALID_ARGUMENT;
    int ge = (flags & NE_NMS_SUPPRESS_ON_EQUAL) != 0;
    if (dtype == 0) return ne_nms_run_f32(n, (const float*) boxes, (const float*) scores, idxs, iou_threshold, offset, ge, isa, keep, count);
    if (dtype == 1) return ne_nms_run_f64(n, (const double*) boxes, (const double*) scores, idxs, iou_threshold, offset, ge, isa, keep, count);
    return NE_ERR_UNSUPPORTED_DTYPE;
}

/* The index of the first value whose exponent is all ones (inf or NaN), or -1. Blocks of 64 are
 * screened branch-free, the offending block then scanned. */
#define NE_NMS_FIRST_NONFINITE(U, SFX)                                                              \
    static int64_t ne_nms_first_nonfinite_##SFX(const U* v, int64_t total, U exp) {                \
        for (int64_t b = 0; b < total; b += 64) {                                                  \
            int64_t e = b + 64 < total ? b + 64 : total;                                           \
            U bad = 0;                                                                             \
            for (int64_t i = b; i < e; i++) bad |= (U) ((v[i] & exp) == exp);                       \
            if (!bad) continue;                                                                    \
            for (int64_t i = b; i < e; i++)                                                        \
                if ((v[i] & exp) == exp) return i;                                                 \
        }                                                                                          \
        return -1;                                                                                 \
    }
NE_NMS_FIRST_NONFINITE(uint32_t, f32)
NE_NMS_FIRST_NONFINITE(uint64_t, f64)

int32_t ne_nms_find_nonfinite(int32_t dtype, int64_t n, const void* boxes, int64_t* index) {
    if (n < 0 || index == NULL || (n > 0 && boxes == NULL)) return NE_ERR_INVALID_ARGUMENT;
    *index = -1;
    if (dtype == 0) *index = ne_nms_first_nonfinite_f32((const uint32_t*) boxes, 4 * n, 0x7f800000u);
    else if (dtype == 1) *index = ne_nms_first_nonfinite_f64((const uint64_t*) boxes, 4 * n, 0x7ff0000000000000ull);
    else return NE_ERR_UNSUPPORTED_DTYPE;
    return NE_OK;
}

#ifndef WITH_CUDA
/* The CPU build's CUDA entry points say so instead of being absent. */
int32_t ne_nms_cuda_workspace(int32_t dtype, int64_t n, int64_t* bytes) {
    (void) dtype; (void) n; (void) bytes;
    return NE_ERR_NOT_BUILT_WITH_CUDA;
}

int32_t ne_nms_cuda(int32_t dtype, int64_t n, const void* boxes, const void* scores, const int64_t* idxs,
                    double iou_threshold, double offset, int32_t flags, void* workspace, int64_t workspace_bytes,
                    int64_t* keep, int64_t* count, void* stream) {
    (void) dtype; (void) n; (void) boxes; (void) scores; (void) idxs; (void) iou_threshold; (void) offset;
    (void) flags; (void) workspace; (void) workspace_bytes; (void) keep; (void) count; (void) stream;
    return NE_ERR_NOT_BUILT_WITH_CUDA;
}
#endif
