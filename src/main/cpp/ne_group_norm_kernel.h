/* One variant of the GroupNorm kernels (ne_group_norm_cpu.c includes it once per variant, with
 * the convention of ne_parallel.h): NE_T the element type, NE_I the integer type of its width,
 * NE_GN_LOAD(p) the accumulation of the 16 elements at p (NE_GN_ACC of two 8-double vectors),
 * NE_SFX and NE_TARGET. */

/* Sums of d = x - k and d*d over x[0, len), in 16 lanes (two vectors of 8 doubles: element i of
 * each block of 16 goes to lane i), then the lanes in order, then the tail. */
NE_TARGET static void NE_CAT(ne_gn_sums, NE_SFX)(const NE_T* x, int64_t len, double k, double* out2) {
    const ne_gn_v8d kv = {k, k, k, k, k, k, k, k};
    ne_gn_v8d s0 = {0}, s1 = {0}, q0 = {0}, q1 = {0};
    int64_t i = 0;
    for (; i + 16 <= len; i += 16) NE_GN_LOAD(x + i);
    double ts = 0, tq = 0;
    for (int l = 0; l < 8; l++) ts += s0[l];
    for (int l = 0; l < 8; l++) ts += s1[l];
    for (int l = 0; l < 8; l++) tq += q0[l];
    for (int l = 0; l < 8; l++) tq += q1[l];
    out2[0] = ts;
    out2[1] = tq;
    for (; i < len; i++) {
        double d = (double) x[i] - k;
        out2[0] += d;
        out2[1] += d * d;
    }
}

/* out = relu?((x - m) * a + b) over one plane, in 64-byte blocks (out may be x). */
NE_TARGET static void NE_CAT(ne_gn_plane, NE_SFX)(const NE_T* x, int64_t hw, NE_T m, NE_T a, NE_T b, int32_t relu,
                                                  NE_T* out, int32_t stream) {
    typedef NE_T V __attribute__((vector_size(64)));
    typedef NE_I I __attribute__((vector_size(64)));
    enum { L = 64 / sizeof(NE_T) };
    const V mv = (V) {0} + m, av = (V) {0} + a, bv = (V) {0} + b, zero = {0};
    int64_t i = 0;
    if (relu) {
        for (; i + L <= hw; i += L) {
            V v;
            memcpy(&v, x + i, sizeof v);
            v = (v - mv) * av + bv;
            v = (V) ((I) v & ~(v < zero));
            NE_STORE64(out + i, v, stream);
        }
    } else {
        for (; i + L <= hw; i += L) {
            V v;
            memcpy(&v, x + i, sizeof v);
            v = (v - mv) * av + bv;
            NE_STORE64(out + i, v, stream);
        }
    }
    for (; i < hw; i++) {
        NE_T t = (x[i] - m) * a + b;
        out[i] = relu && t < (NE_T) 0 ? (NE_T) 0 : t;
    }
}
