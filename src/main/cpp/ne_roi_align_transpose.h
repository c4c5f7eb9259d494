/* Strided 2-D transposes between NCHW planes and channels-last blocks, shared by the ROIAlign and
 * ROIPool CPU kernels (included by ne_roi_align_cpu.c and ne_roi_pool_cpu.c; the name keeps it out
 * of the op-header namespace, which lives in include/).
 *
 * ne_tr_T(src, ss, dst, ds, rows, cols, isa): dst[j*ds + i] = src[i*ss + j] for i < rows, j < cols.
 * Moving data never changes a bit, so the AVX-512 path (16x16 register transposes of 32-bit
 * elements, used for float and int32) and the scalar fallback give the same result; the choice
 * only matters for speed. Every layout change in these kernels (input -> NHWC slab, per-roi tile
 * -> NCHW output, grad_output -> tile, slab -> grad_input) is one of these, done in 16x16 pieces
 * so that each piece stays in registers instead of a scalar element-by-element pass. */
#ifndef NE_ROI_ALIGN_TRANSPOSE_H
#define NE_ROI_ALIGN_TRANSPOSE_H

#include <stdint.h>
#include <string.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define NE_TR_X86 1
#endif

#ifdef NE_TR_X86
/* One 16x16 block of 32-bit elements: 16 row loads, 64 shuffles, 16 row stores (unaligned). */
__attribute__((target("avx512f"))) static inline void ne_tr16_avx512(const float* s, int64_t ss, float* d,
                                                                     int64_t ds) {
    __m512 r[16], t[16];
    for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(s + i * ss);
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
        r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
        r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    /* r[4q + m] now holds, per 128-bit lane L, column 4L + (m's column) of rows 4q..4q+3. */
    for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
        t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xDD);
        t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
        t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xDD);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xDD);
        r[i + 4] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0x88);
        r[i + 12] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0xDD);
    }
    for (int i = 0; i < 16; i++) _mm512_storeu_ps(d + i * ds, r[i]);
}

__attribute__((target("avx512f"))) static void ne_tr_f32_avx512(const float* s, int64_t ss, float* d, int64_t ds,
                                                                int64_t rows, int64_t cols) {
    int64_t i = 0;
    for (; i + 16 <= rows; i += 16) {
        int64_t j = 0;
        for (; j + 16 <= cols; j += 16) ne_tr16_avx512(s + i * ss + j, ss, d + j * ds + i, ds);
        for (; j < cols; j++)
            for (int64_t a = i; a < i + 16; a++) d[j * ds + a] = s[a * ss + j];
    }
    for (; i < rows; i++)
        for (int64_t j = 0; j < cols; j++) d[j * ds + i] = s[i * ss + j];
}
#endif

static void ne_tr_f32(const float* s, int64_t ss, float* d, int64_t ds, int64_t rows, int64_t cols, int32_t avx512) {
#ifdef NE_TR_X86
    if (avx512) {
        ne_tr_f32_avx512(s, ss, d, ds, rows, cols);
        return;
    }
#endif
    (void) avx512;
    /* Walk the destination row by row in short source strips (cache-friendlier than one axis). */
    for (int64_t j0 = 0; j0 < cols; j0 += 16) {
        int64_t j1 = j0 + 16 < cols ? j0 + 16 : cols;
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = j0; j < j1; j++) d[j * ds + i] = s[i * ss + j];
    }
}

static void ne_tr_i32(const int32_t* s, int64_t ss, int32_t* d, int64_t ds, int64_t rows, int64_t cols,
                      int32_t avx512) {
#ifdef NE_TR_X86
    /* The vector path moves the 32-bit patterns unchanged (the intrinsics' loads and stores may
     * alias any type, and shuffles do no arithmetic). */
    if (avx512) {
        ne_tr_f32_avx512((const float*) (const void*) s, ss, (float*) (void*) d, ds, rows, cols);
        return;
    }
#endif
    (void) avx512;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++) d[j * ds + i] = s[i * ss + j];
}

static void ne_tr_f64(const double* s, int64_t ss, double* d, int64_t ds, int64_t rows, int64_t cols) {
    for (int64_t j0 = 0; j0 < cols; j0 += 8) {
        int64_t j1 = j0 + 8 < cols ? j0 + 8 : cols;
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = j0; j < j1; j++) d[j * ds + i] = s[i * ss + j];
    }
}

#endif
