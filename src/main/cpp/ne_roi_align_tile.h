/* ROIAlign's forward tile transpose (included once by ne_roi_align_cpu.c). */
#ifndef NE_ROI_ALIGN_TILE_H
#define NE_ROI_ALIGN_TILE_H

#include <stdint.h>

/* The forward's tile [P][16] (bins x channels, fp32, a full channel block) -> obuf [16][P]. The
 * shared ne_tr_f32 does 16x16 register transposes of 64 shuffles each, all on the one port that
 * also does half the kernel's arithmetic (at 14x14 it cost ~4 ms of shuffles per call). Here the
 * first two of its four stages (moving 4x4 sub-blocks) are done by the loads: each vector is built
 * from four 16-byte loads (vinsertf32x4 from memory), then a 4x4 transpose inside each 128-bit
 * lane (two stages, 32 shuffles) finishes it. The tile has its row count rounded up to 16 (the
 * rows past P are read but only go to masked-off lanes). Moving data: bit-neutral. */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define NE_RA_TILE_TR 1
__attribute__((target("avx512f"))) static void ne_ra_tile_tr_avx512(const float* t, float* d, int64_t P) {
    for (int64_t i0 = 0; i0 < P; i0 += 16) {
        const __mmask16 m = P - i0 >= 16 ? (__mmask16) 0xFFFF : (__mmask16) ((1u << (P - i0)) - 1);
        for (int q = 0; q < 4; q++) {
            __m512 z[4];
            for (int r = 0; r < 4; r++) { /* lane p: row i0 + 4p + r, channels 4q..4q+3 */
                const float* b = t + (i0 + r) * 16 + 4 * q;
                __m512 v = _mm512_castps128_ps512(_mm_loadu_ps(b));
                v = _mm512_insertf32x4(v, _mm_loadu_ps(b + 4 * 16), 1);
                v = _mm512_insertf32x4(v, _mm_loadu_ps(b + 8 * 16), 2);
                z[r] = _mm512_insertf32x4(v, _mm_loadu_ps(b + 12 * 16), 3);
            }
            const __m512 t0 = _mm512_unpacklo_ps(z[0], z[1]), t1 = _mm512_unpackhi_ps(z[0], z[1]);
            const __m512 t2 = _mm512_unpacklo_ps(z[2], z[3]), t3 = _mm512_unpackhi_ps(z[2], z[3]);
            __m512 w[4];
            w[0] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t0), _mm512_castps_pd(t2)));
            w[1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t0), _mm512_castps_pd(t2)));
            w[2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t1), _mm512_castps_pd(t3)));
            w[3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t1), _mm512_castps_pd(t3)));
            for (int c = 0; c < 4; c++) _mm512_mask_storeu_ps(d + (4 * q + c) * P + i0, m, w[c]);
        }
    }
}
#endif

#endif
