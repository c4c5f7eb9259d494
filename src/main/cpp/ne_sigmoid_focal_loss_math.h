/* The per-element math of the sigmoid focal loss, shared word for word by the CPU kernels (C99)
 * and the CUDA kernels (included from ne_sigmoid_focal_loss_cuda.cu), so the two cannot drift.
 *
 * Why these forms: with u = e^-|x| (in (0,1]) and e = log1p(u), log p = min(x,0) - e and
 * log(1-p) = -max(x,0) - e are exact to rounding for every finite x, so neither saturates
 * (maskrcnn-benchmark's CPU fallback gets 0·(-inf) = NaN for |x| large, mmcv's
 * log(max(1-p, FLT_MIN)) saturates; docs/ops.md §7); p and 1-p are u/(1+u) and 1/(1+u) in the
 * right order, so neither cancels. (1-p_t)^gamma is a product for gamma = 2 (the usual value)
 * and exp(gamma · log(1-p_t)) otherwise. Hard 0/1 targets use the closed-form derivatives of
 * §7; soft targets the general product rule.
 *
 * float32 takes exp and log1p from ne_fl_expf / ne_fl_log1pf below rather than libm: they are
 * plain arithmetic without branches, so the compiler vectorises the CPU loop (libm calls do not
 * vectorise without -ffast-math, which would break the stable forms), and every SIMD variant
 * gives the same bits (-ffp-contract=off). They are within 1 ulp (exp on [-87, 0]) and 2 ulp
 * (log1p on [0, 1]) of the true values: checked against double-precision libm over every float
 * of those ranges when written (a 2-minute run, not part of the suite). */
#ifndef NE_SIGMOID_FOCAL_LOSS_MATH_H
#define NE_SIGMOID_FOCAL_LOSS_MATH_H

#include <stdint.h>
#include <string.h>

#ifdef __CUDACC__
#define NE_FL_FN static __host__ __device__ inline
#else
#define NE_FL_FN static inline
#endif

/* e^x for x <= 0 (x > 0 is taken as 0), 0 below -87 (where e^x leaves the normal floats):
 * Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2, Cephes's degree-7 polynomial for e^r, and
 * 2^n built from its exponent bits. NaN stays NaN. */
NE_FL_FN float ne_fl_expf(float x) {
    const float magic = 12582912.0f; /* 1.5 * 2^23: adding and subtracting it rounds to an integer */
    float xc = x < -87.0f ? -87.0f : (x > 0.0f ? 0.0f : x);
    float n = (xc * 1.44269504088896341f + magic) - magic;
    float r = (xc - n * 0.693359375f) - n * -2.12194440e-4f;
    float pol = ((((1.9875691500E-4f * r + 1.3981999507E-3f) * r + 8.3334519073E-3f) * r + 4.1665795894E-2f) * r
                 + 1.6666665459E-1f) * r + 5.0000001201E-1f;
    float y = (pol * (r * r) + r) + 1.0f;
    int32_t bits = ((int32_t) (n == n ? n : 0.0f) + 127) * 8388608; /* (n + 127) << 23, n in [-126, 0] */
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return x < -87.0f ? 0.0f : y * scale;
}

/* log(1 + u) for u in [0, 1]: 2 atanh(s) with s = u / (2 + u) <= 1/3, its odd series to s^13
 * (the next term is below 2^-26 of the sum). */
NE_FL_FN float ne_fl_log1pf(float u) {
    float s = u / (2.0f + u), z = s * s;
    float pol = ((((0.0769230769f * z + 0.0909090909f) * z + 0.111111111f) * z + 0.142857143f) * z + 0.2f) * z
                + 0.333333333f;
    float s2 = 2.0f * s;
    return s2 + s2 * (z * pol);
}

/* T: float or double; SFX names the variant; EXP/LOG1P/POW/FABS: the math functions of T (EXP
 * is only called on arguments <= 0, LOG1P on [0, 1]). */
#define NE_FL_DEFINE(T, SFX, EXP, LOG1P, POW, FABS)                                                 \
    /* The shared part: log p, log(1-p), p, 1-p and alpha_t of logit x, target t. */              \
    NE_FL_FN void ne_fl_sigmoid_##SFX(T x, T* logp, T* log1mp, T* p, T* q) {                      \
        T u = EXP(-FABS(x));                                                                       \
        T e = LOG1P(u);                                                                            \
        T r = (T) 1 / ((T) 1 + u);                                                                 \
        *logp = (x < (T) 0 ? x : (T) 0) - e;                                                       \
        *log1mp = -(x > (T) 0 ? x : (T) 0) - e;                                                    \
        *p = (x < (T) 0 ? u : (T) 1) * r;                                                          \
        *q = (x < (T) 0 ? (T) 1 : u) * r; /* 1 - p without cancellation */                         \
    }                                                                                              \
                                                                                                   \
    /* loss (grad == 0) or dloss/dx (grad == 1) for a hard target (pos: t == 1, else t == 0).     \
     * Selects only, no branches: the CPU's hard-target loop vectorises over it. */               \
    NE_FL_FN T ne_fl_hard_##SFX(T x, int pos, T gamma, T alpha, int grad) {                        \
        T logp, log1mp, p, q;                                                                      \
        ne_fl_sigmoid_##SFX(x, &logp, &log1mp, &p, &q);                                            \
        T at = alpha < (T) 0 ? (T) 1 : (pos ? alpha : (T) 1 - alpha);                             \
        T a = pos ? q : p, b = pos ? p : q;           /* a = 1 - p_t, b = p_t */                   \
        T la = pos ? log1mp : logp, lb = pos ? logp : log1mp;                                      \
        T w = gamma == (T) 2 ? a * a : EXP(gamma * la); /* a^gamma */                              \
        if (!grad) return -at * w * lb;                                                            \
        T d = at * w * (a - gamma * b * lb);                                                       \
        return pos ? -d : d;                                                                       \
    }                                                                                              \
                                                                                                   \
    /* loss (grad == 0) or dloss/dx (grad == 1) of one element with target t in [0,1]. */          \
    NE_FL_FN T ne_fl_elem_##SFX(T x, T t, T gamma, T alpha, int grad) {                             \
        if (t == (T) 1 || t == (T) 0) return ne_fl_hard_##SFX(x, t == (T) 1, gamma, alpha, grad);   \
        T logp, log1mp, p, q;                                                                      \
        ne_fl_sigmoid_##SFX(x, &logp, &log1mp, &p, &q);                                            \
        T at = alpha < (T) 0 ? (T) 1 : alpha * t + ((T) 1 - alpha) * ((T) 1 - t);                  \
        T ce = -(t * logp + ((T) 1 - t) * log1mp);                                                 \
        T m = t * q + ((T) 1 - t) * p; /* 1 - p_t */                                               \
        if (!grad) return at * POW(m, gamma) * ce;                                                 \
        T d = (p - t) * POW(m, gamma);                                                             \
        /* d(m^gamma)/dx = gamma m^(gamma-1) · p q (1 - 2t); taken as 0 where m == 0 (its limit   \
         * for gamma > 1; the derivative is singular there for gamma < 1). */                     \
        if (gamma != (T) 0 && m > (T) 0) d += gamma * POW(m, gamma - (T) 1) * p * q * ((T) 1 - (T) 2 * t) * ce; \
        return at * d;                                                                             \
    }                                                                                              \
                                                                                                   \
    /* The target of element (i, j): convention 0 labels (-1 ignore → *keep = 0), 1 dense. */      \
    NE_FL_FN T ne_fl_target_##SFX(const void* targets, int32_t convention, int64_t i, int64_t j,  \
                                  int64_t c, int* keep) {                                          \
        if (convention == 0) {                                                                     \
            int64_t label = ((const int64_t*) targets)[i];                                         \
            *keep = label >= 0;                                                                    \
            return label == j + 1 ? (T) 1 : (T) 0;                                                 \
        }                                                                                          \
        *keep = 1;                                                                                 \
        return ((const T*) targets)[i * c + j];                                                    \
    }

NE_FL_DEFINE(float, f32, ne_fl_expf, ne_fl_log1pf, powf, fabsf)
NE_FL_DEFINE(double, f64, exp, log1p, pow, fabs)

#endif
