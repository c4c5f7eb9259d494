/* The transforms of the direct path's 1-D Winograd F(4,4) along the width (the stem's 7x7/2
 * convolution split into its two stride-2 phases: ne_conv2d_direct_paths.h), float32, once per
 * SIMD variant (ne_each_isa.h). Plain multiplies and adds in a fixed order (the build has
 * -ffp-contract=off), so that every variant rounds alike; the points are 0, 1, -1, 2, -2, -1/2
 * and infinity. Not a public header. */

/* V = B^T d for the tiles q < n of one phase row: v_l[q] = sum_s BT[l][s] d_s[q], d_s[q] = the
 * row's element 4q + s. */
NE_TARGET static void NE_CAT(ne_c2wx_bt, NE_SFX)(float* restrict v0, float* restrict v1, float* restrict v2, float* restrict v3,
                                                 float* restrict v4, float* restrict v5, float* restrict v6, const float* e0,
                                                 const float* e1, const float* e2, const float* e3, int64_t n) {
    for (int64_t q = 0; q < n; q++) {
        const float d0 = e0[q], d1 = e1[q], d2 = e2[q], d3 = e3[q], d4 = e0[q + 1], d5 = e1[q + 1], d6 = e2[q + 1];
        v0[q] = ((((d0 * 2.0f + d1 * 4.0f) - d2 * 2.5f) - d3 * 5.0f) + d4 * 0.5f) + d5;
        v1[q] = ((((d5 - d1 * 2.0f) - d2 * 6.0f) - d3 * 3.5f) + d4 * 1.5f);
        v2[q] = ((((d1 * 2.0f + d2 * 2.0f) - d3 * 4.5f) - d4 * 0.5f) + d5);
        v3[q] = (((d5 - d1) - d2 * 2.5f) + d4 * 2.5f);
        v4[q] = ((((d1 + d2 * 1.5f) - d3 * 2.0f) - d4 * 1.5f) + d5);
        v5[q] = ((d1 * 4.0f - d3 * 5.0f) + d5);
        v6[q] = (((((d1 * 2.0f + d2 * 4.0f) - d3 * 2.5f) - d4 * 5.0f) + d5 * 0.5f) + d6);
    }
}

/* One phase row d (its elements 0 .. 4*ltq + 3 read) into v[l * ltq + q], l < 7, q < ltq: the
 * row deinterleaved by 4 into tmp (4 * (ltq + 1) floats), then B^T. */
NE_TARGET static void NE_CAT(ne_c2wx_in, NE_SFX)(const float* restrict d, float* restrict v, int64_t ltq, float* restrict tmp) {
    const int64_t n = ltq + 1;
    float *restrict e0 = tmp, *restrict e1 = tmp + n, *restrict e2 = tmp + 2 * n, *restrict e3 = tmp + 3 * n;
    for (int64_t q = 0; q < n; q++) {
        e0[q] = d[4 * q];
        e1[q] = d[4 * q + 1];
        e2[q] = d[4 * q + 2];
        e3[q] = d[4 * q + 3];
    }
    NE_CAT(ne_c2wx_bt, NE_SFX)(v, v + ltq, v + 2 * ltq, v + 3 * ltq, v + 4 * ltq, v + 5 * ltq, v + 6 * ltq, e0, e1, e2, e3, ltq);
}

/* y = A^T m for one register block: m[(l * 8 + c) * 48 + q] (l < 7: the 7 products' sums of
 * channel c, tile q) into y[c * 192 + 4q + u], u < 4 (the block's 192 output columns). */
NE_TARGET static void NE_CAT(ne_c2wx_out, NE_SFX)(const float* restrict m, float* restrict y) {
    for (int c = 0; c < 8; c++) {
        const float *m0 = m + c * 48, *m1 = m0 + 384, *m2 = m0 + 2 * 384, *m3 = m0 + 3 * 384, *m4 = m0 + 4 * 384;
        const float *m5 = m0 + 5 * 384, *m6 = m0 + 6 * 384;
        float* o = y + c * 192;
        for (int q = 0; q < 48; q++) {
            const float a = m1[q] + m2[q], b = m1[q] - m2[q], cc = m3[q] + m4[q], e = m3[q] - m4[q];
            o[4 * q] = ((m0[q] + a) + cc) + m5[q];
            o[4 * q + 1] = (b + e * 2.0f) - m5[q] * 0.5f;
            o[4 * q + 2] = (a + cc * 4.0f) + m5[q] * 0.25f;
            o[4 * q + 3] = ((b + e * 8.0f) - m5[q] * 0.125f) + m6[q];
        }
    }
}
