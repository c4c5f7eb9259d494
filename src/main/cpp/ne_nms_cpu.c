/* NMS on the CPU (ops.md §4). The plan, and why it is exact:
 *
 * 1. A stable LSD radix sort of the scores (keys that order NaN first and -0 == +0), then, for
 *    batched NMS, a stable radix sort of that order by category. Categories never interact, so
 *    each category's run is an independent NMS, and the union of their keeps, listed in score
 *    order, is the answer: no coordinate shift, no precision lost.
 * 2. The boxes of a run are gathered as separate coordinate arrays (SoA) in visiting order, and
 *    each kept box is tested against many candidates in one branch-free loop that the compiler
 *    vectorises; the loop is compiled for baseline x86-64, AVX2 and AVX-512 and picked with
 *    ne_isa_resolve. Every variant performs the same IEEE operations in the same order (C99
 *    mode: no FMA contraction; min/max on finite values), so all give the same keep list.
 * 3. A candidate's "removed" flag is set without checking that it comes later: flags of boxes
 *    already visited are never read again, which keeps the loop free of index compares.
 * 4. Spatial pruning (ne_nms_grid_*): IoU > t > 0 needs, in exact arithmetic, a centre distance
 *    below (1-t)·max(w_i,w_j) per axis and w_j < w_i/t (both from inter > t·max(area)). Boxes are
 *    binned by centre and a kept box visits only the cells within that window, computed with a
 *    5% smaller t so that the rounding of the computed IoU (bounded by the guard below) can never
 *    make a skipped candidate one that the full test would have suppressed. Degenerate boxes
 *    (computed width or height <= 0) have inter == 0, so IoU is 0 or NaN: they neither suppress
 *    nor are suppressed whenever t > 0 (also t == 0 with '>'), and stay out of the grid. */
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

/* Stable LSD radix sort of the element ids in perm by key[id], 8 bits a pass; passes whose digit
 * is the same for every key are skipped (a float score key has at most 4 live digits). */
static void ne_nms_radix(int64_t n, const uint64_t* key, int64_t* perm, int64_t* tmp) {
    static const int D = 8;
    int64_t hist[8][256];
    memset(hist, 0, sizeof hist);
    for (int64_t i = 0; i < n; i++) {
        uint64_t k = key[i];
        for (int d = 0; d < D; d++) hist[d][(k >> (8 * d)) & 255]++;
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

/* ---- the sweep: one kept box against candidates [b, e) of SoA arrays ------------------------- */

#define NE_NMS_SWEEP_BODY(T, CMP)                                                                  \
    for (int64_t q = b; q < e; q++) {                                                              \
        T lx = x1[q] > kx1 ? x1[q] : kx1;                                                          \
        T ly = y1[q] > ky1 ? y1[q] : ky1;                                                          \
        T hx = x2[q] < kx2 ? x2[q] : kx2;                                                          \
        T hy = y2[q] < ky2 ? y2[q] : ky2;                                                          \
        T w = hx - lx + d;                                                                         \
        T h = hy - ly + d;                                                                         \
        w = w > (T) 0 ? w : (T) 0;                                                                 \
        h = h > (T) 0 ? h : (T) 0;                                                                 \
        T inter = w * h;                                                                           \
        T iou = inter / (karea + area[q] - inter);                                                 \
        rm[q] |= (RT) (iou CMP t);                                                                 \
    }

#define NE_NMS_SWEEP_ARGS(T, RT)                                                                   \
    int64_t b, int64_t e, const T* restrict x1, const T* restrict y1, const T* restrict x2,        \
        const T* restrict y2, const T* restrict area, T kx1, T ky1, T kx2, T ky2, T karea, T d, T t, \
        RT* restrict rm

#define NE_NMS_SWEEP_ONE(T, RT, NAME, ATTR)                                                        \
    ATTR static void NAME##_gt(NE_NMS_SWEEP_ARGS(T, RT)) { NE_NMS_SWEEP_BODY(T, >) }              \
    ATTR static void NAME##_ge(NE_NMS_SWEEP_ARGS(T, RT)) { NE_NMS_SWEEP_BODY(T, >=) }

#define NE_NMS_ATTR_AVX2 __attribute__((target("avx2,fma")))
#define NE_NMS_ATTR_AVX512 __attribute__((target("avx512f,prefer-vector-width=512")))

typedef int32_t ne_rm_f32;
typedef int64_t ne_rm_f64;

#define RT ne_rm_f32
NE_NMS_SWEEP_ONE(float, ne_rm_f32, ne_nms_sweep_f32_base, )
NE_NMS_SWEEP_ONE(float, ne_rm_f32, ne_nms_sweep_f32_avx2, NE_NMS_ATTR_AVX2)
NE_NMS_SWEEP_ONE(float, ne_rm_f32, ne_nms_sweep_f32_avx512, NE_NMS_ATTR_AVX512)
#undef RT
#define RT ne_rm_f64
NE_NMS_SWEEP_ONE(double, ne_rm_f64, ne_nms_sweep_f64_base, )
NE_NMS_SWEEP_ONE(double, ne_rm_f64, ne_nms_sweep_f64_avx2, NE_NMS_ATTR_AVX2)
NE_NMS_SWEEP_ONE(double, ne_rm_f64, ne_nms_sweep_f64_avx512, NE_NMS_ATTR_AVX512)
#undef RT

/* ---- one category's run, generic over T ---------------------------------------------------- */

/* Work arrays of a run of m boxes, allocated once for the largest run. */
#define NE_NMS_DEFINE(T, SFX)                                                                      \
    typedef void (*ne_nms_sweep_##SFX##_fn)(NE_NMS_SWEEP_ARGS(T, ne_rm_##SFX));                    \
                                                                                                   \
    static ne_nms_sweep_##SFX##_fn ne_nms_pick_##SFX(int32_t isa, int ge) {                        \
        switch (ne_isa_resolve(isa)) {                                                             \
        case NE_ISA_AVX512: return ge ? ne_nms_sweep_##SFX##_avx512_ge : ne_nms_sweep_##SFX##_avx512_gt; \
        case NE_ISA_AVX2: return ge ? ne_nms_sweep_##SFX##_avx2_ge : ne_nms_sweep_##SFX##_avx2_gt; \
        default: return ge ? ne_nms_sweep_##SFX##_base_ge : ne_nms_sweep_##SFX##_base_gt;          \
        }                                                                                          \
    }                                                                                              \
                                                                                                   \
    /* Every box against every later one: any threshold, any boxes. */                             \
    static void ne_nms_brute_##SFX(int64_t m, T* const* c, T d, T t, ne_nms_sweep_##SFX##_fn sweep, \
                                   ne_rm_##SFX* rm, uint8_t* kept) {                               \
        memset(rm, 0, (size_t) m * sizeof *rm);                                                    \
        for (int64_t p = 0; p < m; p++) {                                                          \
            if (rm[p]) continue;                                                                   \
            kept[p] = 1;                                                                           \
            sweep(p + 1, m, c[0], c[1], c[2], c[3], c[4], c[0][p], c[1][p], c[2][p], c[3][p], c[4][p], d, t, rm); \
        }                                                                                          \
    }                                                                                              \
                                                                                                   \
    /* The pruned walk; returns 0 when the guard says the brute walk must be used instead, -1 on \
     * allocation failure. c: x1,y1,x2,y2,area of the run; g: 5 more arrays of m for the cells. */ \
    static int ne_nms_grid_##SFX(int64_t m, T* const* c, T* const* g, double d, double thr, T t,   \
                                 double guard, ne_nms_sweep_##SFX##_fn sweep, ne_rm_##SFX* rm,      \
                                 uint8_t* kept) {                                                  \
        double lox = INFINITY, loy = INFINITY, hix = -INFINITY, hiy = -INFINITY, mag = 0, maxw = 0, \
               maxh = 0, minside = INFINITY, sumside = 0;                                          \
        int64_t live = 0;                                                                          \
        for (int64_t p = 0; p < m; p++) {                                                          \
            T w = c[2][p] - c[0][p] + (T) d, h = c[3][p] - c[1][p] + (T) d;                        \
            double a = fabs((double) c[0][p]) + fabs((double) c[1][p]) + fabs((double) c[2][p]) + fabs((double) c[3][p]); \
            if (a > mag) mag = a;                                                                  \
            if (!(w > 0 && h > 0)) continue;                                                       \
            double cx = 0.5 * ((double) c[0][p] + (double) c[2][p] + d), cy = 0.5 * ((double) c[1][p] + (double) c[3][p] + d); \
            lox = cx < lox ? cx : lox; hix = cx > hix ? cx : hix;                                  \
            loy = cy < loy ? cy : loy; hiy = cy > hiy ? cy : hiy;                                  \
            maxw = w > maxw ? w : maxw; maxh = h > maxh ? h : maxh;                                \
            double s = w < h ? w : h;                                                              \
            minside = s < minside ? s : minside;                                                   \
            sumside += 0.5 * ((double) w + (double) h);                                            \
            live++;                                                                                \
        }                                                                                          \
        if (live == 0) {                                                                           \
            for (int64_t p = 0; p < m; p++) kept[p] = 1;                                           \
            return 1;                                                                              \
        }                                                                                          \
        /* Rounding of the computed IoU is small relative to t only if no box is tiny next to   \
         * the coordinates' magnitude. */                                                          \
        if (minside < guard * (mag + 1.0)) return 0;                                               \
        double tb = 0.95 * thr;                                                                    \
        double cell = 0.5 * sumside / (double) live;                                               \
        int64_t gx = (int64_t) ((hix - lox) / cell) + 1, gy = (int64_t) ((hiy - loy) / cell) + 1;  \
        while (gx * gy > 4 * live + 16) {                                                          \
            cell *= 1.5;                                                                           \
            gx = (int64_t) ((hix - lox) / cell) + 1;                                               \
            gy = (int64_t) ((hiy - loy) / cell) + 1;                                               \
        }                                                                                          \
        int64_t ncell = gx * gy;                                                                   \
        int64_t* start = (int64_t*) calloc((size_t) (ncell + 2), sizeof(int64_t));                 \
        int64_t* slot = (int64_t*) malloc((size_t) m * sizeof(int64_t)); /* entry of position */   \
        int64_t* cellof = (int64_t*) malloc((size_t) m * sizeof(int64_t));                         \
        if (!start || !slot || !cellof) {                                                          \
            free(start); free(slot); free(cellof);                                                 \
            return -1;                                                                             \
        }                                                                                          \
        for (int64_t p = 0; p < m; p++) {                                                          \
            T w = c[2][p] - c[0][p] + (T) d, h = c[3][p] - c[1][p] + (T) d;                        \
            if (!(w > 0 && h > 0)) { cellof[p] = -1; continue; }                                   \
            double cx = 0.5 * ((double) c[0][p] + (double) c[2][p] + d), cy = 0.5 * ((double) c[1][p] + (double) c[3][p] + d); \
            int64_t ix = (int64_t) ((cx - lox) / cell), iy = (int64_t) ((cy - loy) / cell);        \
            ix = ix < 0 ? 0 : ix >= gx ? gx - 1 : ix;                                              \
            iy = iy < 0 ? 0 : iy >= gy ? gy - 1 : iy;                                              \
            cellof[p] = iy * gx + ix;                                                              \
            start[cellof[p] + 2]++;                                                                \
        }                                                                                          \
        for (int64_t k = 0; k < ncell; k++) start[k + 2] += start[k + 1];                          \
        /* Counting sort by cell, stable: a cell's entries stay in visiting order. */              \
        for (int64_t p = 0; p < m; p++) {                                                          \
            if (cellof[p] < 0) continue;                                                           \
            int64_t s = start[cellof[p] + 1]++;                                                    \
            slot[p] = s;                                                                           \
            for (int k = 0; k < 5; k++) g[k][s] = c[k][p];                                         \
        }                                                                                          \
        memset(rm, 0, (size_t) m * sizeof *rm);                                                    \
        for (int64_t p = 0; p < m; p++) {                                                          \
            if (cellof[p] < 0) { kept[p] = 1; continue; }                                          \
            int64_t s = slot[p];                                                                   \
            if (rm[s]) continue;                                                                   \
            kept[p] = 1;                                                                           \
            T kx1 = g[0][s], ky1 = g[1][s], kx2 = g[2][s], ky2 = g[3][s], ka = g[4][s];            \
            double w = (double) kx2 - (double) kx1 + d, h = (double) ky2 - (double) ky1 + d;       \
            double rx = (1.0 - tb) * (w / tb < maxw ? w / tb : maxw) * 1.001 + 1e-9 * (mag + 1.0); \
            double ry = (1.0 - tb) * (h / tb < maxh ? h / tb : maxh) * 1.001 + 1e-9 * (mag + 1.0); \
            double cx = 0.5 * ((double) kx1 + (double) kx2 + d), cy = 0.5 * ((double) ky1 + (double) ky2 + d); \
            int64_t x0 = (int64_t) floor((cx - rx - lox) / cell), xe = (int64_t) floor((cx + rx - lox) / cell); \
            int64_t y0 = (int64_t) floor((cy - ry - loy) / cell), ye = (int64_t) floor((cy + ry - loy) / cell); \
            x0 = x0 < 0 ? 0 : x0; y0 = y0 < 0 ? 0 : y0;                                            \
            xe = xe >= gx ? gx - 1 : xe; ye = ye >= gy ? gy - 1 : ye;                              \
            for (int64_t iy = y0; iy <= ye; iy++) {                                                \
                int64_t b = start[iy * gx + x0], e = start[iy * gx + xe + 1];                      \
                sweep(b, e, g[0], g[1], g[2], g[3], g[4], kx1, ky1, kx2, ky2, ka, (T) d, t, rm);   \
            }                                                                                      \
        }                                                                                          \
        free(start); free(slot); free(cellof);                                                     \
        return 1;                                                                                  \
    }                                                                                              \
                                                                                                   \
    static int32_t ne_nms_run_##SFX(int64_t n, const T* boxes, const T* scores, const int64_t* idxs, \
                                    double thr, double d, int ge, int32_t isa, int64_t* keep,       \
                                    int64_t* count) {                                              \
        int32_t st = NE_OK;                                                                        \
        uint64_t* key = (uint64_t*) malloc((size_t) n * sizeof(uint64_t));                         \
        int64_t* order = (int64_t*) malloc((size_t) n * sizeof(int64_t));                          \
        int64_t* run = (int64_t*) malloc((size_t) n * sizeof(int64_t));                           \
        int64_t* tmp = (int64_t*) malloc((size_t) n * sizeof(int64_t));                            \
        T* soa = (T*) malloc((size_t) n * 10 * sizeof(T));                                         \
        ne_rm_##SFX* rm = (ne_rm_##SFX*) malloc((size_t) n * sizeof(ne_rm_##SFX));                 \
        uint8_t* kept = (uint8_t*) calloc((size_t) n, 1);                                          \
        uint8_t* keptid = (uint8_t*) calloc((size_t) n, 1);                                        \
        if (!key || !order || !run || !tmp || !soa || !rm || !kept || !keptid) { st = NE_ERR_OUT_OF_MEMORY; goto done; } \
        for (int64_t i = 0; i < n; i++) { key[i] = ne_nms_key_##SFX(scores[i]); order[i] = i; }    \
        ne_nms_radix(n, key, order, tmp);                                                          \
        memcpy(run, order, (size_t) n * sizeof(int64_t));                                          \
        if (idxs) {                                                                                \
            for (int64_t i = 0; i < n; i++) key[i] = (uint64_t) idxs[i] ^ 0x8000000000000000ull;   \
            ne_nms_radix(n, key, run, tmp);                                                        \
        }                                                                                          \
        T t = ne_nms_thr_##SFX(thr, ge);                                                           \
        ne_nms_sweep_##SFX##_fn sweep = ne_nms_pick_##SFX(isa, ge);                                \
        int pruned = thr >= 0.05 && thr <= 1.0;                                                    \
        double guard = sizeof(T) == 4 ? 1e-3 : 1e-10;                                              \
        T* c[5];                                                                                   \
        T* g[5];                                                                                   \
        for (int k = 0; k < 5; k++) { c[k] = soa + (int64_t) k * n; g[k] = soa + (int64_t) (k + 5) * n; } \
        for (int64_t r0 = 0; r0 < n;) {                                                            \
            int64_t r1 = idxs ? r0 + 1 : n;                                                        \
            while (idxs && r1 < n && idxs[run[r1]] == idxs[run[r0]]) r1++;                         \
            int64_t m = r1 - r0;                                                                   \
            for (int64_t p = 0; p < m; p++) {                                                      \
                const T* bx = boxes + run[r0 + p] * 4;                                             \
                c[0][p] = bx[0]; c[1][p] = bx[1]; c[2][p] = bx[2]; c[3][p] = bx[3];                \
                c[4][p] = (bx[2] - bx[0] + (T) d) * (bx[3] - bx[1] + (T) d);                       \
            }                                                                                      \
            memset(kept, 0, (size_t) m);                                                           \
            int done = 0;                                                                          \
            if (pruned && m > 32) {                                                                \
                done = ne_nms_grid_##SFX(m, c, g, d, thr, t, guard, sweep, rm, kept);              \
                if (done < 0) { st = NE_ERR_OUT_OF_MEMORY; goto done; }                            \
            }                                                                                      \
            if (!done) ne_nms_brute_##SFX(m, c, (T) d, t, sweep, rm, kept);                        \
            for (int64_t p = 0; p < m; p++) if (kept[p]) keptid[run[r0 + p]] = 1;                 \
            r0 = r1;                                                                               \
        }                                                                                          \
        int64_t k = 0;                                                                             \
        for (int64_t i = 0; i < n; i++) if (keptid[order[i]]) keep[k++] = order[i];                \
        *count = k;                                                                                \
    done:                                                                                          \
        free(key); free(order); free(run); free(tmp); free(soa); free(rm); free(kept); free(keptid); \
        return st;                                                                                 \
    }

NE_NMS_DEFINE(float, f32)
NE_NMS_DEFINE(double, f64)

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
