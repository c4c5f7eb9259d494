/* CPU kernel of include/ne_image_resize.h. Integer arithmetic exactly as Pillow's
 * ImagingResampleHorizontal_8bpc / ImagingResampleVertical_8bpc; the vertical pass writes the
 * normalised floats directly. The row kernels have a baseline and an AVX2 variant
 * (ne_image_resize_kernel.h, the convention of ne_parallel.h; AVX-512 runs the AVX2 one). Tasks
 * own source rows (horizontal pass) and output rows (vertical pass): every row is computed on its
 * own, so any thread count gives the same bits. */
#include "ne_image_resize.h"
#include "ne_parallel.h"
#include "ne_status.h"

#include <stddef.h>

#define PRECISION_BITS (32 - 8 - 2)
#define HALF (1 << (PRECISION_BITS - 1))
#define NE_IR_MAX_W 4096

static inline int32_t clip8(int32_t acc) {
    int32_t v = acc >> PRECISION_BITS;
    return v < 0 ? 0 : (v > 255 ? 255 : v);
}

#define NE_SFX base
#define NE_TARGET
#include "ne_image_resize_kernel.h"
#undef NE_SFX
#undef NE_TARGET
#define NE_SFX avx2
#define NE_TARGET NE_TARGET_AVX2
#include "ne_image_resize_kernel.h"
#undef NE_SFX
#undef NE_TARGET

static void vertical_general(const uint8_t* plane, int64_t w, int64_t first, int32_t count, const int32_t* k,
                             const float* lut, int32_t plain, float mean, float std, int32_t flip, int32_t* acc,
                             float* out) {
    for (int64_t x = 0; x < w; x++) acc[x] = HALF;
    for (int32_t t = 0; t < count; t++) {
        const uint8_t* r = plane + (first + t) * w;
        int32_t wt = k[t];
        for (int64_t x = 0; x < w; x++) acc[x] += r[x] * wt;
    }
    for (int64_t x = 0; x < w; x++) {
        int32_t v = clip8(acc[x]);
        float f = plain ? ((float) v - mean) / std : lut[v];
        out[flip ? w - 1 - x : x] = f;
    }
}

typedef struct {
    int32_t isa;
    int64_t h, w, out_h, out_w, hks, vks;
    const uint8_t* src;
    const int32_t *hfirst, *hcount, *hweight, *vfirst, *vcount, *vweight;
    const float* lut;
    const int32_t *plane_src, *plain;
    const float *mean, *std;
    int32_t flip;
    uint8_t* planes[3];
    float* out;
    int64_t row_stride, plane_stride;
} ne_ir_ctx;

/* Horizontal pass over source rows [begin, end) into three planes [3, h, out_w]. */
static int32_t ne_ir_horizontal_task(void* ctx, int64_t begin, int64_t end) {
    const ne_ir_ctx* cx = (const ne_ir_ctx*) ctx;
    const int64_t w = cx->w, out_w = cx->out_w;
    for (int64_t y = begin; y < end; y++) {
        const uint8_t* row = cx->src + y * w * 3;
        uint8_t *p0 = cx->planes[0] + y * out_w, *p1 = cx->planes[1] + y * out_w, *p2 = cx->planes[2] + y * out_w;
        if (cx->hks == 0) {
            for (int64_t x = 0; x < w; x++) {
                p0[x] = row[3 * x];
                p1[x] = row[3 * x + 1];
                p2[x] = row[3 * x + 2];
            }
        } else if (cx->isa >= NE_ISA_AVX2) {
            ne_ir_hrow_avx2(row, out_w, cx->hks, cx->hfirst, cx->hcount, cx->hweight, p0, p1, p2);
        } else {
            ne_ir_hrow_base(row, out_w, cx->hks, cx->hfirst, cx->hcount, cx->hweight, p0, p1, p2);
        }
    }
    return NE_OK;
}

/* Vertical pass over output rows [begin, end) of the three planes (row r: plane r / out_h):
 * rows of 8-bit results straight to normalised floats. */
static int32_t ne_ir_vertical_task(void* ctx, int64_t begin, int64_t end) {
    const ne_ir_ctx* cx = (const ne_ir_ctx*) ctx;
    const int64_t out_h = cx->out_h, out_w = cx->out_w, vks = cx->vks;
    int32_t acc[NE_IR_MAX_W];
    for (int64_t r = begin; r < end; r++) {
        const int p = (int) (r / out_h);
        const int64_t yy = r % out_h;
        const uint8_t* plane = cx->planes[cx->plane_src[p]];
        const float* table = cx->lut + p * 256;
        float* orow = cx->out + (int64_t) p * cx->plane_stride + yy * cx->row_stride;
        for (int64_t x = out_w; x < cx->row_stride; x++) orow[x] = 0.0f; /* the batch's right padding */
        if (vks == 0) {
            static const int32_t one[1] = {1 << PRECISION_BITS};
            vertical_general(plane, out_w, yy, 1, one, table, cx->plain[p], cx->mean[p], cx->std[p], cx->flip, acc, orow);
        } else if (cx->vcount[yy] <= 2 && cx->plain[p] && !cx->flip) {
            const uint8_t* a = plane + (int64_t) cx->vfirst[yy] * out_w;
            const uint8_t* b = cx->vcount[yy] == 2 ? a + out_w : a;
            int32_t wb = cx->vcount[yy] == 2 ? cx->vweight[yy * vks + 1] : 0;
            if (cx->isa >= NE_ISA_AVX2) ne_ir_v2plain_avx2(a, b, cx->vweight[yy * vks], wb, out_w, cx->mean[p], cx->std[p], orow);
            else ne_ir_v2plain_base(a, b, cx->vweight[yy * vks], wb, out_w, cx->mean[p], cx->std[p], orow);
        } else {
            vertical_general(plane, out_w, cx->vfirst[yy], cx->vcount[yy], cx->vweight + yy * vks, table, cx->plain[p],
                             cx->mean[p], cx->std[p], cx->flip, acc, orow);
        }
    }
    return NE_OK;
}

int32_t ne_image_resize_normalize(int64_t h, int64_t w, const uint8_t* src, int64_t out_h, int64_t out_w,
                                  int64_t hks, const int32_t* hfirst, const int32_t* hcount, const int32_t* hweight,
                                  int64_t vks, const int32_t* vfirst, const int32_t* vcount, const int32_t* vweight,
                                  const float* lut, const int32_t* plane_src, const int32_t* plain, const float* mean,
                                  const float* std, int32_t flip, uint8_t* scratch, float* out, int32_t threads,
                                  int32_t isa) {
    return ne_image_resize_normalize_into(h, w, src, out_h, out_w, hks, hfirst, hcount, hweight, vks, vfirst, vcount,
                                          vweight, lut, plane_src, plain, mean, std, flip, scratch, out, out_w,
                                          out_h * out_w, threads, isa);
}

int32_t ne_image_resize_normalize_into(int64_t h, int64_t w, const uint8_t* src, int64_t out_h, int64_t out_w,
                                       int64_t hks, const int32_t* hfirst, const int32_t* hcount, const int32_t* hweight,
                                       int64_t vks, const int32_t* vfirst, const int32_t* vcount, const int32_t* vweight,
                                       const float* lut, const int32_t* plane_src, const int32_t* plain, const float* mean,
                                       const float* std, int32_t flip, uint8_t* scratch, float* out, int64_t row_stride,
                                       int64_t plane_stride, int32_t threads, int32_t isa) {
    if (h < 1 || w < 1 || out_h < 1 || out_w < 1 || hks < 0 || vks < 0) return NE_ERR_INVALID_ARGUMENT;
    if (row_stride < out_w || plane_stride < out_h * row_stride) return NE_ERR_INVALID_ARGUMENT;
    if (!src || !lut || !plane_src || !plain || !mean || !std || !scratch || !out) return NE_ERR_INVALID_ARGUMENT;
    if ((hks == 0 && out_w != w) || (vks == 0 && out_h != h)) return NE_ERR_INVALID_ARGUMENT;
    if ((hks > 0 && (!hfirst || !hcount || !hweight)) || (vks > 0 && (!vfirst || !vcount || !vweight))) return NE_ERR_INVALID_ARGUMENT;
    if (out_w > NE_IR_MAX_W) return NE_ERR_INVALID_ARGUMENT; /* the Java side sends wider images to its own kernel */
    for (int p = 0; p < 3; p++)
        if (plane_src[p] < 0 || plane_src[p] > 2) return NE_ERR_INVALID_ARGUMENT;
    ne_ir_ctx cx = {ne_isa_resolve(isa), h, w, out_h, out_w, hks, vks, src, hfirst, hcount, hweight, vfirst, vcount,
                    vweight, lut, plane_src, plain, mean, std, flip,
                    {scratch, scratch + h * out_w, scratch + 2 * h * out_w}, out, row_stride, plane_stride};
    /* One thread per 64K output elements at most: a small image does not repay starting one. */
    const int64_t t = 3 * out_h * out_w / 65536 + 1;
    const int32_t nt = threads < t ? threads : (int32_t) t;
    int32_t st = ne_parallel_for(h, nt, ne_ir_horizontal_task, &cx);
    if (st != NE_OK) return st;
    return ne_parallel_for(3 * out_h, nt, ne_ir_vertical_task, &cx);
}
