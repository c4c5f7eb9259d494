/* ROIAlign on the CPU (ops.md §1 RA sampler, §2). Layout of the fast path:
 * - The input is transposed once per call into NHWC slabs of NE_CB channels (64 bytes per pixel),
 *   [channel block][N][H][W][NE_CB]; one block of a 200x200 map is 2.5 MB and stays in cache while
 *   the rois sweep over it, and every bilinear tap is one vector load.
 * - The rois are visited in the order of a Morton curve over their centres (per image), so that
 *   consecutive rois touch nearby pixels.
 * - Forward tasks are (channel block x roi range), backward tasks (image x channel block); each
 *   output element is computed by one task in a fixed order, so results are bit-identical for any
 *   thread count, and the backward needs no atomics.
 * The SIMD variant (baseline, AVX2, AVX-512) is chosen at run time; see ne_roi_align_kernel.h. */
#define _POSIX_C_SOURCE 200112L
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ne_roi_align.h"
#include "ne_parallel.h"
#include "ne_status.h"

typedef struct {
    int32_t dtype, isa, aligned, sr;
    int64_t n, c, h, w, k, ph, pw, ncb, cb, chunk;
    double scale;
    const void* in;
    const void* rois;
    const void* gout;
    void* out;
    const int64_t* order;
    int64_t max_y, max_x; /* largest axis tables (PH*gh, PW*gw) over all rois */
} ne_ra_ctx;

/* One roi's geometry, held in double but rounded to the dtype at each step exactly where
 * torchvision computes in its scalar type T. */
typedef struct {
    int64_t batch, gh, gw, count;
    double ys, xs, bh, bw;
} ne_ra_geom;

static void ne_ra_geometry(const ne_ra_ctx* cx, int64_t k, ne_ra_geom* g) {
    double r[5];
    if (cx->dtype == 0) for (int i = 0; i < 5; i++) r[i] = ((const float*) cx->rois)[k * 5 + i];
    else for (int i = 0; i < 5; i++) r[i] = ((const double*) cx->rois)[k * 5 + i];
    double off = cx->aligned ? 0.5 : 0.0;
    g->batch = (int64_t) r[0];
    if (cx->dtype == 0) {
        float xs = (float) (r[1] * cx->scale - off), ys = (float) (r[2] * cx->scale - off);
        float xe = (float) (r[3] * cx->scale - off), ye = (float) (r[4] * cx->scale - off);
        float rw = xe - xs, rh = ye - ys;
        if (!cx->aligned) { /* force malformed rois to 1x1 (legacy behaviour) */
            rw = rw > 1.f ? rw : 1.f;
            rh = rh > 1.f ? rh : 1.f;
        }
        g->xs = xs; g->ys = ys;
        g->bh = rh / (float) cx->ph;
        g->bw = rw / (float) cx->pw;
        g->gh = cx->sr > 0 ? cx->sr : (int64_t) ceilf(rh / (float) cx->ph);
        g->gw = cx->sr > 0 ? cx->sr : (int64_t) ceilf(rw / (float) cx->pw);
    } else {
        double xs = r[1] * cx->scale - off, ys = r[2] * cx->scale - off;
        double xe = r[3] * cx->scale - off, ye = r[4] * cx->scale - off;
        double rw = xe - xs, rh = ye - ys;
        if (!cx->aligned) {
            rw = rw > 1.0 ? rw : 1.0;
            rh = rh > 1.0 ? rh : 1.0;
        }
        g->xs = xs; g->ys = ys;
        g->bh = rh / (double) cx->ph;
        g->bw = rw / (double) cx->pw;
        g->gh = cx->sr > 0 ? cx->sr : (int64_t) ceil(rh / (double) cx->ph);
        g->gw = cx->sr > 0 ? cx->sr : (int64_t) ceil(rw / (double) cx->pw);
    }
    /* A zero or negative size (aligned) gives an empty grid and output 0, never 0/0. */
    if (g->gh < 0) g->gh = 0;
    if (g->gw < 0) g->gw = 0;
    g->count = g->gh * g->gw > 1 ? g->gh * g->gw : 1;
}

#define NE_T float
#define NE_CB 16
#define NE_SFX f32_base
#define NE_TARGET
#include "ne_roi_align_kernel.h"
#undef NE_SFX
#undef NE_TARGET
#define NE_SFX f32_avx2
#define NE_TARGET __attribute__((target("avx2,fma")))
#include "ne_roi_align_kernel.h"
#undef NE_SFX
#undef NE_TARGET
#define NE_SFX f32_avx512
#define NE_TARGET __attribute__((target("avx512f")))
#include "ne_roi_align_kernel.h"
#undef NE_SFX
#undef NE_TARGET
#undef NE_T
#undef NE_CB
#define NE_T double
#define NE_CB 8
#define NE_SFX f64_base
#define NE_TARGET
#include "ne_roi_align_kernel.h"
#undef NE_SFX
#undef NE_TARGET
#define NE_SFX f64_avx2
#define NE_TARGET __attribute__((target("avx2,fma")))
#include "ne_roi_align_kernel.h"
#undef NE_SFX
#undef NE_TARGET
#define NE_SFX f64_avx512
#define NE_TARGET __attribute__((target("avx512f")))
#include "ne_roi_align_kernel.h"
#undef NE_SFX
#undef NE_TARGET
#undef NE_T
#undef NE_CB

static size_t ne_ra_esize(const ne_ra_ctx* cx) {
    return cx->dtype == 0 ? sizeof(float) : sizeof(double);
}

static void* ne_ra_alloc(size_t bytes) {
    void* p = NULL;
    if (bytes == 0) bytes = 64;
    return posix_memalign(&p, 64, bytes) == 0 ? p : NULL;
}

/* NCHW block [c0, c0+cb) of image n -> NHWC slab [H][W][cb], zero-padded past C. */
#define NE_RA_TO_SLAB(T)                                                                         \
    static void ne_ra_to_slab_##T(const T* in, T* slab, int64_t c, int64_t hw, int64_t c0,       \
                                  int64_t cb) {                                                  \
        for (int64_t p = 0; p < hw; p++)                                                          \
            for (int64_t ci = 0; ci < cb; ci++)                                                   \
                slab[p * cb + ci] = c0 + ci < c ? in[(c0 + ci) * hw + p] : (T) 0;                \
    }                                                                                             \
    static void ne_ra_from_slab_##T(const T* slab, T* out, int64_t c, int64_t hw, int64_t c0,    \
                                    int64_t cb) {                                                \
        for (int64_t ci = 0; ci < cb && c0 + ci < c; ci++)                                        \
            for (int64_t p = 0; p < hw; p++) out[(c0 + ci) * hw + p] = slab[p * cb + ci];         \
    }
NE_RA_TO_SLAB(float)
NE_RA_TO_SLAB(double)

static int32_t ne_ra_forward_task(void* ctx, int64_t begin, int64_t end) {
    ne_ra_ctx* cx = (ne_ra_ctx*) ctx;
    int64_t hw = cx->h * cx->w, nchunk = (cx->k + cx->chunk - 1) / cx->chunk;
    size_t es = ne_ra_esize(cx), axs = cx->dtype == 0 ? sizeof(ne_ra_axis_f32_base) : sizeof(ne_ra_axis_f64_base);
    void* ys = malloc(axs * (size_t) (cx->max_y + 1));
    void* xs = malloc(axs * (size_t) (cx->max_x + 1));
    void* tile = ne_ra_alloc(es * (size_t) (cx->ph * cx->pw * cx->cb));
    /* This task's NHWC copy of one channel block (all images): transposed when the block
     * changes, reused while consecutive tasks stay on it, small enough to stay in cache. */
    char* slab = (char*) ne_ra_alloc(es * (size_t) (cx->n * hw * cx->cb));
    int64_t have = -1;
    int32_t st = NE_OK;
    if (ys == NULL || xs == NULL || tile == NULL || slab == NULL) st = NE_ERR_OUT_OF_MEMORY;
    for (int64_t t = begin; t < end && st == NE_OK; t++) { /* t = block * chunks + chunk */
        int64_t b = t / nchunk, ch = t % nchunk, c0 = b * cx->cb;
        int64_t cn = cx->c - c0 < cx->cb ? cx->c - c0 : cx->cb;
        int64_t r0 = ch * cx->chunk, r1 = r0 + cx->chunk < cx->k ? r0 + cx->chunk : cx->k;
        if (have != b) {
            for (int64_t n = 0; n < cx->n; n++) {
                if (cx->dtype == 0)
                    ne_ra_to_slab_float((const float*) cx->in + n * cx->c * hw, (float*) slab + n * hw * cx->cb,
                                        cx->c, hw, c0, cx->cb);
                else
                    ne_ra_to_slab_double((const double*) cx->in + n * cx->c * hw, (double*) slab + n * hw * cx->cb,
                                         cx->c, hw, c0, cx->cb);
            }
            have = b;
        }
        if (cx->dtype == 0) {
            if (cx->isa == NE_ISA_AVX512) ne_ra_fwd_block_f32_avx512(cx, (const float*) slab, c0, cn, r0, r1, ys, xs, tile);
            else if (cx->isa == NE_ISA_AVX2) ne_ra_fwd_block_f32_avx2(cx, (const float*) slab, c0, cn, r0, r1, ys, xs, tile);
            else ne_ra_fwd_block_f32_base(cx, (const float*) slab, c0, cn, r0, r1, ys, xs, tile);
        } else {
            if (cx->isa == NE_ISA_AVX512) ne_ra_fwd_block_f64_avx512(cx, (const double*) slab, c0, cn, r0, r1, ys, xs, tile);
            else if (cx->isa == NE_ISA_AVX2) ne_ra_fwd_block_f64_avx2(cx, (const double*) slab, c0, cn, r0, r1, ys, xs, tile);
            else ne_ra_fwd_block_f64_base(cx, (const double*) slab, c0, cn, r0, r1, ys, xs, tile);
        }
    }
    free(ys);
    free(xs);
    free(tile);
    free(slab);
    return st;
}

static int32_t ne_ra_backward_task(void* ctx, int64_t begin, int64_t end) {
    ne_ra_ctx* cx = (ne_ra_ctx*) ctx;
    int64_t hw = cx->h * cx->w;
    size_t es = ne_ra_esize(cx), axs = cx->dtype == 0 ? sizeof(ne_ra_axis_f32_base) : sizeof(ne_ra_axis_f64_base);
    void* ys = malloc(axs * (size_t) (cx->max_y + 1));
    void* xs = malloc(axs * (size_t) (cx->max_x + 1));
    void* tile = ne_ra_alloc(es * (size_t) (cx->ph * cx->pw * cx->cb));
    void* slab = ne_ra_alloc(es * (size_t) (hw * cx->cb));
    int32_t st = NE_OK;
    if (ys == NULL || xs == NULL || tile == NULL || slab == NULL) st = NE_ERR_OUT_OF_MEMORY;
    for (int64_t t = begin; t < end && st == NE_OK; t++) { /* t = image * blocks + block */
        int64_t n = t / cx->ncb, b = t % cx->ncb, c0 = b * cx->cb;
        int64_t cn = cx->c - c0 < cx->cb ? cx->c - c0 : cx->cb;
        memset(slab, 0, es * (size_t) (hw * cx->cb));
        if (cx->dtype == 0) {
            if (cx->isa == NE_ISA_AVX512) ne_ra_bwd_block_f32_avx512(cx, slab, n, c0, cn, ys, xs, tile);
            else if (cx->isa == NE_ISA_AVX2) ne_ra_bwd_block_f32_avx2(cx, slab, n, c0, cn, ys, xs, tile);
            else ne_ra_bwd_block_f32_base(cx, slab, n, c0, cn, ys, xs, tile);
            ne_ra_from_slab_float(slab, (float*) cx->out + n * cx->c * hw, cx->c, hw, c0, cx->cb);
        } else {
            if (cx->isa == NE_ISA_AVX512) ne_ra_bwd_block_f64_avx512(cx, slab, n, c0, cn, ys, xs, tile);
            else if (cx->isa == NE_ISA_AVX2) ne_ra_bwd_block_f64_avx2(cx, slab, n, c0, cn, ys, xs, tile);
            else ne_ra_bwd_block_f64_base(cx, slab, n, c0, cn, ys, xs, tile);
            ne_ra_from_slab_double(slab, (double*) cx->out + n * cx->c * hw, cx->c, hw, c0, cx->cb);
        }
    }
    free(ys);
    free(xs);
    free(tile);
    free(slab);
    return st;
}

/* Morton order of the roi centres (per image; ties by index), so nearby rois run together. */
typedef struct {
    uint64_t key;
    int64_t index;
} ne_ra_key;

static int ne_ra_key_cmp(const void* a, const void* b) {
    const ne_ra_key* x = (const ne_ra_key*) a;
    const ne_ra_key* y = (const ne_ra_key*) b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static uint64_t ne_ra_spread(uint64_t v) { /* 16 bits -> every other of 32 */
    v &= 0xFFFF;
    v = (v | (v << 8)) & 0x00FF00FF;
    v = (v | (v << 4)) & 0x0F0F0F0F;
    v = (v | (v << 2)) & 0x33333333;
    v = (v | (v << 1)) & 0x55555555;
    return v;
}

/* Validates, fills the shared context (roi order, largest axis tables). */
static int32_t ne_ra_prepare(ne_ra_ctx* cx, int64_t** order_out) {
    *order_out = NULL;
    ne_ra_key* keys = (ne_ra_key*) malloc(sizeof(ne_ra_key) * (size_t) cx->k);
    int64_t* order = (int64_t*) malloc(sizeof(int64_t) * (size_t) cx->k);
    if (keys == NULL || order == NULL) {
        free(keys);
        free(order);
        return NE_ERR_OUT_OF_MEMORY;
    }
    cx->max_y = cx->max_x = 0;
    for (int64_t k = 0; k < cx->k; k++) {
        ne_ra_geom g;
        ne_ra_geometry(cx, k, &g);
        double b = cx->dtype == 0 ? ((const float*) cx->rois)[k * 5] : ((const double*) cx->rois)[k * 5];
        if (!(b >= 0 && b < (double) cx->n)) {
            free(keys);
            free(order);
            return NE_ERR_INDEX_OUT_OF_RANGE;
        }
        if (g.gh * cx->ph > cx->max_y) cx->max_y = g.gh * cx->ph;
        if (g.gw * cx->pw > cx->max_x) cx->max_x = g.gw * cx->pw;
        double cy = g.ys + 0.5 * g.bh * (double) cx->ph, cxx = g.xs + 0.5 * g.bw * (double) cx->pw;
        cy = cy < 0 || cy != cy ? 0 : cy > 65535 ? 65535 : cy;
        cxx = cxx < 0 || cxx != cxx ? 0 : cxx > 65535 ? 65535 : cxx;
        keys[k].key = ((uint64_t) g.batch << 32) | (ne_ra_spread((uint64_t) cy) << 1) | ne_ra_spread((uint64_t) cxx);
        keys[k].index = k;
    }
    qsort(keys, (size_t) cx->k, sizeof(ne_ra_key), ne_ra_key_cmp);
    for (int64_t k = 0; k < cx->k; k++) order[k] = keys[k].index;
    free(keys);
    cx->order = order;
    *order_out = order;
    return NE_OK;
}

static int32_t ne_ra_init(ne_ra_ctx* cx, int32_t dtype, int64_t n, int64_t c, int64_t h, int64_t w, const void* rois,
                          int64_t k, int64_t ph, int64_t pw, double scale, int32_t sr, int32_t aligned, int32_t isa) {
    if (dtype != 0 && dtype != 1) return NE_ERR_UNSUPPORTED_DTYPE;
    if (n < 0 || c < 0 || h < 0 || w < 0 || k < 0 || ph <= 0 || pw <= 0 || !(scale > 0)) return NE_ERR_INVALID_ARGUMENT;
    memset(cx, 0, sizeof(*cx));
    cx->dtype = dtype;
    cx->isa = ne_isa_resolve(isa);
    cx->aligned = aligned != 0;
    cx->sr = sr;
    cx->n = n; cx->c = c; cx->h = h; cx->w = w; cx->k = k; cx->ph = ph; cx->pw = pw;
    cx->scale = scale;
    cx->rois = rois;
    cx->cb = dtype == 0 ? 16 : 8;
    cx->ncb = (c + cx->cb - 1) / cx->cb;
    return NE_OK;
}

int32_t ne_roi_align_forward_cpu(int32_t dtype, const void* input, int64_t n, int64_t c, int64_t h, int64_t w,
                                 const void* rois, int64_t k, int64_t ph, int64_t pw, double spatial_scale,
                                 int32_t sampling_ratio, int32_t aligned, void* output,
                                 int32_t threads, int32_t isa) {
    ne_ra_ctx cx;
    int32_t st = ne_ra_init(&cx, dtype, n, c, h, w, rois, k, ph, pw, spatial_scale, sampling_ratio, aligned, isa);
    if (st != NE_OK || k == 0 || c == 0) return st;
    if (input == NULL && n * h * w > 0) return NE_ERR_INVALID_ARGUMENT;
    if (rois == NULL || output == NULL) return NE_ERR_INVALID_ARGUMENT;
    int64_t* order;
    if ((st = ne_ra_prepare(&cx, &order)) != NE_OK) return st;
    if (h == 0 || w == 0) { /* every sample is outside an empty map */
        memset(output, 0, ne_ra_esize(&cx) * (size_t) (k * c * ph * pw));
        free(order);
        return NE_OK;
    }
    cx.in = input;
    cx.out = output;
    /* Split the rois only when there are fewer channel blocks than threads: each split costs
     * one more transpose of the block. */
    int64_t nchunk = threads > cx.ncb ? (threads + cx.ncb - 1) / cx.ncb : 1;
    if (nchunk > k) nchunk = k;
    cx.chunk = (k + nchunk - 1) / nchunk;
    nchunk = (k + cx.chunk - 1) / cx.chunk;
    st = ne_parallel_for(cx.ncb * nchunk, threads, ne_ra_forward_task, &cx);
    free(order);
    return st;
}

int32_t ne_roi_align_backward_cpu(int32_t dtype, const void* grad_output, const void* rois, int64_t k,
                                  int64_t n, int64_t c, int64_t h, int64_t w, int64_t ph, int64_t pw,
                                  double spatial_scale, int32_t sampling_ratio, int32_t aligned,
                                  void* grad_input, int32_t threads, int32_t isa) {
    ne_ra_ctx cx;
    int32_t st = ne_ra_init(&cx, dtype, n, c, h, w, rois, k, ph, pw, spatial_scale, sampling_ratio, aligned, isa);
    if (st != NE_OK || n * c * h * w == 0) return st;
    if (grad_input == NULL) return NE_ERR_INVALID_ARGUMENT;
    memset(grad_input, 0, ne_ra_esize(&cx) * (size_t) (n * c * h * w));
    if (k == 0) return NE_OK;
    if (rois == NULL || grad_output == NULL) return NE_ERR_INVALID_ARGUMENT;
    int64_t* order;
    if ((st = ne_ra_prepare(&cx, &order)) != NE_OK) return st;
    cx.gout = grad_output;
    cx.out = grad_input;
    st = ne_parallel_for(n * cx.ncb, threads, ne_ra_backward_task, &cx);
    free(order);
    return st;
}

#ifndef WITH_CUDA
/* The CPU build's CUDA entry points say so instead of being absent. */
int32_t ne_roi_align_forward_cuda(int32_t dtype, const void* input, int64_t n, int64_t c, int64_t h, int64_t w,
                                  const void* rois, int64_t k, int64_t ph, int64_t pw, double spatial_scale,
                                  int32_t sampling_ratio, int32_t aligned, void* output, void* stream) {
    (void) dtype; (void) input; (void) n; (void) c; (void) h; (void) w; (void) rois; (void) k; (void) ph;
    (void) pw; (void) spatial_scale; (void) sampling_ratio; (void) aligned; (void) output; (void) stream;
    return NE_ERR_NOT_BUILT_WITH_CUDA;
}

int32_t ne_roi_align_backward_cuda(int32_t dtype, const void* grad_output, const void* rois, int64_t k,
                                   int64_t n, int64_t c, int64_t h, int64_t w, int64_t ph, int64_t pw,
                                   double spatial_scale, int32_t sampling_ratio, int32_t aligned,
                                   int32_t deterministic, void* grad_input, void* stream) {
    (void) dtype; (void) grad_output; (void) rois; (void) k; (void) n; (void) c; (void) h; (void) w; (void) ph;
    (void) pw; (void) spatial_scale; (void) sampling_ratio; (void) aligned; (void) deterministic;
    (void) grad_input; (void) stream;
    return NE_ERR_NOT_BUILT_WITH_CUDA;
}
#endif
