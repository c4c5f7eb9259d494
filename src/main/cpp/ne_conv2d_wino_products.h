/* Winograd's products on planes of few tiles (float32, AVX-512; included by ne_conv2d_cpu.c after
 * ne_gemm.h): M[co][0:tb] = U[co][0:k] V[0:k][0:tb] for tb <= 16, one vector of tiles, U in
 * ne_gemm_pa's packed 12-row panels ([k][12] each), V [k][vld] (ne_c2_forward_winograd writes it 16
 * wide for this kernel: half of ne_gemm_pb's 32-wide panel, whose zero half its input transform
 * stored for nothing; hot 0.64 -> 0.56 ms on 14x14). Each element is one fma chain over ascending k from
 * +0, as ne_gemm_pab's with zero set: the same bits as the AVX2 and baseline variants, which
 * keep ne_gemm_pab.
 * Why: 3x3 256->256 on 14x14 (16 tiles) reads U, 9.4 MiB, once per call with only 16 fmas per
 * element. Hot in cache the layer takes 0.74 ms; with its weights cold, as in a whole network
 * (tools/profile/conv_profile.c with COPIES=40), 1.55-1.72 ms: the time is the U stream, whose
 * hardware prefetch stops at every 4 KiB page. This kernel prefetches U NE_C2_WINO_PF bytes
 * ahead of its reads (across the panels and the 36 matrices, which lie back to back): cold
 * 0.89-1.06 ms, about 9-10 GB/s of U, whatever the distance (2-16 KiB) or hint (T0/T1/T2).
 * Fetching U's first 0.5-1.5 MiB towards L2 during the input transform (0.17 ms) changed
 * nothing measurable: the stream is bandwidth-bound. Fewer bytes (F(2x2,3x3): 4 MiB) is what
 * is left; not done. */

#ifndef NE_C2_WINO_PF
#define NE_C2_WINO_PF 4096
#endif

/* Rows [0, m) of M (ldm = tb) from U packed as ne_gemm_pa's A for (m, k): per NE_GEMM_KC block
 * of k (kk), the panel of rows i0 at U + kk * mp + i0 * kb (mp: m rounded up to 12). */
NE_TARGET_AVX512 static void ne_c2_wino_few_f32_avx512(int64_t m, int64_t k, const float* U, const float* V, int64_t vld,
                                                       float* M, int64_t tb) {
    const __mmask16 mask = tb >= 16 ? (__mmask16) 0xffff : (__mmask16) ((1u << tb) - 1);
    const int64_t mp = (m + 11) / 12 * 12;
    for (int64_t i0 = 0; i0 < m; i0 += 12) {
        __m512 c0 = _mm512_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
        __m512 c6 = c0, c7 = c0, c8 = c0, c9 = c0, ca = c0, cb = c0;
        for (int64_t k0 = 0; k0 < k; k0 += NE_GEMM_KC) {
            const int64_t kb = k - k0 < NE_GEMM_KC ? k - k0 : NE_GEMM_KC;
            const float* a = U + k0 * mp + i0 * kb;
            const float* v = V + k0 * vld;
            for (int64_t kk = 0; kk < kb; kk++, a += 12, v += vld) {
                _mm_prefetch((const char*) a + NE_C2_WINO_PF, _MM_HINT_T0);
                const __m512 b = _mm512_loadu_ps(v);
                c0 = _mm512_fmadd_ps(_mm512_set1_ps(a[0]), b, c0);
                c1 = _mm512_fmadd_ps(_mm512_set1_ps(a[1]), b, c1);
                c2 = _mm512_fmadd_ps(_mm512_set1_ps(a[2]), b, c2);
                c3 = _mm512_fmadd_ps(_mm512_set1_ps(a[3]), b, c3);
                c4 = _mm512_fmadd_ps(_mm512_set1_ps(a[4]), b, c4);
                c5 = _mm512_fmadd_ps(_mm512_set1_ps(a[5]), b, c5);
                c6 = _mm512_fmadd_ps(_mm512_set1_ps(a[6]), b, c6);
                c7 = _mm512_fmadd_ps(_mm512_set1_ps(a[7]), b, c7);
                c8 = _mm512_fmadd_ps(_mm512_set1_ps(a[8]), b, c8);
                c9 = _mm512_fmadd_ps(_mm512_set1_ps(a[9]), b, c9);
                ca = _mm512_fmadd_ps(_mm512_set1_ps(a[10]), b, ca);
                cb = _mm512_fmadd_ps(_mm512_set1_ps(a[11]), b, cb);
            }
        }
        const int64_t mb = m - i0 < 12 ? m - i0 : 12;
        float* c = M + i0 * tb;
        const __m512 cs[12] = {c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, ca, cb};
        for (int64_t r = 0; r < mb; r++) _mm512_mask_storeu_ps(c + r * tb, mask, cs[r]);
    }
}
