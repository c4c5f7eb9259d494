/* One variant of the activation kernel (ne_activation_cpu.c includes it once per variant, with
 * the convention of ne_parallel.h): NE_T the element type, NE_EXP and NE_FABS its exp and fabs,
 * NE_SFX and NE_TARGET. Blocks of 16 go through a local tile (so out may be x); each element
 * is computed on its own, the same way in the block loop and the tail. */

NE_TARGET static void NE_CAT(ne_act_range, NE_SFX)(int32_t op, const NE_T* x, NE_T* out, int64_t n) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        NE_T t[16];
        if (op == 0) {
            for (int k = 0; k < 16; k++) t[k] = x[i + k] < (NE_T) 0 ? (NE_T) 0 : x[i + k];
        } else {
            for (int k = 0; k < 16; k++) {
                NE_T v = x[i + k], u = NE_EXP(-NE_FABS(v));
                t[k] = NE_ACT_SIGMOID(NE_T, v, u);
            }
        }
        for (int k = 0; k < 16; k++) out[i + k] = t[k];
    }
    for (; i < n; i++) {
        NE_T v = x[i], u = NE_EXP(-NE_FABS(v));
        out[i] = op == 0 ? (v < (NE_T) 0 ? (NE_T) 0 : v) : NE_ACT_SIGMOID(NE_T, v, u);
    }
}
