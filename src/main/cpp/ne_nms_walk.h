/* The greedy walk over one category's run of m boxes, included by ne_nms_cpu.c once per T.
 * Expects NE_T, NE_RT, NE_SFX (f32 | f64) and the sweep functions ne_nms_sweep_<SFX>_fn.
 *
 * Spatial pruning, and why it is exact: IoU > t > 0 needs, in exact arithmetic, for each axis
 * a centre distance below (1-t)·max(w_i,w_j) and t·w_i < w_j < w_i/t (both from inter >
 * t·max(area) and inter <= overlap_x·overlap_y); hence also t·M_i < M_j < M_i/t for M = max(w,h).
 * The walk uses tb = 0.95·t so that the rounding of the computed IoU (small next to t under
 * the guard below) can never make a skipped candidate one the full test would have suppressed.
 *
 * Boxes are binned by centre on a grid (cell = NE_NMS_CELL_FACTOR x the mean side); a kept box
 * visits only the cells within its window, and each row of cells is one contiguous run of
 * candidates, swept by one vector loop over whole aligned blocks. The code also supports several
 * grids by size class (M in geometric classes of ratio NE_NMS_CLASS_RATIO, visited only where the
 * M range meets (tb·M_i, M_i/tb)), but measured on the 5000-box benchmarks one grid is faster:
 * classes cut the candidates tested but add more, shorter sweeps (each padded to a block), so
 * NE_NMS_MAX_CLASSES is 1. The grid holds candidates in visiting order; visited and suppressed
 * ones are dropped by rebuilding it (a stable counting sort of the survivors) whenever a quarter
 * of its entries have been visited, which bounds both the dead entries swept and the total
 * rebuild work (geometric: <= 4·m); rebuilding every half or eighth measured slower.
 * Degenerate boxes (computed width or height <= 0) have inter == 0, so IoU is 0 or NaN: they
 * neither suppress nor are suppressed when t > 0, and stay out of the grid. */

#define NE_FN(name) NE_CAT(name, NE_SFX)

typedef int (*NE_FN(ne_nms_fast_fn))(int64_t b, int64_t e, const NE_T* restrict x1, const NE_T* restrict y1,
                                      const NE_T* restrict x2, const NE_T* restrict y2, const NE_T* restrict area,
                                      NE_T kx1, NE_T ky1, NE_T kx2, NE_T ky2, NE_T karea, NE_T d, NE_T thi, NE_T tlo,
                                      NE_RT* restrict rm);
typedef int (*NE_FN(ne_nms_exact_fn))(int64_t b, int64_t e, const NE_T* restrict x1, const NE_T* restrict y1,
                                       const NE_T* restrict x2, const NE_T* restrict y2, const NE_T* restrict area,
                                       NE_T kx1, NE_T ky1, NE_T kx2, NE_T ky2, NE_T karea, NE_T d, NE_T t, int ge,
                                       NE_RT* restrict rm);

/* The chosen variant and the thresholds: t (the reference's, in T) and the fast test's bounds. */
typedef struct {
    NE_FN(ne_nms_fast_fn) fast;
    NE_FN(ne_nms_exact_fn) exact;
    NE_T d, t, thi, tlo;
    int ge;
} NE_FN(ne_nms_sweeper);

/* One kept box against [b, e): the fast test, and the exact one where it was unsure. */
static inline void NE_FN(ne_nms_sweep)(const NE_FN(ne_nms_sweeper) * sw, int64_t b, int64_t e, NE_T* const* g,
                                        NE_T kx1, NE_T ky1, NE_T kx2, NE_T ky2, NE_T ka, NE_RT* rm) {
    if (b >= e) return;
    b &= ~(int64_t) (NE_NMS_BLOCK - 1);
    e = (e + NE_NMS_BLOCK - 1) & ~(int64_t) (NE_NMS_BLOCK - 1);
    if (sw->fast(b, e, g[0], g[1], g[2], g[3], g[4], kx1, ky1, kx2, ky2, ka, sw->d, sw->thi, sw->tlo, rm))
        sw->exact(b, e, g[0], g[1], g[2], g[3], g[4], kx1, ky1, kx2, ky2, ka, sw->d, sw->t, sw->ge, rm);
}

/* Every box against every later one, exact test: any threshold, any boxes. */
static void NE_FN(ne_nms_brute)(int64_t m, NE_T* const* c, const NE_FN(ne_nms_sweeper) * sw, NE_RT* rm,
                                 uint8_t* kept) {
    memset(rm, 0, (size_t) m * sizeof *rm);
    for (int64_t p = 0; p < m; p++) {
        if (rm[p]) continue;
        kept[p] = 1;
        sw->exact(p + 1, m, c[0], c[1], c[2], c[3], c[4], c[0][p], c[1][p], c[2][p], c[3][p], c[4][p], sw->d, sw->t,
                  sw->ge, rm);
    }
}

/* Work space of the pruned walk for runs of up to n boxes (one allocation, reused per run). */
typedef struct {
    int64_t *cellof, *slot, *alive, *start;
    NE_T* g[5];
    int64_t ncell_cap;
} NE_FN(ne_nms_ws);

/* Stable counting sort of the alive positions by cell into g; slot[p] = p's entry. */
static void NE_FN(ne_nms_bin)(const NE_FN(ne_nms_ws) * ws, int64_t na, int64_t ncell, NE_T* const* c, NE_RT* rm) {
    int64_t* start = ws->start;
    memset(start, 0, (size_t) (ncell + 2) * sizeof *start);
    for (int64_t i = 0; i < na; i++) start[ws->cellof[ws->alive[i]] + 2]++;
    for (int64_t k = 0; k < ncell; k++) start[k + 2] += start[k + 1];
    for (int64_t i = 0; i < na; i++) {
        int64_t p = ws->alive[i];
        int64_t s = start[ws->cellof[p] + 1]++;
        ws->slot[p] = s;
        for (int k = 0; k < 5; k++) ws->g[k][s] = c[k][p];
        rm[s] = 0;
    }
    /* Pad to a whole block with boxes that overlap nothing (inter 0, area 1): never suppressed,
     * and flags of entries that are not candidates are never read. */
    for (int64_t s = na; s < ((na + NE_NMS_BLOCK - 1) & ~(int64_t) (NE_NMS_BLOCK - 1)); s++) {
        ws->g[0][s] = ws->g[1][s] = (NE_T) 1e30;
        ws->g[2][s] = ws->g[3][s] = (NE_T) -1e30;
        ws->g[4][s] = (NE_T) 1;
    }
}

#ifndef NE_NMS_CLASSES_DEFINED
#define NE_NMS_CLASSES_DEFINED
#ifndef NE_NMS_MAX_CLASSES
#define NE_NMS_MAX_CLASSES 1
#endif
#ifndef NE_NMS_CLASS_RATIO
#define NE_NMS_CLASS_RATIO 2.0
#endif
#ifndef NE_NMS_REBUILD
#define NE_NMS_REBUILD 4
#endif
#ifndef NE_NMS_CELL_FACTOR
#define NE_NMS_CELL_FACTOR 0.35
#endif
/* A size class's grid: cells [base, base + gx·gy), row-major. */
typedef struct {
    int64_t base, gx, gy, count;
    double lox, loy, hix, hiy, cell, inv, maxw, maxh, minM, maxM, sumside;
} ne_nms_class;
#endif

/* The pruned walk; returns 0 when the guard says the brute walk must be used instead, -1 on
 * allocation failure. c: x1,y1,x2,y2,area of the run. */
static int NE_FN(ne_nms_grid)(int64_t m, NE_T* const* c, NE_FN(ne_nms_ws) * ws, double d, double thr, double guard,
                               const NE_FN(ne_nms_sweeper) * sw, NE_RT* rm, uint8_t* kept) {
    double mag = 0, minM = INFINITY, maxM = 0, minside = INFINITY;
    int64_t live = 0;
    for (int64_t p = 0; p < m; p++) {
        NE_T w = c[2][p] - c[0][p] + (NE_T) d, h = c[3][p] - c[1][p] + (NE_T) d;
        double a = fabs((double) c[0][p]) + fabs((double) c[1][p]) + fabs((double) c[2][p]) + fabs((double) c[3][p]);
        mag = a > mag ? a : mag;
        if (!(w > 0 && h > 0)) continue;
        double M = w > h ? w : h, s = w < h ? w : h;
        minM = M < minM ? M : minM;
        maxM = M > maxM ? M : maxM;
        minside = s < minside ? s : minside;
        live++;
    }
    if (live == 0) {
        for (int64_t p = 0; p < m; p++) kept[p] = 1;
        return 1;
    }
    /* Rounding of the computed IoU is small relative to t only if no box is tiny next to the
     * coordinates' magnitude. */
    if (minside < guard * (mag + 1.0)) return 0;
    double tb = 0.95 * thr;
    /* Size classes: class k holds minM·r^k <= M < minM·r^(k+1), the last one the rest. */
    ne_nms_class cls[NE_NMS_MAX_CLASSES];
    double bound[NE_NMS_MAX_CLASSES];
    int nc = 1;
    bound[0] = minM * NE_NMS_CLASS_RATIO;
    while (nc < NE_NMS_MAX_CLASSES && bound[nc - 1] <= maxM) {
        bound[nc] = bound[nc - 1] * NE_NMS_CLASS_RATIO;
        nc++;
    }
    bound[nc - 1] = INFINITY;
    for (int k = 0; k < nc; k++) {
        cls[k] = (ne_nms_class){0, 0, 0, 0, INFINITY, INFINITY, -INFINITY, -INFINITY, 0, 0, 0, 0, INFINITY, 0, 0};
    }
    /* cellof holds the class for now. */
    for (int64_t p = 0; p < m; p++) {
        NE_T w = c[2][p] - c[0][p] + (NE_T) d, h = c[3][p] - c[1][p] + (NE_T) d;
        if (!(w > 0 && h > 0)) {
            ws->cellof[p] = -1;
            continue;
        }
        double M = w > h ? w : h;
        int k = 0;
        while (M >= bound[k]) k++;
        ne_nms_class* q = &cls[k];
        double cx = 0.5 * ((double) c[0][p] + (double) c[2][p] + d), cy = 0.5 * ((double) c[1][p] + (double) c[3][p] + d);
        q->lox = cx < q->lox ? cx : q->lox;
        q->hix = cx > q->hix ? cx : q->hix;
        q->loy = cy < q->loy ? cy : q->loy;
        q->hiy = cy > q->hiy ? cy : q->hiy;
        q->maxw = w > q->maxw ? w : q->maxw;
        q->maxh = h > q->maxh ? h : q->maxh;
        q->minM = M < q->minM ? M : q->minM;
        q->maxM = M > q->maxM ? M : q->maxM;
        q->sumside += 0.5 * ((double) w + (double) h);
        q->count++;
        ws->cellof[p] = k;
    }
    int64_t ncell = 0;
    for (int k = 0; k < nc; k++) {
        ne_nms_class* q = &cls[k];
        q->base = ncell;
        if (q->count == 0) continue;
        double cell = NE_NMS_CELL_FACTOR * q->sumside / (double) q->count;
        int64_t gx = (int64_t) ((q->hix - q->lox) / cell) + 1, gy = (int64_t) ((q->hiy - q->loy) / cell) + 1;
        while (gx * gy > 4 * q->count + 16) {
            cell *= 1.5;
            gx = (int64_t) ((q->hix - q->lox) / cell) + 1;
            gy = (int64_t) ((q->hiy - q->loy) / cell) + 1;
        }
        q->cell = cell;
        q->inv = 1.0 / cell;
        q->gx = gx;
        q->gy = gy;
        ncell += gx * gy;
    }
    if (ncell + 2 > ws->ncell_cap) {
        int64_t* s = (int64_t*) realloc(ws->start, (size_t) (ncell + 2) * sizeof(int64_t));
        if (!s) return -1;
        ws->start = s;
        ws->ncell_cap = ncell + 2;
    }
    int64_t na = 0;
    for (int64_t p = 0; p < m; p++) {
        int64_t k = ws->cellof[p];
        if (k < 0) continue;
        const ne_nms_class* q = &cls[k];
        double cx = 0.5 * ((double) c[0][p] + (double) c[2][p] + d), cy = 0.5 * ((double) c[1][p] + (double) c[3][p] + d);
        int64_t ix = (int64_t) ((cx - q->lox) * q->inv), iy = (int64_t) ((cy - q->loy) * q->inv);
        ix = ix < 0 ? 0 : ix >= q->gx ? q->gx - 1 : ix;
        iy = iy < 0 ? 0 : iy >= q->gy ? q->gy - 1 : iy;
        ws->cellof[p] = q->base + iy * q->gx + ix;
        ws->alive[na++] = p;
    }
    NE_FN(ne_nms_bin)(ws, na, ncell, c, rm);
    int64_t built = na, ai = 0, since = 0;
    NE_T* const* g = ws->g;
    const int64_t* start = ws->start;
    double slack = 1e-9 * (mag + 1.0), itb = 1.0 / tb * 1.001, omt = (1.0 - tb) * 1.001;
    double mlo = tb * (1 - 1e-9) / 1.001, mhi = itb * (1 + 1e-9);
    for (int64_t p = 0; p < m; p++) {
        if (ws->cellof[p] < 0) {
            kept[p] = 1;
            continue;
        }
        int64_t s = ws->slot[p];
        if (s < 0) continue; /* dropped at a rebuild: suppressed */
        ai++;
        since++;
        if (!rm[s]) {
            kept[p] = 1;
            NE_T kx1 = g[0][s], ky1 = g[1][s], kx2 = g[2][s], ky2 = g[3][s], ka = g[4][s];
            /* Windows are widened by 0.1% (cover the rounding of this arithmetic) plus slack. */
            double w = (double) kx2 - (double) kx1 + d, h = (double) ky2 - (double) ky1 + d;
            double M = w > h ? w : h, Mlo = M * mlo, Mhi = M * mhi, wt = w * itb, ht = h * itb;
            double cx = 0.5 * ((double) kx1 + (double) kx2 + d), cy = 0.5 * ((double) ky1 + (double) ky2 + d);
            for (int k = 0; k < nc; k++) {
                const ne_nms_class* q = &cls[k];
                if (q->count == 0 || q->maxM <= Mlo || q->minM >= Mhi) continue;
                double wj = wt < q->maxw ? wt : q->maxw, hj = ht < q->maxh ? ht : q->maxh;
                double rx = omt * (w > wj ? w : wj) + slack, ry = omt * (h > hj ? h : hj) + slack;
                double fx0 = (cx - rx - q->lox) * q->inv, fxe = (cx + rx - q->lox) * q->inv;
                double fy0 = (cy - ry - q->loy) * q->inv, fye = (cy + ry - q->loy) * q->inv;
                if (fxe < 0 || fye < 0 || fx0 >= (double) q->gx || fy0 >= (double) q->gy) continue;
                int64_t x0 = fx0 > 0 ? (int64_t) fx0 : 0, xe = (int64_t) fxe;
                int64_t y0 = fy0 > 0 ? (int64_t) fy0 : 0, ye = (int64_t) fye;
                xe = xe >= q->gx ? q->gx - 1 : xe;
                ye = ye >= q->gy ? q->gy - 1 : ye;
                for (int64_t iy = y0; iy <= ye; iy++) {
                    int64_t row = q->base + iy * q->gx;
                    NE_FN(ne_nms_sweep)(sw, start[row + x0], start[row + xe + 1], g, kx1, ky1, kx2, ky2, ka, rm);
                }
            }
        }
        /* Drop the visited and the suppressed entries once a quarter of the grid is visited. */
        if (since * NE_NMS_REBUILD >= built && ai < na && since >= 16) {
            int64_t k = 0;
            for (int64_t i = ai; i < na; i++) {
                /* Branch-free: whether a candidate survived is a coin toss for the predictor. */
                int64_t q = ws->alive[i], gone = rm[ws->slot[q]] != 0;
                ws->alive[k] = q;
                k += 1 - gone;
                ws->slot[q] = gone ? -1 : ws->slot[q];
            }
            na = k;
            ai = 0;
            since = 0;
            built = na;
            NE_FN(ne_nms_bin)(ws, na, ncell, c, rm);
        }
    }
    return 1;
}

#undef NE_FN
