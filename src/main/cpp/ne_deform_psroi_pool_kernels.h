/* Typed CPU kernels of deformable PS-ROI pooling, included per dtype (NE_T, NE_S) by
 * ne_deform_psroi_pool_cpu.c. The bin geometry follows maskrcnn-benchmark's CUDA kernel line by
 * line (docs/ops.md §6.1); ne_deform_psroi_pool_cuda.cu mirrors it.
 *
 * Why this layout: the geometry of a bin (its samples, corners and weights) depends on the ROI,
 * the bin and the class only, not on the output channel, and output channel ct of bin (ph, pw)
 * reads input channel ct*G² + (gh*G + gw). So data is first copied to [N][G²][H*W][outputDim]
 * ("channels last" per group position): each sample of a bin is then four contiguous runs of
 * the class's output channels, the geometry is computed once per (ROI, class, bin) instead of
 * once per channel, and the per-channel loops vectorise. Each channel lane does exactly the
 * operations of the per-channel kernel in the same order, so the results are those of the
 * straightforward loop, for every ISA (contraction off) and thread count. */
#define NE_PCAT2(a, b) a##_##b
#define NE_PCAT(a, b) NE_PCAT2(a, b)
#define NE_PFN(name) NE_PCAT(name, NE_S)

/* One pixel a bin reads: its offset in the plane and the sums, over the bin's valid samples and
 * their corners that fall on it, of the bilinear weight (ww) and of the coefficients of the
 * sample's d/dx (ex) and d/dy (ey) (docs/ops.md §6.1's trans gradient, without std/diff/size). */
typedef struct {
    int64_t pix;
    NE_T ww, ex, ey;
} NE_PFN(ne_dps_entry);

/* One bin (k, cls, ph, pw): image, group position, trans offset, ROI size, valid samples, and
 * the pixels it reads (ne entries). */
typedef struct {
    int64_t batch, gpos, tidx, count, ne;
    NE_T rw, rh;
} NE_PFN(ne_dps_bin);

/* Per-task scratch: the entries (4*spp² at most) and the 1-D profiles of a bin along x (W+1)
 * and y (H+1): summed corner weight (a), summed corner sign (+1 high / -1 low corner, s) and
 * whether a sample touches the pixel (u). */
typedef struct {
    NE_PFN(ne_dps_entry)* e;
    NE_T *ax, *sx, *ay, *sy;
    unsigned char *ux, *uy;
} NE_PFN(ne_dps_scratch);

static int NE_PFN(ne_dps_scratch_alloc)(NE_PFN(ne_dps_scratch)* s, const ne_dps_geom* g) {
    s->e = malloc((size_t) (4 * g->spp * g->spp) * sizeof(NE_PFN(ne_dps_entry)));
    s->ax = malloc((size_t) (2 * (g->w + 1) + 2 * (g->h + 1)) * sizeof(NE_T));
    s->ux = calloc((size_t) (g->w + g->h + 2), 1);
    if (!s->e || !s->ax || !s->ux) return 0;
    s->sx = s->ax + g->w + 1;
    s->ay = s->sx + g->w + 1;
    s->sy = s->ay + g->h + 1;
    s->uy = s->ux + g->w + 1;
    for (int64_t i = 0; i < 2 * (g->w + 1) + 2 * (g->h + 1); i++) s->ax[i] = 0;
    return 1;
}

static void NE_PFN(ne_dps_scratch_free)(NE_PFN(ne_dps_scratch)* s) {
    free(s->e);
    free(s->ax);
    free(s->ux);
}

/* The samples of one axis: start, step, n, the image size along it; fills the profile over the
 * valid samples' corners (floor / ceil of the clamped position) and returns the number of valid
 * samples; *lo, *hi the touched range. A position outside [-0.5, size-0.5] (or NaN) is invalid. */
static int64_t NE_PFN(ne_dps_axis)(NE_T start, NE_T step, int64_t n, int64_t size, NE_T* a, NE_T* sg, unsigned char* u,
                                   int64_t* lo, int64_t* hi) {
    int64_t valid = 0;
    for (int64_t i = 0; i < n; i++) {
        NE_T v = start + (NE_T) i * step;
        if (!(v >= (NE_T) -0.5 && v <= (NE_T) size - (NE_T) 0.5)) continue;
        v = v < 0 ? 0 : (v > (NE_T) (size - 1) ? (NE_T) (size - 1) : v);
        /* v >= 0 here: the cast is floor, and ceil is floor + (fraction != 0). */
        const int64_t v0 = (int64_t) v, v1 = v0 + ((NE_T) v0 != v);
        const NE_T f = v - (NE_T) v0;
        if (valid == 0) *lo = v0;
        *hi = v1;
        a[v0] += 1 - f;
        a[v1] += f;
        sg[v0] -= 1;
        sg[v1] += 1;
        u[v0] = u[v1] = 1;
        valid++;
    }
    return valid;
}

/* DP sampler: a sample outside [-0.5, W-0.5] x [-0.5, H-0.5] is skipped (returns 0); otherwise
 * clamped to the image, corners floor/ceil. Sets the clamped position. */
static int NE_PFN(ne_dps_inside)(const ne_dps_geom* g, NE_T* w, NE_T* h) {
    if (*w < (NE_T) -0.5 || *w > (NE_T) g->w - (NE_T) 0.5 || *h < (NE_T) -0.5 || *h > (NE_T) g->h - (NE_T) 0.5) return 0;
    if (!(*w == *w) || !(*h == *h)) return 0;
    *w = *w < 0 ? 0 : (*w > (NE_T) (g->w - 1) ? (NE_T) (g->w - 1) : *w);
    *h = *h < 0 ? 0 : (*h > (NE_T) (g->h - 1) ? (NE_T) (g->h - 1) : *h);
    return 1;
}

/* The geometry of bin (k, cls, ph, pw) and the pixels its valid samples read, merged. Why:
 * the spp² samples of a bin are often less than a pixel apart (small ROIs on a stride-16 map),
 * so their 4*spp² corners hit few distinct pixels, and each distinct pixel then costs one pass
 * over the channels instead of one per corner. The sample grid is separable (the inside test
 * and the clamp act on x and y independently, and the bilinear weight of a corner is a product
 * of an x and a y factor), so the bin's summed weight on pixel (y, x) is ay[y]*ax[x], and the
 * summed coefficients of the trans gradient are ay[y]*sx[x] (d/dx) and sy[y]*ax[x] (d/dy),
 * with the 1-D profiles of ne_dps_axis: O(spp) work per bin plus one entry per pixel, listed
 * in row-major order. */
static void NE_PFN(ne_dps_bin_geom)(const ne_dps_geom* g, const NE_T* rois, const NE_T* trans, NE_T trans_std,
                                    NE_T scale, int64_t k, int64_t cls, int64_t ph, int64_t pw, NE_PFN(ne_dps_bin)* b,
                                    NE_PFN(ne_dps_scratch)* sc) {
    const NE_T* r = rois + k * 5;
    b->batch = (int64_t) r[0];
    /* Round the image coordinates before scaling; the end is inclusive (+1), then -0.5. */
    const NE_T xs = (NE_T) round(r[1]) * scale - (NE_T) 0.5, ys = (NE_T) round(r[2]) * scale - (NE_T) 0.5;
    const NE_T xe = (NE_T) (round(r[3]) + 1) * scale - (NE_T) 0.5, ye = (NE_T) (round(r[4]) + 1) * scale - (NE_T) 0.5;
    b->rw = xe - xs > (NE_T) 0.1 ? xe - xs : (NE_T) 0.1;
    b->rh = ye - ys > (NE_T) 0.1 ? ye - ys : (NE_T) 0.1;
    const NE_T bw = b->rw / (NE_T) g->p, bh = b->rh / (NE_T) g->p;
    const NE_T subw = bw / (NE_T) g->spp, subh = bh / (NE_T) g->spp;
    const int64_t part_h = (int64_t) floor((NE_T) ph / (NE_T) g->p * (NE_T) g->part);
    const int64_t part_w = (int64_t) floor((NE_T) pw / (NE_T) g->p * (NE_T) g->part);
    b->tidx = ((k * g->ncls + cls) * 2 * g->part + part_h) * g->part + part_w;
    const NE_T tx = trans ? trans[b->tidx] * trans_std : 0;
    const NE_T ty = trans ? trans[b->tidx + g->part * g->part] * trans_std : 0;
    const NE_T wstart = (NE_T) pw * bw + xs + tx * b->rw;
    const NE_T hstart = (NE_T) ph * bh + ys + ty * b->rh;
    int64_t gw = (int64_t) floor((NE_T) pw * (NE_T) g->gs / (NE_T) g->p);
    int64_t gh = (int64_t) floor((NE_T) ph * (NE_T) g->gs / (NE_T) g->p);
    gw = gw < 0 ? 0 : (gw > g->gs - 1 ? g->gs - 1 : gw);
    gh = gh < 0 ? 0 : (gh > g->gs - 1 ? g->gs - 1 : gh);
    b->gpos = gh * g->gs + gw;
    int64_t xlo = 0, xhi = -1, ylo = 0, yhi = -1;
    const int64_t nx = NE_PFN(ne_dps_axis)(wstart, subw, g->spp, g->w, sc->ax, sc->sx, sc->ux, &xlo, &xhi);
    const int64_t ny = NE_PFN(ne_dps_axis)(hstart, subh, g->spp, g->h, sc->ay, sc->sy, sc->uy, &ylo, &yhi);
    b->count = nx * ny;
    b->ne = 0;
    for (int64_t y = ylo; y <= yhi; y++) {
        if (!sc->uy[y]) continue;
        for (int64_t x = xlo; x <= xhi; x++) {
            if (!sc->ux[x] || !b->count) continue;
            NE_PFN(ne_dps_entry)* t = sc->e + b->ne++;
            t->pix = y * g->w + x;
            t->ww = sc->ay[y] * sc->ax[x];
            t->ex = sc->ay[y] * sc->sx[x];
            t->ey = sc->sy[y] * sc->ax[x];
        }
    }
    /* Leave the profiles zero for the next bin. */
    for (int64_t x = xlo; x <= xhi; x++) { sc->ax[x] = sc->sx[x] = 0; sc->ux[x] = 0; }
    for (int64_t y = ylo; y <= yhi; y++) { sc->ay[y] = sc->sy[y] = 0; sc->uy[y] = 0; }
}

/* ---- Channel-lane loops, one per SIMD variant (ne_deform_psroi_pool_simd.h). ---- */
#define NE_KERNEL "ne_deform_psroi_pool_simd.h"
#include "ne_each_isa.h"
#undef NE_KERNEL

typedef struct {
    const ne_dps_geom* g;
    const NE_T *rois, *trans, *gout, *count;
    const NE_T* dt;              /* data as [N][G²][H*W][outputDim] */
    NE_T *out, *cnt, *gdt, *gtrans;  /* gdt: grad data in dt's layout */
    NE_T scale, std;
    int32_t isa;
} NE_PFN(ne_dps_ctx);

#define NE_DPS_PICK(c, name, ...)                                                                 \
    ((c)->isa == NE_ISA_AVX512 ? NE_CAT(name, NE_CAT(NE_S, avx512))(__VA_ARGS__)                   \
     : (c)->isa == NE_ISA_AVX2 ? NE_CAT(name, NE_CAT(NE_S, avx2))(__VA_ARGS__)                    \
     : NE_CAT(name, NE_CAT(NE_S, base))(__VA_ARGS__))

/* The (image, group position) plane of dt / gdt: [H*W][outputDim]. */
#define NE_DPS_PLANE(base, b) ((base) + ((b).batch * g->gs * g->gs + (b).gpos) * g->h * g->w * g->odim)

/* Forward of ROIs [k0, k1): each output written by one task. A (ROI, class) is pooled into a
 * [bin][channel] buffer, then written out channel-major (the output's order). */
static int32_t NE_PFN(ne_dps_forward)(void* vctx, int64_t k0, int64_t k1) {
    NE_PFN(ne_dps_ctx)* c = vctx;
    const ne_dps_geom* g = c->g;
    const int64_t cpc = g->odim / g->ncls, p2 = g->p * g->p, od = g->odim;
    NE_T* buf = malloc((size_t) (p2 * cpc + p2) * sizeof(NE_T));
    NE_PFN(ne_dps_scratch) sc;
    if (!NE_PFN(ne_dps_scratch_alloc)(&sc, g) || !buf) {
        free(buf);
        NE_PFN(ne_dps_scratch_free)(&sc);
        return NE_ERR_OUT_OF_MEMORY;
    }
    NE_T* cnt = buf + p2 * cpc;
    for (int64_t k = k0; k < k1; k++)
        for (int64_t cls = 0; cls < g->ncls; cls++) {
            for (int64_t bin = 0; bin < p2; bin++) {
                NE_PFN(ne_dps_bin) b;
                NE_PFN(ne_dps_bin_geom)(g, c->rois, c->trans, c->std, c->scale, k, cls, bin / g->p, bin % g->p, &b, &sc);
                const NE_T* x = NE_DPS_PLANE(c->dt, b) + cls * cpc;
                const NE_PFN(ne_dps_entry)* e = sc.e;
                NE_T* acc = buf + bin * cpc;
                for (int64_t i = 0; i < cpc; i++) acc[i] = 0;
                int64_t i = 0;
                for (; i + 4 <= b.ne; i += 4)
                    NE_DPS_PICK(c, ne_dps_acc, acc, x + e[i].pix * od, x + e[i + 1].pix * od, x + e[i + 2].pix * od,
                                x + e[i + 3].pix * od, e[i].ww, e[i + 1].ww, e[i + 2].ww, e[i + 3].ww, cpc);
                for (; i < b.ne; i++) NE_DPS_PICK(c, ne_dps_axpy, acc, x + e[i].pix * od, e[i].ww, cpc);
                cnt[bin] = (NE_T) b.count;
            }
            NE_T* o = c->out + (k * od + cls * cpc) * p2;
            NE_T* n = c->cnt + (k * od + cls * cpc) * p2;
            for (int64_t j = 0; j < cpc; j++)
                for (int64_t bin = 0; bin < p2; bin++) {
                    o[j * p2 + bin] = cnt[bin] == 0 ? 0 : buf[bin * cpc + j] / cnt[bin];
                    n[j * p2 + bin] = cnt[bin];
                }
        }
    free(buf);
    NE_PFN(ne_dps_scratch_free)(&sc);
    return 0;
}

/* diff[bin][i - a] = gout / count of output channel i in [a, e) (of class cls) and every bin of
 * ROI k; 0 where count <= 0 (such bins have no valid sample). Reads in the output's order. */
static void NE_PFN(ne_dps_diff)(const NE_PFN(ne_dps_ctx)* c, int64_t k, int64_t a, int64_t e, NE_T* diff) {
    const ne_dps_geom* g = c->g;
    const int64_t p2 = g->p * g->p, n = e - a;
    for (int64_t i = a; i < e; i++) {
        const NE_T* go = c->gout + (k * g->odim + i) * p2;
        const NE_T* ct = c->count + (k * g->odim + i) * p2;
        for (int64_t bin = 0; bin < p2; bin++) diff[bin * n + (i - a)] = ct[bin] > 0 ? go[bin] / ct[bin] : 0;
    }
}

/* grad data of the output-channel blocks [j0, j1) (16 channels each): a task owns those lanes
 * of every (image, group position, pixel) and walks ROIs, bins and pixels in one order, so no
 * atomics and the same bits for any thread count. */
static int32_t NE_PFN(ne_dps_backward_data)(void* vctx, int64_t j0, int64_t j1) {
    NE_PFN(ne_dps_ctx)* c = vctx;
    const ne_dps_geom* g = c->g;
    const int64_t cpc = g->odim / g->ncls, p2 = g->p * g->p;
    const int64_t lo = j0 * 16, hi = j1 * 16 < g->odim ? j1 * 16 : g->odim;
    NE_T* diff = malloc((size_t) (p2 * (hi - lo)) * sizeof(NE_T));
    NE_PFN(ne_dps_scratch) sc;
    if (!NE_PFN(ne_dps_scratch_alloc)(&sc, g) || !diff) {
        free(diff);
        NE_PFN(ne_dps_scratch_free)(&sc);
        return NE_ERR_OUT_OF_MEMORY;
    }
    for (int64_t k = 0; k < g->k; k++)
        for (int64_t cls = lo / cpc; cls * cpc < hi; cls++) {
            const int64_t a = lo > cls * cpc ? lo : cls * cpc, e = hi < (cls + 1) * cpc ? hi : (cls + 1) * cpc;
            NE_PFN(ne_dps_diff)(c, k, a, e, diff);
            for (int64_t bin = 0; bin < p2; bin++) {
                NE_PFN(ne_dps_bin) b;
                NE_PFN(ne_dps_bin_geom)(g, c->rois, c->trans, c->std, c->scale, k, cls, bin / g->p, bin % g->p, &b, &sc);
                NE_T* gx = NE_DPS_PLANE(c->gdt, b) + a;
                for (int64_t i = 0; i < b.ne; i++)
                    if (sc.e[i].ww != 0)
                        NE_DPS_PICK(c, ne_dps_axpy, gx + sc.e[i].pix * g->odim, diff + bin * (e - a), sc.e[i].ww, e - a);
            }
        }
    free(diff);
    NE_PFN(ne_dps_scratch_free)(&sc);
    return 0;
}

/* Sum over channels of t[i] * std * diff[i] * size, in 16 fixed partial sums then in order (the
 * same bits for every ISA). */
static NE_T NE_PFN(ne_dps_tsum)(const NE_T* t, const NE_T* diff, NE_T sd, NE_T size, int64_t n) {
    NE_T part[16] = {0};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j++) part[j] += t[i + j] * sd * diff[i + j] * size;
    for (int j = 0; i + j < n; j++) part[j] += t[i + j] * sd * diff[i + j] * size;
    NE_T s = 0;
    for (int j = 0; j < 16; j++) s += part[j];
    return s;
}

/* grad trans of ROIs [k0, k1): a task owns the ROI's trans rows, bins added in order. */
static int32_t NE_PFN(ne_dps_backward_trans)(void* vctx, int64_t k0, int64_t k1) {
    NE_PFN(ne_dps_ctx)* c = vctx;
    const ne_dps_geom* g = c->g;
    const int64_t cpc = g->odim / g->ncls, p2 = g->p * g->p;
    NE_T* diff = malloc((size_t) (p2 * cpc + 2 * cpc) * sizeof(NE_T));
    NE_PFN(ne_dps_scratch) sc;
    if (!NE_PFN(ne_dps_scratch_alloc)(&sc, g) || !diff) {
        free(diff);
        NE_PFN(ne_dps_scratch_free)(&sc);
        return NE_ERR_OUT_OF_MEMORY;
    }
    NE_T *tx = diff + p2 * cpc, *ty = tx + cpc;
    for (int64_t k = k0; k < k1; k++)
        for (int64_t cls = 0; cls < g->ncls; cls++) {
            NE_PFN(ne_dps_diff)(c, k, cls * cpc, (cls + 1) * cpc, diff);
            for (int64_t bin = 0; bin < p2; bin++) {
                NE_PFN(ne_dps_bin) b;
                NE_PFN(ne_dps_bin_geom)(g, c->rois, c->trans, c->std, c->scale, k, cls, bin / g->p, bin % g->p, &b, &sc);
                if (b.count == 0) continue;
                for (int64_t i = 0; i < cpc; i++) tx[i] = ty[i] = 0;
                const NE_T* x = NE_DPS_PLANE(c->dt, b) + cls * cpc;
                for (int64_t i = 0; i < b.ne; i++)
                    NE_DPS_PICK(c, ne_dps_axpy2, tx, ty, x + sc.e[i].pix * g->odim, sc.e[i].ex, sc.e[i].ey, cpc);
                c->gtrans[b.tidx] += NE_PFN(ne_dps_tsum)(tx, diff + bin * cpc, c->std, b.rw, cpc);
                c->gtrans[b.tidx + g->part * g->part] += NE_PFN(ne_dps_tsum)(ty, diff + bin * cpc, c->std, b.rh, cpc);
            }
        }
    free(diff);
    NE_PFN(ne_dps_scratch_free)(&sc);
    return 0;
}

/* dst[j * dstride + i] = src[i * sstride + j] for rows [r0, r1) of src, 32-column tiles. */
typedef struct {
    const NE_T* src;
    NE_T* dst;
    int64_t cols, sstride, dstride;
} NE_PFN(ne_dps_tr_ctx);

static int32_t NE_PFN(ne_dps_transpose)(void* vctx, int64_t r0, int64_t r1) {
    NE_PFN(ne_dps_tr_ctx)* c = vctx;
    for (int64_t j0 = 0; j0 < c->cols; j0 += 32) {
        const int64_t j1 = j0 + 32 < c->cols ? j0 + 32 : c->cols;
        for (int64_t i = r0; i < r1; i++)
            for (int64_t j = j0; j < j1; j++) c->dst[j * c->dstride + i] = c->src[i * c->sstride + j];
    }
    return 0;
}

#undef NE_DPS_ACC_BODY
#undef NE_DPS_ACC_SIG
#undef NE_DPS_AXPY_BODY
#undef NE_DPS_AXPY_SIG
#undef NE_DPS_AXPY2_BODY
#undef NE_DPS_AXPY2_SIG
#undef NE_DPS_PICK
#undef NE_DPS_PLANE
