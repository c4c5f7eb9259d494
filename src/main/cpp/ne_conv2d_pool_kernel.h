/* The row maxima of the direct path's fused max-pool (ne_conv2d_direct_paths.h), float32, once
 * per SIMD variant (ne_each_isa.h). The same comparisons, in the same order, as max_pool2d's
 * kernels (ne_max_pool2d_kernel.h): max(v, m) = v > m || v is NaN ? v : m, so that the fused
 * result has the bits of conv2d then max_pool2d. */

/* buf[i] = max(row[i], buf[i]) for i < w. */
NE_TARGET static void NE_CAT(ne_c2p_vmax, NE_SFX)(float* restrict buf, const float* restrict row, int64_t w) {
    for (int64_t i = 0; i < w; i++) buf[i] = NE_C2P_MAX(row[i], buf[i]);
}

/* o[ox] = max(buf[ox * sw + off], o[ox]) for ox in [lo, hi). */
NE_TARGET static void NE_CAT(ne_c2p_hmax, NE_SFX)(float* restrict o, const float* restrict buf, int64_t lo, int64_t hi,
                                                  int64_t sw, int64_t off) {
    if (sw == 1)
        for (int64_t ox = lo; ox < hi; ox++) o[ox] = NE_C2P_MAX(buf[ox + off], o[ox]);
    else if (sw == 2)
        for (int64_t ox = lo; ox < hi; ox++) o[ox] = NE_C2P_MAX(buf[2 * ox + off], o[ox]);
    else
        for (int64_t ox = lo; ox < hi; ox++) o[ox] = NE_C2P_MAX(buf[ox * sw + off], o[ox]);
}
