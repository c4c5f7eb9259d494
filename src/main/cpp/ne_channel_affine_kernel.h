/* One variant of the channel-affine plane kernel (ne_channel_affine_cpu.c includes it once per
 * variant, with the convention of ne_parallel.h): NE_T the element type, NE_I the integer type
 * of its width, NE_SFX and NE_TARGET.
 *
 * One plane: 64-byte vectors (GCC vector types, so every isa computes the same lanes), loaded
 * whole before the store of the same block (so out may be x or r), the flags hoisted out of the
 * loop (four specialised loops, NE_CA_LOOP), a scalar tail with the same operations. ReLU keeps
 * NaN and -0: lanes where t < 0 are cleared. */

NE_TARGET static void NE_CAT(ne_ca_plane, NE_SFX)(const NE_T* x, const NE_T* r, int64_t hw, NE_T s, NE_T b,
                                                  int32_t relu, NE_T* out, int32_t stream) {
    typedef NE_T V __attribute__((vector_size(64)));
    typedef NE_I I __attribute__((vector_size(64)));
    enum { L = 64 / sizeof(NE_T) };
    const V sv = (V) {0} + s, bv = (V) {0} + b, zero = {0};
    int64_t i = 0;
    if (r && relu) NE_CA_LOOP(NE_T, V, I, 1, 1)
    else if (r) NE_CA_LOOP(NE_T, V, I, 1, 0)
    else if (relu) NE_CA_LOOP(NE_T, V, I, 0, 1)
    else NE_CA_LOOP(NE_T, V, I, 0, 0)
    for (; i < hw; i++) {
        NE_T t = x[i] * s + b;
        if (r) t = t + r[i];
        if (relu) t = t < (NE_T) 0 ? (NE_T) 0 : t;
        out[i] = t;
    }
}
