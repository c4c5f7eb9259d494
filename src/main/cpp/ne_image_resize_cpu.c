/* CPU kernel of include/ne_image_resize.h. Integer arithmetic exactly as Pillow's
 * ImagingResampleHorizontal_8bpc / ImagingResampleVertical_8bpc; the vertical pass writes the
 * normalised floats directly. gcc vectorises the row loops; target_clones adds an AVX2 copy
 * chosen at load time (the results are integers until the last step, so every copy gives the
 * same bits). */
#include "ne_image_resize.h"
#include "ne_status.h"

#include <stddef.h>

#define PRECISION_BITS (32 - 8 - 2)
#define HALF (1 << (PRECISION_BITS - 1))

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define NE_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define NE_CLONES
#endif

static inline int32_t clip8(int32_t acc) {
    int32_t v = acc >> PRECISION_BITS;
    return v < 0 ? 0 : (v > 255 ? 255 : v);
}

/* One source row (interleaved) into three planar rows. */
NE_CLONES
static void horizontal_row(const uint8_t* in, int64_t out_w, int64_t hks, const int32_t* first, const int32_t* count,
                           const int32_t* weight, uint8_t* p0, uint8_t* p1, uint8_t* p2) {
    for (int64_t xx = 0; xx < out_w; xx++) {
        const uint8_t* px = in + (int64_t) first[xx] * 3;
        const int32_t* k = weight + xx * hks;
        int32_t s0 = HALF, s1 = HALF, s2 = HALF;
        if (count[xx] == 2) {
            s0 += px[0] * k[0] + px[3] * k[1];
            s1 += px[1] * k[0] + px[4] * k[1];
            s2 += px[2] * k[0] + px[5] * k[1];
        } else {
            for (int32_t t = 0; t < count[xx]; t++, px += 3) {
                s0 += px[0] * k[t];
                s1 += px[1] * k[t];
                s2 += px[2] * k[t];
            }
        }
        p0[xx] = (uint8_t) clip8(s0);
        p1[xx] = (uint8_t) clip8(s1);
        p2[xx] = (uint8_t) clip8(s2);
    }
}

/* One output row of one plane from rows ra (weight wa) and rb (weight wb). */
NE_CLONES
static void vertical2_plain(const uint8_t* restrict a, const uint8_t* restrict b, int32_t wa, int32_t wb, int64_t w,
                            float mean, float std, float* restrict out) {
    for (int64_t x = 0; x < w; x++) {
        int32_t v = (HALF + a[x] * wa + b[x] * wb) >> PRECISION_BITS;
        v = v < 0 ? 0 : (v > 255 ? 255 : v);
        out[x] = ((float) v - mean) / std;
    }
}

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

int32_t ne_image_resize_normalize(int64_t h, int64_t w, const uint8_t* src, int64_t out_h, int64_t out_w,
                                  int64_t hks, const int32_t* hfirst, const int32_t* hcount, const int32_t* hweight,
                                  int64_t vks, const int32_t* vfirst, const int32_t* vcount, const int32_t* vweight,
                                  const float* lut, const int32_t* plane_src, const int32_t* plain, const float* mean,
                                  const float* std, int32_t flip, uint8_t* scratch, float* out) {
    return ne_image_resize_normalize_into(h, w, src, out_h, out_w, hks, hfirst, hcount, hweight, vks, vfirst, vcount,
                                          vweight, lut, plane_src, plain, mean, std, flip, scratch, out, out_w,
                                          out_h * out_w);
}

int32_t ne_image_resize_normalize_into(int64_t h, int64_t w, const uint8_t* src, int64_t out_h, int64_t out_w,
                                       int64_t hks, const int32_t* hfirst, const int32_t* hcount, const int32_t* hweight,
                                       int64_t vks, const int32_t* vfirst, const int32_t* vcount, const int32_t* vweight,
                                       const float* lut, const int32_t* plane_src, const int32_t* plain, const float* mean,
                                       const float* std, int32_t flip, uint8_t* scratch, float* out, int64_t row_stride,
                                       int64_t plane_stride) {
    if (h < 1 || w < 1 || out_h < 1 || out_w < 1 || hks < 0 || vks < 0) return NE_ERR_INVALID_ARGUMENT;
    if (row_stride < out_w || plane_stride < out_h * row_stride) return NE_ERR_INVALID_ARGUMENT;
    if (!src || !lut || !plane_src || !plain || !mean || !std || !scratch || !out) return NE_ERR_INVALID_ARGUMENT;
    if ((hks == 0 && out_w != w) || (vks == 0 && out_h != h)) return NE_ERR_INVALID_ARGUMENT;
    if ((hks > 0 && (!hfirst || !hcount || !hweight)) || (vks > 0 && (!vfirst || !vcount || !vweight))) return NE_ERR_INVALID_ARGUMENT;

    /* Horizontal pass into three planes [3, h, out_w]. */
    uint8_t* planes[3] = {scratch, scratch + h * out_w, scratch + 2 * h * out_w};
    for (int64_t y = 0; y < h; y++) {
        const uint8_t* row = src + y * w * 3;
        if (hks == 0) {
            for (int64_t x = 0; x < w; x++) {
                planes[0][y * w + x] = row[3 * x];
                planes[1][y * w + x] = row[3 * x + 1];
                planes[2][y * w + x] = row[3 * x + 2];
            }
        } else {
            horizontal_row(row, out_w, hks, hfirst, hcount, hweight, planes[0] + y * out_w, planes[1] + y * out_w,
                           planes[2] + y * out_w);
        }
    }

    /* Vertical pass: rows of 8-bit results straight to normalised floats. */
    int32_t acc_stack[4096];
    int32_t* acc = acc_stack;
    if (out_w > 4096) return NE_ERR_INVALID_ARGUMENT; /* the Java side sends wider images to its own kernel */
    for (int p = 0; p < 3; p++) {
        int32_t sp = plane_src[p];
        if (sp < 0 || sp > 2) return NE_ERR_INVALID_ARGUMENT;
        const uint8_t* plane = planes[sp];
        const float* table = lut + p * 256;
        float* o = out + (int64_t) p * plane_stride;
        for (int64_t yy = 0; yy < out_h; yy++) {
            float* orow = o + yy * row_stride;
            for (int64_t x = out_w; x < row_stride; x++) orow[x] = 0.0f; /* the batch's right padding */
            if (vks == 0) {
                static const int32_t one[1] = {1 << PRECISION_BITS};
                vertical_general(plane, out_w, yy, 1, one, table, plain[p], mean[p], std[p], flip, acc, orow);
            } else if (vcount[yy] <= 2 && plain[p] && !flip) {
                const uint8_t* a = plane + (int64_t) vfirst[yy] * out_w;
                const uint8_t* b = vcount[yy] == 2 ? a + out_w : a;
                int32_t wb = vcount[yy] == 2 ? vweight[yy * vks + 1] : 0;
                vertical2_plain(a, b, vweight[yy * vks], wb, out_w, mean[p], std[p], orow);
            } else {
                vertical_general(plane, out_w, vfirst[yy], vcount[yy], vweight + yy * vks, table, plain[p], mean[p], std[p],
                                 flip, acc, orow);
            }
        }
    }
    return NE_OK;
}
