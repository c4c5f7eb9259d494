/* ROIAlign on the CPU (docs/ops.md §1 RA sampler, §2). Layout of the fast path:
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
#include "ne_roi_align_transpose.h"

typedef struct {
    int32_t dtype, isa, aligned, sr;
    int64_t n, c, h, w, k, ph, pw, ncb, cb, chunk;
    /* The forward's slab: pix channels per pixel (cb, or 2 cb for the paired f32 AVX-512 kernel,
     * ne_roi_align_fwd512.h), sb channels per forward task (== pix), nsb = ceil(c / sb). */
    int64_t pix, sb, nsb;
    double scale;
    const void* in;
    const void* rois;
    const void* gout;
    void* out;
    const int64_t* order;
    int64_t max_y, max_x; /* largest axis tables (PH*gh, PW*gw) over all rois */
    /* Every roi's two axis sample tables, made once per call (ne_ra_prepare) rather than once per
     * roi and channel block: roi k's y table starts at k * max_y, its x table at k * max_x. */
    int64_t *tylo, *tyhi, *txlo, *txhi;
    void *tywl, *tywh, *txwl, *txwh;
    unsigned char *tyv, *txv;
    void* tabmem;
} ne_ra_ctx;

/* One roi's geometry, held in double but rounded to the dtype at each step exactly where
 * torchvision computes in its scalar type T. */
typedef struct {
    int64_t batch, gh, gw, count;
    double ys, xs, bh, bw;
} ne_ra_geom;

/* A task's scratch: the two axis sample tables of the current roi (struct of arrays: slab offsets
 * of the lower/upper neighbour, their weights, validity), the per-bin-row weight products
 * wrow[PH*gh][4][mx] (all the roi's rows, made before its bins are read) and the [PH*PW][NE_CB] tile. Weights are stored as the dtype (void*). */
typedef struct {
    int64_t *ylo, *yhi, *xlo, *xhi;
    void *ywl, *ywh, *xwl, *xwh, *wrow, *tile, *obuf; /* obuf: the tile transposed, before streaming out */
    unsigned char *yv, *xv;
    int64_t mx; /* row length of wrow: max_x rounded up to a vector */
} ne_ra_scr;

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

/* Copies n bytes from an L1-resident buffer to dst (the output) with non-temporal stores for every
 * whole 64-byte line of dst, plain stores for the partial lines at either end. The output (50 MB
 * at 7x7, 200 MB at 14x14) is never read back by the kernel: plain stores first read each line
 * into the cache (RFO) and later write it back, twice the memory traffic. Moving bytes does not
 * change them, so this is bit-neutral. The caller issues ne_ra_stream_fence before the task ends. */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
__attribute__((target("avx512f"))) static void ne_ra_stream_copy_avx512(char* dst, const char* src, size_t n) {
    size_t head = (size_t) ((64 - ((uintptr_t) dst & 63)) & 63);
    if (head > n) head = n;
    memcpy(dst, src, head);
    size_t i = head;
    for (; i + 64 <= n; i += 64) _mm512_stream_ps((float*) (void*) (dst + i), _mm512_loadu_ps((const float*) (const void*) (src + i)));
    memcpy(dst + i, src + i, n - i);
}
static void ne_ra_stream_copy_sse(char* dst, const char* src, size_t n) {
    size_t head = (size_t) ((64 - ((uintptr_t) dst & 63)) & 63);
    if (head > n) head = n;
    memcpy(dst, src, head);
    size_t i = head;
    for (; i + 64 <= n; i += 64)
        for (int q = 0; q < 64; q += 16)
            _mm_stream_ps((float*) (void*) (dst + i + q), _mm_loadu_ps((const float*) (const void*) (src + i + q)));
    memcpy(dst + i, src + i, n - i);
}
static void ne_ra_stream_copy(char* dst, const char* src, size_t n, int32_t isa) {
    if (isa == NE_ISA_AVX512) ne_ra_stream_copy_avx512(dst, src, n);
    else ne_ra_stream_copy_sse(dst, src, n);
}
static void ne_ra_stream_fence(void) { _mm_sfence(); }
#else
static void ne_ra_stream_copy(char* dst, const char* src, size_t n, int32_t isa) {
    (void) isa;
    memcpy(dst, src, n);
}
static void ne_ra_stream_fence(void) {}
#endif

#include "ne_roi_align_tile.h"

#define NE_T float
#define NE_CB 16
#define NE_TRANSPOSE ne_tr_f32
#define NE_S f32
#define NE_KERNEL "ne_roi_align_kernel.h"
#include "ne_each_isa.h"
#undef NE_S
#ifndef NE_RA_NB /* channel blocks per pass of the f32 AVX-512 kernel; 2 measured slower (see there) */
#define NE_RA_NB 1
#endif
#include "ne_roi_align_fwd512.h"
#undef NE_T
#undef NE_CB
#define NE_T double
#define NE_CB 8
#undef NE_TRANSPOSE
#define NE_TRANSPOSE(s, ss, d, ds, r, c, a) ne_tr_f64(s, ss, d, ds, r, c)
#define NE_S f64
#include "ne_each_isa.h"
#undef NE_S
#undef NE_KERNEL
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

/* A task's scratch: the weight rows and the tile, one allocation, 64-byte aligned pieces. */
static void* ne_ra_scr_alloc(const ne_ra_ctx* cx, ne_ra_scr* s) {
    size_t es = ne_ra_esize(cx), mx = ((size_t) cx->max_x + 16) & ~(size_t) 15;
    size_t wbytes = (es * ((size_t) cx->max_y + 1) * 4 * mx + 63) & ~(size_t) 63;
    size_t tbytes = (es * (size_t) ((cx->ph * cx->pw + 15) / 16 * 16 * cx->pix) + 63) & ~(size_t) 63; /* rows to 16 */
    char* base = (char*) ne_ra_alloc(wbytes + 2 * tbytes);
    if (base == NULL) return NULL;
    memset(s, 0, sizeof(*s));
    s->wrow = base;
    s->tile = base + wbytes;
    memset(s->tile, 0, tbytes); /* its rows past P (read, never used, by ne_ra_tile_tr_avx512) */
    s->obuf = base + wbytes + tbytes;
    s->mx = (int64_t) mx;
    return base;
}

/* One allocation for all rois' axis tables (see ne_ra_ctx), 64-byte aligned pieces. */
static int32_t ne_ra_tables_alloc(ne_ra_ctx* cx) {
    size_t es = ne_ra_esize(cx), ny = (size_t) (cx->k * cx->max_y + 16), nx = (size_t) (cx->k * cx->max_x + 16);
    size_t sizes[10] = {8 * ny, 8 * ny, 8 * nx, 8 * nx, es * ny, es * ny, es * nx, es * nx, ny, nx};
    size_t total = 0;
    for (int i = 0; i < 10; i++) total += (sizes[i] + 63) & ~(size_t) 63;
    char* q = (char*) ne_ra_alloc(total);
    if (q == NULL) return NE_ERR_OUT_OF_MEMORY;
    memset(q, 0, total); /* the padding is read (never used) by whole-vector weight products */
    cx->tabmem = q;
    void* ptr[10];
    for (int i = 0; i < 10; i++) {
        ptr[i] = q;
        q += (sizes[i] + 63) & ~(size_t) 63;
    }
    cx->tylo = (int64_t*) ptr[0]; cx->tyhi = (int64_t*) ptr[1]; cx->txlo = (int64_t*) ptr[2]; cx->txhi = (int64_t*) ptr[3];
    cx->tywl = ptr[4]; cx->tywh = ptr[5]; cx->txwl = ptr[6]; cx->txwh = ptr[7];
    cx->tyv = (unsigned char*) ptr[8]; cx->txv = (unsigned char*) ptr[9];
    return NE_OK;
}

/* NCHW channels [c0, c0+cb) of image n -> NHWC slab [H][W][cb] (lanes past C zeroed), and back. */
static void ne_ra_to_slab(const ne_ra_ctx* cx, int64_t n, int64_t c0, int64_t cn, void* slab) {
    int64_t hw = cx->h * cx->w;
    if (cn < cx->pix) memset(slab, 0, ne_ra_esize(cx) * (size_t) (hw * cx->pix));
    if (cx->dtype == 0)
        ne_tr_f32((const float*) cx->in + (n * cx->c + c0) * hw, hw, (float*) slab, cx->pix, cn, hw,
                  cx->isa == NE_ISA_AVX512);
    else
        ne_tr_f64((const double*) cx->in + (n * cx->c + c0) * hw, hw, (double*) slab, cx->pix, cn, hw);
}

static void ne_ra_from_slab(const ne_ra_ctx* cx, int64_t n, int64_t c0, int64_t cn, const void* slab) {
    int64_t hw = cx->h * cx->w;
    if (cx->dtype == 0)
        ne_tr_f32((const float*) slab, cx->cb, (float*) cx->out + (n * cx->c + c0) * hw, hw, hw, cn,
                  cx->isa == NE_ISA_AVX512);
    else
        ne_tr_f64((const double*) slab, cx->cb, (double*) cx->out + (n * cx->c + c0) * hw, hw, hw, cn);
}

/* Forward task t = block * chunks + chunk. The task transposes its channel block (all images)
 * into its own slab when the block changes: with at least as many blocks as threads (the usual
 * case) each block is transposed exactly once per call, by the thread that uses it, so the
 * transpose is spread over the threads and its slab is hot in that core's cache. */
static int32_t ne_ra_forward_task(void* ctx, int64_t begin, int64_t end) {
    ne_ra_ctx* cx = (ne_ra_ctx*) ctx;
    int64_t hw = cx->h * cx->w, nchunk = (cx->k + cx->chunk - 1) / cx->chunk;
    size_t es = ne_ra_esize(cx);
    ne_ra_scr s;
    void* scr = ne_ra_scr_alloc(cx, &s);
    char* slab = (char*) ne_ra_alloc(es * (size_t) (cx->n * hw * cx->pix));
    int64_t have = -1;
    int32_t st = NE_OK;
    if (scr == NULL || slab == NULL) st = NE_ERR_OUT_OF_MEMORY;
    for (int64_t t = begin; t < end && st == NE_OK; t++) {
        int64_t b = t / nchunk, ch = t % nchunk, c0 = b * cx->sb;
        int64_t cn = cx->c - c0 < cx->sb ? cx->c - c0 : cx->sb;
        int64_t r0 = ch * cx->chunk, r1 = r0 + cx->chunk < cx->k ? r0 + cx->chunk : cx->k;
        if (have != b) {
            for (int64_t n = 0; n < cx->n; n++) ne_ra_to_slab(cx, n, c0, cn, slab + es * (size_t) (n * hw * cx->pix));
            have = b;
        }
        if (cx->dtype == 0) {
            if (cx->isa == NE_ISA_AVX512) ne_ra_fwd_f32_z(cx, (const float*) slab, c0, cn, r0, r1, &s);
            else if (cx->isa == NE_ISA_AVX2) ne_ra_fwd_block_f32_avx2(cx, (const float*) slab, c0, cn, r0, r1, &s);
            else ne_ra_fwd_block_f32_base(cx, (const float*) slab, c0, cn, r0, r1, &s);
        } else {
            if (cx->isa == NE_ISA_AVX512) ne_ra_fwd_block_f64_avx512(cx, (const double*) slab, c0, cn, r0, r1, &s);
            else if (cx->isa == NE_ISA_AVX2) ne_ra_fwd_block_f64_avx2(cx, (const double*) slab, c0, cn, r0, r1, &s);
            else ne_ra_fwd_block_f64_base(cx, (const double*) slab, c0, cn, r0, r1, &s);
        }
    }
    ne_ra_stream_fence(); /* the streamed output is visible before the join */
    free(scr);
    free(slab);
    return st;
}

/* Backward task t = image * blocks + block: zero the slab, scatter every roi of the image into
 * it, transpose it into grad_input's channels [c0, c0+cn) of that image (which it overwrites). */
static int32_t ne_ra_backward_task(void* ctx, int64_t begin, int64_t end) {
    ne_ra_ctx* cx = (ne_ra_ctx*) ctx;
    int64_t hw = cx->h * cx->w;
    size_t es = ne_ra_esize(cx);
    ne_ra_scr s;
    void* scr = ne_ra_scr_alloc(cx, &s);
    void* slab = ne_ra_alloc(es * (size_t) (hw * cx->cb));
    int32_t st = NE_OK;
    if (scr == NULL || slab == NULL) st = NE_ERR_OUT_OF_MEMORY;
    for (int64_t t = begin; t < end && st == NE_OK; t++) {
        int64_t n = t / cx->ncb, b = t % cx->ncb, c0 = b * cx->cb;
        int64_t cn = cx->c - c0 < cx->cb ? cx->c - c0 : cx->cb;
        memset(slab, 0, es * (size_t) (hw * cx->cb));
        if (cx->dtype == 0) {
            if (cx->isa == NE_ISA_AVX512) ne_ra_bwd_block_f32_avx512(cx, slab, n, c0, cn, &s);
            else if (cx->isa == NE_ISA_AVX2) ne_ra_bwd_block_f32_avx2(cx, slab, n, c0, cn, &s);
            else ne_ra_bwd_block_f32_base(cx, slab, n, c0, cn, &s);
        } else {
            if (cx->isa == NE_ISA_AVX512) ne_ra_bwd_block_f64_avx512(cx, slab, n, c0, cn, &s);
            else if (cx->isa == NE_ISA_AVX2) ne_ra_bwd_block_f64_avx2(cx, slab, n, c0, cn, &s);
            else ne_ra_bwd_block_f64_base(cx, slab, n, c0, cn, &s);
        }
        ne_ra_from_slab(cx, n, c0, cn, slab);
    }
    free(scr);
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
    if (ne_ra_tables_alloc(cx) != NE_OK) {
        free(keys);
        free(order);
        return NE_ERR_OUT_OF_MEMORY;
    }
    qsort(keys, (size_t) cx->k, sizeof(ne_ra_key), ne_ra_key_cmp);
    for (int64_t k = 0; k < cx->k; k++) order[k] = keys[k].index;
    /* Tables by position in the visiting order, so the kernels stream through them (a table
     * looked up by roi index came from L2/L3 at each roi, and the slab loads waited on it).
     * Scalar arithmetic only: the same bits whichever variant later reads them. */
    for (int64_t r = 0; r < cx->k; r++) {
        ne_ra_geom g;
        ne_ra_geometry(cx, order[r], &g);
        if (cx->dtype == 0) ne_ra_fill_roi_f32_base(cx, r, &g);
        else ne_ra_fill_roi_f64_base(cx, r, &g);
    }
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
    cx->pix = cx->sb = cx->cb;
    cx->nsb = cx->ncb;
    return NE_OK;
}

int32_t ne_roi_align_forward_cpu(int32_t dtype, const void* input, int64_t n, int64_t c, int64_t h, int64_t w,
                                 const void* rois, int64_t k, int64_t ph, int64_t pw, double spatial_scale,
                                 int32_t sampling_ratio, int32_t aligned, void* output,
                                 int32_t threads, int32_t isa) {
    ne_ra_ctx cx;
    int32_t st = ne_ra_init(&cx, dtype, n, c, h, w, rois, k, ph, pw, spatial_scale, sampling_ratio, aligned, isa);
    if (st != NE_OK || k == 0 || c == 0) return st;
#ifdef NE_RA_FWD512
    if (dtype == 0 && cx.isa == NE_ISA_AVX512) { /* [H][W][16 NE_RA_NB] slab of ne_ra_fwd_f32_z */
        cx.pix = cx.sb = 16 * NE_RA_NB;
        cx.nsb = (c + cx.sb - 1) / cx.sb;
    }
#endif
    if (input == NULL && n * h * w > 0) return NE_ERR_INVALID_ARGUMENT;
    if (rois == NULL || output == NULL) return NE_ERR_INVALID_ARGUMENT;
    int64_t* order;
    if ((st = ne_ra_prepare(&cx, &order)) != NE_OK) return st;
    if (h == 0 || w == 0) { /* every sample is outside an empty map */
        memset(output, 0, ne_ra_esize(&cx) * (size_t) (k * c * ph * pw));
        free(cx.tabmem);
        free(order);
        return NE_OK;
    }
    cx.in = input;
    cx.out = output;
    /* Split the rois only when there are fewer channel blocks than threads: each split costs
     * one more transpose of the block. */
    int64_t nchunk = threads > cx.nsb ? (threads + cx.nsb - 1) / cx.nsb : 1;
    if (nchunk > k) nchunk = k;
    cx.chunk = (k + nchunk - 1) / nchunk;
    nchunk = (k + cx.chunk - 1) / cx.chunk;
    st = ne_parallel_for(cx.nsb * nchunk, threads, ne_ra_forward_task, &cx);
    free(cx.tabmem);
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
    if (k == 0) { /* otherwise every (image, channel block) task overwrites its part */
        memset(grad_input, 0, ne_ra_esize(&cx) * (size_t) (n * c * h * w));
        return NE_OK;
    }
    if (rois == NULL || grad_output == NULL) return NE_ERR_INVALID_ARGUMENT;
    int64_t* order;
    if ((st = ne_ra_prepare(&cx, &order)) != NE_OK) return st;
    cx.gout = grad_output;
    cx.out = grad_input;
    st = ne_parallel_for(n * cx.ncb, threads, ne_ra_backward_task, &cx);
    free(cx.tabmem);
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
