/* The NMS inner loop, included by ne_nms_cpu.c once per (T = float | double, ISA variant):
 * one kept box k against the candidates [b, e) of SoA arrays, OR-ing "suppressed" into rm.
 *
 * Exactness without a division per candidate: the reference decides fl(inter / u) CMP t with u =
 * area_k + area_q - inter, all in T. Division is correctly rounded and monotonic, so with
 * unit roundoff r (2^-24 | 2^-53) and thi >= t·(1+2^-20 | 2^-48), tlo <= t·(1-2^-20 | 2^-48):
 * inter > fl(thi·u) gives q = inter/u > thi·(1-r) >= t·(1+4r), so fl(q) >= next(t) > t; and
 * inter < fl(tlo·u) gives q < t·(1-4r) <= prev(t)-, so fl(q) < t. Either way both ">" and ">="
 * are decided. A lane that is neither (the quotient within a few ulps of t) is rare; the loop
 * reports it and the caller reruns the range with the exact division (ne_nms_sweep_exact),
 * OR-ing into the same flags, so every variant gives the reference's answer.
 * Precondition of the fast loop: every area > 0 (then u > 0 and nothing is NaN); the grid holds
 * only such boxes, and pads with boxes of area 1 that overlap nothing.
 *
 * Expects: NE_T, NE_RT (flag type, as wide as NE_T so that one vector mask fits), NE_NMS_BLOCK,
 * and the SIMD variant's NE_SFX / NE_TARGET (ne_parallel.h); defines ne_nms_fast_<sfx> and
 * ne_nms_exact_<sfx>. */

/* [b, e) are whole aligned blocks of NE_NMS_BLOCK (the caller pads): no scalar tail. "sure"
 * collects per lane, reduced once at the end, so the loop body stays free of horizontal ops. */
NE_TARGET static int NE_CAT(ne_nms_fast, NE_SFX)(int64_t b, int64_t e, const NE_T* restrict x1, const NE_T* restrict y1,
                                       const NE_T* restrict x2, const NE_T* restrict y2, const NE_T* restrict area,
                                       NE_T kx1, NE_T ky1, NE_T kx2, NE_T ky2, NE_T karea, NE_T d, NE_T thi,
                                       NE_T tlo, NE_RT* restrict rm) {
    NE_RT sure[NE_NMS_BLOCK];
    for (int j = 0; j < NE_NMS_BLOCK; j++) sure[j] = 1;
    for (int64_t q0 = b; q0 < e; q0 += NE_NMS_BLOCK) {
        for (int j = 0; j < NE_NMS_BLOCK; j++) {
            int64_t q = q0 + j;
            NE_T lx = x1[q] > kx1 ? x1[q] : kx1;
            NE_T ly = y1[q] > ky1 ? y1[q] : ky1;
            NE_T hx = x2[q] < kx2 ? x2[q] : kx2;
            NE_T hy = y2[q] < ky2 ? y2[q] : ky2;
            NE_T w = hx - lx + d;
            NE_T h = hy - ly + d;
            w = w > (NE_T) 0 ? w : (NE_T) 0;
            h = h > (NE_T) 0 ? h : (NE_T) 0;
            NE_T inter = w * h;
            NE_T u = karea + area[q] - inter;
            NE_RT yes = (NE_RT) (inter > thi * u);
            NE_RT no = (NE_RT) (inter < tlo * u);
            rm[q] |= yes;
            sure[j] &= yes | no;
        }
    }
    NE_RT all = 1;
    for (int j = 0; j < NE_NMS_BLOCK; j++) all &= sure[j];
    return all == 0;
}

/* The reference's decision, one division per candidate: any boxes, any threshold. */
#define NE_NMS_EXACT_BODY(CMP)                                                                   \
    for (int64_t q = b; q < e; q++) {                                                              \
        NE_T lx = x1[q] > kx1 ? x1[q] : kx1;                                                       \
        NE_T ly = y1[q] > ky1 ? y1[q] : ky1;                                                       \
        NE_T hx = x2[q] < kx2 ? x2[q] : kx2;                                                       \
        NE_T hy = y2[q] < ky2 ? y2[q] : ky2;                                                       \
        NE_T w = hx - lx + d;                                                                      \
        NE_T h = hy - ly + d;                                                                      \
        w = w > (NE_T) 0 ? w : (NE_T) 0;                                                           \
        h = h > (NE_T) 0 ? h : (NE_T) 0;                                                           \
        NE_T inter = w * h;                                                                        \
        NE_T iou = inter / (karea + area[q] - inter);                                              \
        rm[q] |= (NE_RT) (iou CMP t);                                                              \
    }

NE_TARGET static int NE_CAT(ne_nms_exact, NE_SFX)(int64_t b, int64_t e, const NE_T* restrict x1, const NE_T* restrict y1,
                                        const NE_T* restrict x2, const NE_T* restrict y2, const NE_T* restrict area,
                                        NE_T kx1, NE_T ky1, NE_T kx2, NE_T ky2, NE_T karea, NE_T d, NE_T t, int ge,
                                        NE_RT* restrict rm) {
    if (ge) {
        NE_NMS_EXACT_BODY(>=)
    } else {
        NE_NMS_EXACT_BODY(>)
    }
    return 0;
}
#undef NE_NMS_EXACT_BODY
