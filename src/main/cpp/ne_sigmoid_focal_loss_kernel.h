/* One row of hard targets, compiled once per (dtype, SIMD variant) by ne_sigmoid_focal_loss_cpu.c
 * (the convention of ne_parallel.h), which defines before each inclusion NE_T, NE_FL_HARD (the
 * per-element function of ne_sigmoid_focal_loss_math.h for NE_T), NE_SFX and NE_TARGET.
 *
 * Positive column `pos` (-1: none) for labels, else dense 0/1 targets t. grad: g is grad_loss's
 * row. Four plain loops rather than one with selects between them: a load under a condition
 * (t[j] only when t is given) stops the vectoriser without AVX-512. */

#define NE_FL_HARD_LOOP(POS, GRAD) \
    for (int64_t j = 0; j < c; j++) out[j] = GRAD(NE_FL_HARD(x[j], POS, gamma, alpha, g != NULL))
#define NE_FL_LOSS(v) (v)
#define NE_FL_GRAD(v) (g[j] * (v))

NE_TARGET static void NE_CAT(ne_fl_hard_row, NE_SFX)(const NE_T* x, const NE_T* t, int64_t pos, int64_t c, NE_T gamma,
                                                     NE_T alpha, const NE_T* g, NE_T* out) {
    if (t != NULL && g == NULL) NE_FL_HARD_LOOP(t[j] == (NE_T) 1, NE_FL_LOSS);
    else if (t != NULL) NE_FL_HARD_LOOP(t[j] == (NE_T) 1, NE_FL_GRAD);
    else if (g == NULL) NE_FL_HARD_LOOP(j == pos, NE_FL_LOSS);
    else NE_FL_HARD_LOOP(j == pos, NE_FL_GRAD);
}

#undef NE_FL_HARD_LOOP
#undef NE_FL_LOSS
#undef NE_FL_GRAD
