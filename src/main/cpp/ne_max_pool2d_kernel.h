/* One variant of the max-pooling row kernels (ne_max_pool2d_cpu.c includes it once per
 * variant, with the convention of ne_parallel.h): NE_T the element type, NE_SFX and NE_TARGET. */

/* buf[i] = max(buf[i], row[i]) for i < w. */
NE_TARGET static void NE_CAT(ne_mp_vmax, NE_SFX)(NE_T* restrict buf, const NE_T* restrict row, int64_t w) {
    for (int64_t i = 0; i < w; i++) buf[i] = NE_MP_MAX(row[i], buf[i]);
}

/* o[ox] = max(o[ox], buf[ox * SW + off]) for ox in [lo, hi): one kernel column of a row of
 * outputs; SW a constant (1, 2: the strides that occur) so the loads vectorise, else sw. */
NE_TARGET static void NE_CAT(ne_mp_hmax, NE_SFX)(NE_T* restrict o, const NE_T* restrict buf, int64_t lo, int64_t hi,
                                                 int64_t sw, int64_t off) {
    if (sw == 1)
        for (int64_t ox = lo; ox < hi; ox++) o[ox] = NE_MP_MAX(buf[ox + off], o[ox]);
    else if (sw == 2)
        for (int64_t ox = lo; ox < hi; ox++) o[ox] = NE_MP_MAX(buf[2 * ox + off], o[ox]);
    else
        for (int64_t ox = lo; ox < hi; ox++) o[ox] = NE_MP_MAX(buf[ox * sw + off], o[ox]);
}
