/* The forward and backward of one dtype (NE_T, NE_S; see ne_deform_psroi_pool_kernels.h), included
 * once per dtype by ne_deform_psroi_pool_cpu.c after the kernels. Plain functions returning a
 * status: the entry points only pick the dtype. */

/* Batch indices are checked in Java; checked again here so a direct caller cannot read past data. */
static int32_t NE_PFN(ne_dps_check_rois)(const ne_dps_geom* g, const NE_T* rois) {
    for (int64_t k = 0; k < g->k; k++) {
        const NE_T b = rois[k * 5];
        if (!(b >= 0 && (int64_t) b < g->n)) return NE_ERR_INDEX_OUT_OF_RANGE;
    }
    return NE_OK;
}

/* data [N][odim*G²][H*W] into dt [N][G²][H*W][odim] (see ne_deform_psroi_pool_kernels.h), or
 * back (to_nchw) from dt's layout into NCHW. */
static void NE_PFN(ne_dps_relayout)(const ne_dps_geom* g, const NE_T* from, NE_T* to, int to_nchw, int32_t threads) {
    const int64_t plane = g->h * g->w, g2 = g->gs * g->gs;
    for (int64_t n = 0; n < g->n; n++)
        for (int64_t p = 0; p < g2; p++) {
            if (to_nchw) {
                NE_PFN(ne_dps_tr_ctx) tc = {from + (n * g2 + p) * plane * g->odim, to + n * g->c * plane + p * plane,
                                            g->odim, g->odim, g2 * plane};
                ne_parallel_for(plane, threads, NE_PFN(ne_dps_transpose), &tc);
            } else {
                NE_PFN(ne_dps_tr_ctx) tc = {from + n * g->c * plane + p * plane, to + (n * g2 + p) * plane * g->odim,
                                            plane, g2 * plane, g->odim};
                ne_parallel_for(g->odim, threads, NE_PFN(ne_dps_transpose), &tc);
            }
        }
}

static int32_t NE_PFN(ne_dps_forward_run)(const ne_dps_geom* g, const NE_T* data, const NE_T* rois, const NE_T* trans,
                                          NE_T* output, NE_T* top_count, double spatial_scale, double trans_std,
                                          int32_t threads, int32_t isa) {
    int32_t s = NE_PFN(ne_dps_check_rois)(g, rois);
    if (s != NE_OK) return s;
    NE_T* dt = malloc((size_t) (g->n * g->c * g->h * g->w) * sizeof(NE_T));
    if (!dt) return NE_ERR_OUT_OF_MEMORY;
    NE_PFN(ne_dps_relayout)(g, data, dt, 0, threads);
    NE_PFN(ne_dps_ctx) c = {g, rois, trans, NULL, NULL, dt, output, top_count, NULL, NULL,
                            (NE_T) spatial_scale, (NE_T) trans_std, isa};
    s = ne_parallel_for(g->k, threads, NE_PFN(ne_dps_forward), &c);
    free(dt);
    return s;
}

/* grad data in dt's layout by output-channel blocks, then back to NCHW; grad trans by ROI. */
static int32_t NE_PFN(ne_dps_backward_run)(const ne_dps_geom* g, const NE_T* grad_output, const NE_T* data,
                                           const NE_T* rois, const NE_T* trans, const NE_T* top_count, NE_T* grad_data,
                                           NE_T* grad_trans, double spatial_scale, double trans_std, int32_t threads,
                                           int32_t isa) {
    int32_t s = NE_PFN(ne_dps_check_rois)(g, rois);
    if (s != NE_OK) return s;
    const size_t len = (size_t) (g->n * g->c * g->h * g->w);
    NE_T* dt = malloc(len * sizeof(NE_T));
    NE_T* gdt = calloc(len, sizeof(NE_T));
    if (!dt || !gdt) {
        free(dt);
        free(gdt);
        return NE_ERR_OUT_OF_MEMORY;
    }
    NE_PFN(ne_dps_relayout)(g, data, dt, 0, threads);
    NE_PFN(ne_dps_ctx) c = {g, rois, trans, grad_output, top_count, dt, NULL, NULL, gdt, grad_trans,
                            (NE_T) spatial_scale, (NE_T) trans_std, isa};
    s = ne_parallel_for((g->odim + 15) / 16, threads, NE_PFN(ne_dps_backward_data), &c);
    if (s == NE_OK) NE_PFN(ne_dps_relayout)(g, gdt, grad_data, 1, threads);
    if (s == NE_OK && trans) s = ne_parallel_for(g->k, threads, NE_PFN(ne_dps_backward_trans), &c);
    free(dt);
    free(gdt);
    return s;
}
