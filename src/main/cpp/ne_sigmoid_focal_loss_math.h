/* The per-element math of the sigmoid focal loss, shared word for word by the CPU kernels (C99)
 * and the CUDA kernels (included from ne_sigmoid_focal_loss_cuda.cu), so the two cannot drift.
 *
 * Why these forms: log p and log(1-p) are computed as min(x,0) - log1p(exp(-|x|)) and
 * -max(x,0) - log1p(exp(-|x|)), exact to rounding for every finite x, so neither saturates
 * (maskrcnn-benchmark's CPU fallback gets 0·(-inf) = NaN for |x| large, mmcv's
 * log(max(1-p, FLT_MIN)) saturates; ops.md §7). Hard 0/1 targets use the closed-form
 * derivatives of §7; soft targets use the general product rule. */
#ifndef NE_SIGMOID_FOCAL_LOSS_MATH_H
#define NE_SIGMOID_FOCAL_LOSS_MATH_H

#ifdef __CUDACC__
#define NE_FL_FN static __host__ __device__ inline
#else
#define NE_FL_FN static inline
#endif

/* T: float or double; SFX names the variant; EXP/LOG1P/POW/FABS: the math functions of T. */
#define NE_FL_DEFINE(T, SFX, EXP, LOG1P, POW, FABS)                                                 \
    /* loss (grad == 0) or dloss/dx (grad == 1) of one element with target t in [0,1]. */          \
    NE_FL_FN T ne_fl_elem_##SFX(T x, T t, T gamma, T alpha, int grad) {                             \
        T e = LOG1P(EXP(-FABS(x)));                                                                \
        T logp = (x < (T) 0 ? x : (T) 0) - e;                                                      \
        T log1mp = -(x > (T) 0 ? x : (T) 0) - e;                                                   \
        T p = EXP(logp), q = EXP(log1mp); /* q = 1 - p without cancellation */                     \
        T at = alpha < (T) 0 ? (T) 1 : alpha * t + ((T) 1 - alpha) * ((T) 1 - t);                  \
        if (t == (T) 1) {                                                                          \
            T w = POW(q, gamma);                                                                   \
            return grad ? -at * w * (q - gamma * p * logp) : -at * w * logp;                       \
        }                                                                                          \
        if (t == (T) 0) {                                                                          \
            T w = POW(p, gamma);                                                                   \
            return grad ? -at * w * (gamma * q * log1mp - p) : -at * w * log1mp;                   \
        }                                                                                          \
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

NE_FL_DEFINE(float, f32, expf, log1pf, powf, fabsf)
NE_FL_DEFINE(double, f64, exp, log1p, pow, fabs)

#endif
