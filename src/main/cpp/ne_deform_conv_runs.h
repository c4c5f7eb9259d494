/* One variant of deformable convolution's three channel-run loops (ne_deform_conv_kernels.h
 * includes it once per variant, with the convention of ne_parallel.h): NE_T the element type,
 * NE_SFX (e.g. f32_avx2) and NE_TARGET. Every loop is element-wise or accumulates in 16 lanes
 * fixed by the source (c mod 16 of a run), so every variant gives the same bits. */

/* dst[c] = sum_k w_k * x_k[c]: one column run. */
NE_TARGET static void NE_CAT(ne_dcn_row, NE_SFX)(NE_T* restrict dst, const NE_T* restrict x0, const NE_T* restrict x1,
                                                 const NE_T* restrict x2, const NE_T* restrict x3, NE_T w0, NE_T w1,
                                                 NE_T w2, NE_T w3, int64_t len) {
    for (int64_t c = 0; c < len; c++) dst[c] = w0 * x0[c] + w1 * x1[c] + w2 * x2[c] + w3 * x3[c];
}

/* Grad offset / mask partial sums of one run: the dot products of the column gradient with the
 * four corner runs, acc[16 k + j] += dc[c] * x_k[c] for the channels c = j (mod 16) of the run
 * (their combination with the corners' coefficients is per (position, tap), ne_dcn_coord). */
NE_TARGET static void NE_CAT(ne_dcn_coordrun, NE_SFX)(const NE_T* restrict x0, const NE_T* restrict x1,
                                                      const NE_T* restrict x2, const NE_T* restrict x3,
                                                      const NE_T* restrict dc, NE_T* restrict acc, int64_t len) {
    NE_T a0[16], a1[16], a2[16], a3[16];
    for (int j = 0; j < 16; j++) {
        a0[j] = acc[j];
        a1[j] = acc[16 + j];
        a2[j] = acc[32 + j];
        a3[j] = acc[48 + j];
    }
    int64_t c0 = 0;
    for (; c0 + 16 <= len; c0 += 16)
        for (int j = 0; j < 16; j++) {
            const NE_T d = dc[c0 + j];
            a0[j] += d * x0[c0 + j];
            a1[j] += d * x1[c0 + j];
            a2[j] += d * x2[c0 + j];
            a3[j] += d * x3[c0 + j];
        }
    for (int j = 0; c0 + j < len; j++) {
        const NE_T d = dc[c0 + j];
        a0[j] += d * x0[c0 + j];
        a1[j] += d * x1[c0 + j];
        a2[j] += d * x2[c0 + j];
        a3[j] += d * x3[c0 + j];
    }
    for (int j = 0; j < 16; j++) {
        acc[j] = a0[j];
        acc[16 + j] = a1[j];
        acc[32 + j] = a2[j];
        acc[48 + j] = a3[j];
    }
}

/* ne_dcn_coordrun and, in the same pass, gx_k[c] += w_k * dc[c] for the four corners (four
 * distinct pixels: the caller uses it only when every corner is inside). */
NE_TARGET static void NE_CAT(ne_dcn_coordscatter, NE_SFX)(const NE_T* restrict x0, const NE_T* restrict x1,
                                                          const NE_T* restrict x2, const NE_T* restrict x3,
                                                          const NE_T* restrict dc, NE_T* restrict acc,
                                                          NE_T* restrict g0, NE_T* restrict g1, NE_T* restrict g2,
                                                          NE_T* restrict g3, NE_T w0, NE_T w1, NE_T w2, NE_T w3,
                                                          int64_t len) {
    NE_T a0[16], a1[16], a2[16], a3[16];
    for (int j = 0; j < 16; j++) {
        a0[j] = acc[j];
        a1[j] = acc[16 + j];
        a2[j] = acc[32 + j];
        a3[j] = acc[48 + j];
    }
    int64_t c0 = 0;
    for (; c0 + 16 <= len; c0 += 16)
        for (int j = 0; j < 16; j++) {
            const NE_T d = dc[c0 + j];
            a0[j] += d * x0[c0 + j];
            a1[j] += d * x1[c0 + j];
            a2[j] += d * x2[c0 + j];
            a3[j] += d * x3[c0 + j];
            g0[c0 + j] += w0 * d;
            g1[c0 + j] += w1 * d;
            g2[c0 + j] += w2 * d;
            g3[c0 + j] += w3 * d;
        }
    for (int j = 0; c0 + j < len; j++) {
        const NE_T d = dc[c0 + j];
        a0[j] += d * x0[c0 + j];
        a1[j] += d * x1[c0 + j];
        a2[j] += d * x2[c0 + j];
        a3[j] += d * x3[c0 + j];
        g0[c0 + j] += w0 * d;
        g1[c0 + j] += w1 * d;
        g2[c0 + j] += w2 * d;
        g3[c0 + j] += w3 * d;
    }
    for (int j = 0; j < 16; j++) {
        acc[j] = a0[j];
        acc[16 + j] = a1[j];
        acc[32 + j] = a2[j];
        acc[48 + j] = a3[j];
    }
}

/* gx_k[c] += w_k * dc[c], corner by corner (corners are distinct pixels or skipped). */
NE_TARGET static void NE_CAT(ne_dcn_scatter, NE_SFX)(NE_T* restrict gx, const NE_T* restrict dc, NE_T wk, int64_t len) {
    for (int64_t c = 0; c < len; c++) gx[c] += wk * dc[c];
}
