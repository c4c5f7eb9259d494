/* One variant of deformable convolution's three channel-run loops (ne_deform_conv_kernels.h
 * includes it once per variant, with the convention of ne_parallel.h): NE_T the element type,
 * NE_SFX (e.g. f32_avx2) and NE_TARGET. Every loop is element-wise or accumulates in 16 lanes
 * fixed by the source (NE_DCN_COORD_STEP), so every variant gives the same bits. */

/* dst[c] = sum_k w_k * x_k[c]: one column run. */
NE_TARGET static void NE_CAT(ne_dcn_row, NE_SFX)(NE_T* restrict dst, const NE_T* restrict x0, const NE_T* restrict x1,
                                                 const NE_T* restrict x2, const NE_T* restrict x3, NE_T w0, NE_T w1,
                                                 NE_T w2, NE_T w3, int64_t len) {
    for (int64_t c = 0; c < len; c++) dst[c] = w0 * x0[c] + w1 * x1[c] + w2 * x2[c] + w3 * x3[c];
}

/* Grad offset / mask partial sums of one run: lane j takes channels c = j (mod 16) of the run. */
NE_TARGET static void NE_CAT(ne_dcn_coordrun, NE_SFX)(const NE_T* restrict x0, const NE_T* restrict x1,
                                                      const NE_T* restrict x2, const NE_T* restrict x3,
                                                      const NE_T* restrict dc, const NE_FN(ne_dcn_tapb)* restrict b,
                                                      NE_T* restrict acc, int64_t len) {
    int64_t c0 = 0;
    for (; c0 + 16 <= len; c0 += 16)
        for (int j = 0; j < 16; j++) NE_DCN_COORD_STEP(c0 + j, j)
    for (int j = 0; c0 + j < len; j++) NE_DCN_COORD_STEP(c0 + j, j)
}

/* gx_k[c] += w_k * dc[c], corner by corner (corners are distinct pixels or skipped). */
NE_TARGET static void NE_CAT(ne_dcn_scatter, NE_SFX)(NE_T* restrict gx, const NE_T* restrict dc, NE_T wk, int64_t len) {
    for (int64_t c = 0; c < len; c++) gx[c] += wk * dc[c];
}
