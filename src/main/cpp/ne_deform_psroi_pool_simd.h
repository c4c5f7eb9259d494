/* The channel-lane loops of deformable PS-ROI pooling, compiled once per (dtype, SIMD variant)
 * by ne_deform_psroi_pool_kernels.h (the convention of ne_parallel.h: NE_T, NE_SFX, NE_TARGET).
 * Element-wise, so every variant gives the same bits. */

/* acc[c] += sum of the four weighted corner runs. */
NE_TARGET static void NE_CAT(ne_dps_acc, NE_SFX)(NE_T* restrict acc, const NE_T* restrict x0, const NE_T* restrict x1,
                                                 const NE_T* restrict x2, const NE_T* restrict x3, NE_T w0, NE_T w1,
                                                 NE_T w2, NE_T w3, int64_t len) {
    for (int64_t c = 0; c < len; c++) acc[c] += w0 * x0[c] + w1 * x1[c] + w2 * x2[c] + w3 * x3[c];
}

NE_TARGET static void NE_CAT(ne_dps_axpy, NE_SFX)(NE_T* restrict y, const NE_T* restrict x, NE_T w, int64_t len) {
    for (int64_t c = 0; c < len; c++) y[c] += w * x[c];
}

/* Two weighted sums of one pixel's channels (the trans gradient's x and y terms). */
NE_TARGET static void NE_CAT(ne_dps_axpy2, NE_SFX)(NE_T* restrict tx, NE_T* restrict ty, const NE_T* restrict x, NE_T ex,
                                                   NE_T ey, int64_t len) {
    for (int64_t c = 0; c < len; c++) {
        tx[c] += ex * x[c];
        ty[c] += ey * x[c];
    }
}
