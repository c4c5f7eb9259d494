/* Typed CPU kernels of deformable PS-ROI pooling, included per dtype (NE_T, NE_S) by
 * ne_deform_psroi_pool_cpu.c. The bin geometry follows maskrcnn-benchmark's CUDA kernel line by
 * line (ops.md §6.1); ne_deform_psroi_pool_cuda.cu mirrors it. */
#define NE_PCAT2(a, b) a##_##b
#define NE_PCAT(a, b) NE_PCAT2(a, b)
#define NE_PFN(name) NE_PCAT(name, NE_S)

/* One output bin (k, ctop, ph, pw): its ROI, input channel, sample start and step. */
typedef struct {
    int64_t batch, c, tidx;       /* image, input channel, trans offset of dx (dy at +part*part) */
    NE_T rw, rh, wstart, hstart, subw, subh;
} NE_PFN(ne_dps_bin);

static void NE_PFN(ne_dps_bin_geom)(const ne_dps_geom* g, const NE_T* rois, const NE_T* trans, NE_T trans_std,
                                    NE_T scale, int64_t k, int64_t ctop, int64_t ph, int64_t pw, NE_PFN(ne_dps_bin)* b) {
    const NE_T* r = rois + k * 5;
    b->batch = (int64_t) r[0];
    /* Round the image coordinates before scaling; the end is inclusive (+1), then -0.5. */
    const NE_T xs = (NE_T) round(r[1]) * scale - (NE_T) 0.5, ys = (NE_T) round(r[2]) * scale - (NE_T) 0.5;
    const NE_T xe = (NE_T) (round(r[3]) + 1) * scale - (NE_T) 0.5, ye = (NE_T) (round(r[4]) + 1) * scale - (NE_T) 0.5;
    b->rw = xe - xs > (NE_T) 0.1 ? xe - xs : (NE_T) 0.1;
    b->rh = ye - ys > (NE_T) 0.1 ? ye - ys : (NE_T) 0.1;
    const NE_T bw = b->rw / (NE_T) g->p, bh = b->rh / (NE_T) g->p;
    b->subw = bw / (NE_T) g->spp;
    b->subh = bh / (NE_T) g->spp;
    const int64_t part_h = (int64_t) floor((NE_T) ph / (NE_T) g->p * (NE_T) g->part);
    const int64_t part_w = (int64_t) floor((NE_T) pw / (NE_T) g->p * (NE_T) g->part);
    const int64_t cls = ctop / (g->odim / g->ncls);
    b->tidx = ((k * g->ncls + cls) * 2 * g->part + part_h) * g->part + part_w;
    const NE_T tx = trans ? trans[b->tidx] * trans_std : 0;
    const NE_T ty = trans ? trans[b->tidx + g->part * g->part] * trans_std : 0;
    b->wstart = (NE_T) pw * bw + xs + tx * b->rw;
    b->hstart = (NE_T) ph * bh + ys + ty * b->rh;
    int64_t gw = (int64_t) floor((NE_T) pw * (NE_T) g->gs / (NE_T) g->p);
    int64_t gh = (int64_t) floor((NE_T) ph * (NE_T) g->gs / (NE_T) g->p);
    gw = gw < 0 ? 0 : (gw > g->gs - 1 ? g->gs - 1 : gw);
    gh = gh < 0 ? 0 : (gh > g->gs - 1 ? g->gs - 1 : gh);
    b->c = (ctop * g->gs + gh) * g->gs + gw;
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

typedef struct {
    const ne_dps_geom* g;
    const NE_T *data, *rois, *trans, *gout, *count;
    NE_T *out, *cnt, *gdata, *gtrans;
    NE_T scale, std;
} NE_PFN(ne_dps_ctx);

/* Forward of ROIs [k0, k1): each output written by one task. */
static int32_t NE_PFN(ne_dps_forward)(void* vctx, int64_t k0, int64_t k1) {
    NE_PFN(ne_dps_ctx)* c = vctx;
    const ne_dps_geom* g = c->g;
    for (int64_t k = k0; k < k1; k++)
        for (int64_t ct = 0; ct < g->odim; ct++)
            for (int64_t ph = 0; ph < g->p; ph++)
                for (int64_t pw = 0; pw < g->p; pw++) {
                    NE_PFN(ne_dps_bin) b;
                    NE_PFN(ne_dps_bin_geom)(g, c->rois, c->trans, c->std, c->scale, k, ct, ph, pw, &b);
                    const NE_T* x = c->data + (b.batch * g->c + b.c) * g->h * g->w;
                    NE_T sum = 0;
                    int64_t count = 0;
                    for (int64_t ih = 0; ih < g->spp; ih++)
                        for (int64_t iw = 0; iw < g->spp; iw++) {
                            NE_T w = b.wstart + (NE_T) iw * b.subw, h = b.hstart + (NE_T) ih * b.subh;
                            if (!NE_PFN(ne_dps_inside)(g, &w, &h)) continue;
                            const int64_t x1 = (int64_t) floor(w), x2 = (int64_t) ceil(w), y1 = (int64_t) floor(h), y2 = (int64_t) ceil(h);
                            const NE_T dx = w - (NE_T) x1, dy = h - (NE_T) y1;
                            sum += (1 - dx) * (1 - dy) * x[y1 * g->w + x1] + (1 - dx) * dy * x[y2 * g->w + x1]
                                 + dx * (1 - dy) * x[y1 * g->w + x2] + dx * dy * x[y2 * g->w + x2];
                            count++;
                        }
                    const int64_t o = ((k * g->odim + ct) * g->p + ph) * g->p + pw;
                    c->out[o] = count == 0 ? 0 : sum / (NE_T) count;
                    c->cnt[o] = (NE_T) count;
                }
    return 0;
}

/* Walks the samples of bin (k, ct, ph, pw) for the backward: grad data of the bin's channel when
 * gdata is set, the trans gradient (accumulated into *tx, *ty) when tx is set. */
static void NE_PFN(ne_dps_bin_backward)(NE_PFN(ne_dps_ctx)* c, int64_t k, int64_t ct, int64_t ph, int64_t pw,
                                        const NE_PFN(ne_dps_bin)* b, NE_T* gdata, NE_T* tx, NE_T* ty) {
    const ne_dps_geom* g = c->g;
    const int64_t o = ((k * g->odim + ct) * g->p + ph) * g->p + pw;
    if (c->count[o] <= 0) return;
    const NE_T diff = c->gout[o] / c->count[o];
    const NE_T* x = c->data + (b->batch * g->c + b->c) * g->h * g->w;
    for (int64_t ih = 0; ih < g->spp; ih++)
        for (int64_t iw = 0; iw < g->spp; iw++) {
            NE_T w = b->wstart + (NE_T) iw * b->subw, h = b->hstart + (NE_T) ih * b->subh;
            if (!NE_PFN(ne_dps_inside)(g, &w, &h)) continue;
            const int64_t x0 = (int64_t) floor(w), x1 = (int64_t) ceil(w), y0 = (int64_t) floor(h), y1 = (int64_t) ceil(h);
            const NE_T dx = w - (NE_T) x0, dy = h - (NE_T) y0;
            if (gdata) {
                gdata[y0 * g->w + x0] += (1 - dx) * (1 - dy) * diff;
                gdata[y1 * g->w + x0] += (1 - dx) * dy * diff;
                gdata[y0 * g->w + x1] += dx * (1 - dy) * diff;
                gdata[y1 * g->w + x1] += dx * dy * diff;
            }
            if (tx) {
                const NE_T u00 = x[y0 * g->w + x0], u01 = x[y1 * g->w + x0], u10 = x[y0 * g->w + x1], u11 = x[y1 * g->w + x1];
                *tx += (u11 * dy + u10 * (1 - dy) - u01 * dy - u00 * (1 - dy)) * c->std * diff * b->rw;
                *ty += (u11 * dx + u01 * (1 - dx) - u10 * dx - u00 * (1 - dx)) * c->std * diff * b->rh;
            }
        }
}

/* grad data of input channels [c0, c1): a task owns the channel in every image and walks the
 * ROIs and bins in one order, so no atomics and the same bits for any thread count. */
static int32_t NE_PFN(ne_dps_backward_data)(void* vctx, int64_t c0, int64_t c1) {
    NE_PFN(ne_dps_ctx)* c = vctx;
    const ne_dps_geom* g = c->g;
    const int64_t g2 = g->gs * g->gs;
    for (int64_t ch = c0; ch < c1; ch++) {
        const int64_t ct = ch / g2;
        for (int64_t k = 0; k < g->k; k++)
            for (int64_t ph = 0; ph < g->p; ph++)
                for (int64_t pw = 0; pw < g->p; pw++) {
                    NE_PFN(ne_dps_bin) b;
                    NE_PFN(ne_dps_bin_geom)(g, c->rois, c->trans, c->std, c->scale, k, ct, ph, pw, &b);
                    if (b.c != ch) continue;
                    NE_PFN(ne_dps_bin_backward)(c, k, ct, ph, pw, &b, c->gdata + (b.batch * g->c + ch) * g->h * g->w, NULL, NULL);
                }
    }
    return 0;
}

/* grad trans of ROIs [k0, k1): a task owns the ROI's trans row. */
static int32_t NE_PFN(ne_dps_backward_trans)(void* vctx, int64_t k0, int64_t k1) {
    NE_PFN(ne_dps_ctx)* c = vctx;
    const ne_dps_geom* g = c->g;
    for (int64_t k = k0; k < k1; k++)
        for (int64_t ct = 0; ct < g->odim; ct++)
            for (int64_t ph = 0; ph < g->p; ph++)
                for (int64_t pw = 0; pw < g->p; pw++) {
                    NE_PFN(ne_dps_bin) b;
                    NE_PFN(ne_dps_bin_geom)(g, c->rois, c->trans, c->std, c->scale, k, ct, ph, pw, &b);
                    NE_T tx = 0, ty = 0;
                    NE_PFN(ne_dps_bin_backward)(c, k, ct, ph, pw, &b, NULL, &tx, &ty);
                    c->gtrans[b.tidx] += tx;
                    c->gtrans[b.tidx + g->part * g->part] += ty;
                }
    return 0;
}
