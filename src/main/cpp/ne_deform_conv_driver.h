/* Typed forward/backward drivers of deformable convolution on the CPU (see the layout notes in
 * ne_deform_conv_kernels.h). Included per dtype after ne_gemm.h and ne_deform_conv_kernels.h.
 *
 * Forward, per image: the input in HWC order; the output positions split between the threads in
 * units of the GEMM's 12 rows (evenly for any thread count; a thread done with its share takes
 * the rest of another's from the back, ne_dcn_take); each thread, in blocks of at most
 * NE_DCN_BLOCK_ELEMS column elements (about L2) and with its own buffers, builds the table and the
 * column rows of a block (im2row) and runs a single-threaded GEMM against W'^T, packed once per
 * call, into a small [positions][C_out] tile (on AVX-512 the last KC slice's tiles write their
 * results transposed straight into the NCHW output; elsewhere the tile is transposed). Its rows are
 * built one GEMM KC slice at a time (ne_dcn_row_slice: [positions][KC + one line], in L2) and
 * multiplied slice by slice (ne_dcn_gemm_ra, ne_deform_conv_gemm.h: on AVX-512 the tiles read the
 * slice in place, elsewhere ne_gemm_pb packs it; k in ascending slices: the same chains),
 * the weight being packed slice-major; the weight's packing and the first image's HWC copy share
 * one parallel pass. Backward, per chunk of positions (NE_DCN_CHUNK_ELEMS, as before): the table;
 * grad weight by units of columns (ne_dcn_dw_units: each task samples its units' rows straight
 * into its own packed block and sweeps it against grad output packed by the task; each element's
 * fma chain runs over the positions in order, chunk after chunk; the first chunk overwrites
 * instead of a memset); then per sub-block of positions whose column gradient stays in L2
 * (NE_DCN_SUB_ELEMS): the column gradient (GEMM split by positions) with grad offset / mask of
 * the same positions in the same task, and grad input (split by channels; at one thread done in
 * the grad offset / mask pass, in the same order). Every GEMM output is one fma chain in a fixed
 * order, and every other sum has a fixed order, so the results are the same bits for any thread
 * count, block size and ISA variant (tests: DeformConv2dTest).
 *
 * Profile (issue 11), [1,256,50,50] 3x3 256->256 v2 float32, one thread, CPU time of the
 * calling thread (the 2-core AVX-512 machine was shared with other jobs: wall time there mostly
 * measured them; NE_DCN_PROFILE builds the timers in, slot numbers in the NE_DCN_PROF calls):
 *   OpenBLAS (before the first session): columns 4.3 ms, GEMM 21.8 ms, total 28-29 ms; backward
 *     65-75 ms; OpenBLAS's own threads at 2 threads: 114-888 ms wall under load.
 *   first session: forward 24-28 ms; backward 59.5 ms: columns into packed B 5.0, column-gradient
 *     GEMM 20.9, grad-weight GEMM 22.4, grad offset/mask 3.2, grad input 2.2, copies and
 *     packing about 6.
 *   second session (2026-12-05, profile build, load 2.8): forward 18.0 ms: table + row slices
 *     1.9, GEMM 16.3 (the micro-kernel alone on L1 data would take 13.7: ~215 GFLOP/s), output
 *     transpose 0.4, weight packing + HWC copy 0.7, bias 0.1 (the whole rows of a 216-position
 *     block, 2 MB, went through L3: 18.7 ms). At two threads the same work splits by positions:
 *     GEMM 16.7 ms summed over both threads, but two single-threaded forwards run side by side
 *     each take about 10% more CPU time than one alone (two copies of the GEMM micro-kernel on L1
 *     data do not slow each other: it is the shared cache), which bounds 2 threads / 1 thread
 *     near 1.8-1.9. Backward 41.7 ms (49.0 at the first session's code, same load): table + rows
 *     into packed blocks 2.7 (3.9 when a row at a time wrote 128-byte pieces 32 KB apart into
 *     the whole chunk's B, 3.0 for that B panel by panel), column-gradient GEMM 17.8, grad-weight
 *     GEMM 16.1 (17.6 with the whole chunk's B through L3, 18.2-19.2 with MC 240), grad
 *     offset/mask + grad input 3.6 (was 3.6 + 2.3: four corner dot products per (position, tap)
 *     instead of twelve products per channel, one pass for both at one thread), HWC copy +
 *     zeroing 0.6, W' packing 0.6 (0.9 with the memset of dW' it replaced), grad input transpose
 *     0.5, dW' permutation 0.4, grad bias 0.2 (0.5 as one chain). Tried and not kept (slower,
 *     same bits): the column gradient tap by tap for the whole chunk (W' streamed once per
 *     chunk; grad input then walks taps before positions: +2 ms), and one pass for rows, grad
 *     offset/mask and grad input (each corner run read once: 6.7 -> 8.4 ms, panel-by-panel
 *     stores breaking the runs of the scatter, or per-row copies).
 *   third session (2026-12-05 01:20-01:27, quiet: load 0.7-1.1), C driver, forward: 1 thread
 *     17.6-20.5 ms, table + row slices 1.7-2.0, GEMM 15.2-17.4, transpose 0.3-0.6, weight packing
 *     + HWC copy 0.6-0.8; 2 threads 9.2-10.2 ms wall (1 thread / 2 threads 1.9-2.0), the packing
 *     + HWC pass 0.4-0.5 ms wall of it. In the JVM the 2-thread forward was ~1 ms slower than
 *     here: DeformConv2d zeroed the output (a serial 2.5 MB memset; the backward's gradients, ~5
 *     MB) before these kernels overwrote it; they are now allocated unzeroed on the CPU. Not kept:
 *     forward blocks of 2^20 elements at 2 threads (the weight streamed half as often: the same
 *     time; 2^18: 2-5% slower), ne_dcn_packw through an L1 tile of 16 channels x 9 taps x nr (prep 0.61 -> 0.80 ms).
 *   fourth session (2026-12-05 02:00-02:25, the machine shared with two helpers' builds and
 *     tests, load 0.8-6; min of 9-21 reps): forward 1 thread 17.1-18.1 ms (was 17.8-18.6 in the
 *     same hour): table + row slices 1.8-1.9, GEMM 14.5-15.0 (17.1 before: the tiles read the
 *     slice in place, ne_dcn_tile_ra; 13.7 would be the micro-kernel on L1 data), transpose
 *     0.4-0.6, prep 0.7-0.8; 2 threads 9.0-9.4 ms wall (GEMM 14.9 summed over both threads: +3%
 *     against one thread). Backward 1 thread 37.5-38.7 ms (38.5-39.7 before): table + rows 2.4,
 *     column-gradient GEMM about 16 (ne_dcn_gemm_pf: W' prefetched panel by panel; with W' held
 *     in L2 instead, a diagnostic with wrong results, it was 2 ms less), grad offset/mask + grad
 *     input 3.3-3.6, grad-weight GEMM 14.5-15.4 (ne_dcn_sweep4: the 4-row tile on C_out's last
 *     panel), HWC copy + zeroing 0.6, W' packing 0.5, transposes and permutation 1.0, grad bias
 *     0.15; 2 threads 24.4 ms wall. Not kept (no gain, or slower; same bits): prefetching the
 *     next (position, tap)'s corner runs in the forward's sampling (1.8 -> 2.0 ms) or in grad
 *     offset/mask (3.4 -> 3.9), dcol sub-blocks of 2^17-2^20 elements or backward chunks of
 *     2^21-2^23 (the same), dcol rows padded by one or two lines (the same), W' packed row by
 *     row through an L1 transpose (0.58 -> 0.73 ms) or by AVX-512 gathers (0.6 -> 0.5 ms, the
 *     forward's packing unchanged: not worth a second path), the grad-weight product's last
 *     chunk writing grad weight's [co][ci][t] layout itself instead of the permutation pass (that
 *     product 15.9 -> 16.7-20 ms: 36-byte-strided scalar stores). Kept after the table above: the
 *     forward's last slice written transposed into the output by its tiles (the 0.5-0.65 ms
 *     transpose gone; forward about 0.3-0.4 ms less).
 *   fifth session (2026-12-05 03:27-03:45, one helper, load 0.7-1.3): the scratch block (ne_deform_conv_cpu.c) on
 *     2 MiB pages (madvise, as conv2d): profile driver, one thread, backward 37.4-38.1 -> 34.4-34.6
 *     ms, forward 16.9 -> 15.5 (TLB misses over ~3000 4 KiB pages; the same bits). Both got
 *     faster, so backward / forward stayed at 2.2. Kept after it: grad offset / mask's 16 lanes
 *     per corner summed as a 4-level tree instead of a chain of 16 (ne_dcn_coord_rows; backward
 *     median 0.2-0.6 ms less in 4 of 4 alternated pairs, min 0-0.5; it changes those gradients'
 *     rounding, the same for every ISA and thread count). Not kept (no gain beyond the noise of
 *     +-0.5 ms in alternated runs; same bits): the coord runs starting from +0 instead of a zeroed acc, W''s panels
 *     walked in reverse every other sub-block (to find the last panels still in L2), one call per
 *     piece for the 16 positions of a rows_block block (ne_dcn_row per position before), the
 *     transposes in 16- or 64-row blocks, NE_DCN_PFS 1, NE_DCN_PFH T0, NE_DCN_QB 8 / 32,
 *     NE_DCN_SUB_ELEMS 2^17.
 *   sixth session (2026-12-05 03:45-04:15, one helper, the lead's tests running: load 0.9-1.9;
 *     profile driver, one thread, min / median of 31-41 reps, alternated with the base): backward
 *     34.5-35.1 / 35.2-35.7 ms: table 0.45, rows 1.55, column gradient 13.7 + its A packing 0.45
 *     + grad offset / mask and grad input 2.9, grad weight 13.6 (the three products, forward's
 *     included, all at 13.6-13.7), HWC copy 0.5, zeroing grad input 0.08, W' packing 0.55, grad
 *     input transpose 0.55, dW' permutation 0.4, grad bias 0.17. The brief's ideas (1) and (2) were
 *     already in place (rows sampled into the packed B block; dcol rows are what ne_dcn_coord_rows
 *     reads, no copy between) and (3) does not apply (the two products pack grad output in
 *     different layouts: [C_out panels][positions] against [position panels][C_out]). Not kept
 *     (same bits, no gain beyond the noise): the column gradient's KC slice in two or four k
 *     halves per B panel (B's half panel in L1, C reloaded: 0.3-0.5 ms slower), its position
 *     tiles walked in serpentine order (the last A tile reused from L1: the same),
 *     NE_DCN_SUB_ELEMS 2^19 / 2^20 (the same); NE_DCN_CHUNK_ELEMS 2^21 was 0-0.3 ms faster but
 *     raises peak memory (buffers scale with the chunk). What is left outside the two products
 *     (~7 ms, of which ~2.3 ms of copies, packing and bias) are pieces of 0.2-0.6 ms each. Kept:
 *     the column gradient's A packed row by row of grad output (ne_dcn_pack_at: m elements read
 *     in sequence, the row 4 ahead prefetched; 2-8 the same) instead of panel by panel (that
 *     packing 0.44-0.45 -> 0.33-0.39 ms in 6 of 6 alternated runs; same bits), too small for
 *     the benchmark to resolve: bwd / fwd there 2.15-2.32 (min) for both, the lead's tests
 *     running; the goal (<= 2.2) is met in some runs and not in others, for either code.
 *   seventh session (2026-12-05 04:20-05:00, the machine shared with the lead and another helper,
 *     load 0.2-3.5; profile driver, one thread, min per phase over 15 reps, alternated builds;
 *     the driver now prints each slot's min). Quiet moments: backward 33.3-34.1 ms, forward
 *     15.4-15.6 (bwd / fwd 2.17-2.19): backward table 0.42, rows 1.41-1.45, column gradient +
 *     its A packing 13.9-14.0, grad offset / mask + grad input 2.44-2.55, grad weight 13.4-13.9
 *     + its A packing 0.28, HWC copy + zeroing 0.35-0.39, W' packing
 *     0.37-0.44, grad input transpose 0.30-0.35, dW' permutation 0.32-0.35, grad bias 0.09;
 *     forward table 0.34, row slices 1.01, GEMM 13.5-13.6, packing + HWC 0.58-0.62. The three
 *     products run at about 217 GFLOP/s (the micro-kernel's rate), so bwd / fwd =
 *     (2 P + 7) / (P + 2) sits at 2.15-2.2 and anything that speeds up both passes alike raises
 *     it; only backward-only pieces can lower it, and those measured here are bound by memory
 *     traffic, not instructions. The tables now have their own slot (16; the forward's slot 0
 *     and the backward's 4 are the sampling alone) and the grad-weight product's A packing
 *     slot 17. Kept: work stealing in the forward (ne_dcn_take: 2-thread forward min 8.0-8.1
 *     against 8.7-8.8 ms in a pair of runs with other jobs on the machine, the same in four
 *     other pairs; with a core taken away both are slow). Not kept (same bits unless said; min
 *     per phase in alternated runs): the grad-weight blocks' sampling with the channel-run loop
 *     inlined (AVX-512 intrinsics, no call through the variant table: 1.28-1.37 -> 1.18-1.30,
 *     within the noise, not worth a second path), grad offset / mask + grad input inlined with
 *     the 4 corners' lanes in registers and the tree by shuffles (2.70 -> 2.66: each 16
 *     channels read 8 corner lines and dcol's from L2, about 26 cycles, whatever the code),
 *     the column gradient tap by tap with that tap's grad offset / mask right after its
 *     columns (W' rows and dcol of one tap in L2; grad input's terms then in (tap, position)
 *     order, other bits: grad offset / mask 2.9 -> 3.35, the product the same), the
 *     column-gradient GEMM skipped (a diagnostic, wrong results: grad offset / mask 2.7 -> 2.4,
 *     so W' streaming through L2 costs it only 0.3), NE_DCN_PFH NTA / T2 (the same), dW'
 *     accumulated in grad weight's own memory and permuted in place through one row in L1
 *     (the permutation 0.37 -> 0.16, but the grad-weight product 13.4-13.6 -> 14.1: the
 *     caller's memory is on 4 KiB pages; committed, then reverted), W' packed through a
 *     transposed row in L1 (0.44 -> 0.69) or 16 rows in L2 (0.51), grad output packed once
 *     per chunk for all tasks with grad bias summed in the same pass (0.39-0.46 against 0.28 +
 *     0.12: the same), the grad-weight blocks sampled a whole run per position into an L1
 *     buffer and copied into the panels (1.68 -> 2.05), NE_DCN_QB 1 / 4 / 64 (3.5 / 2.1-2.3 /
 *     the same), the image and its gradient interleaved per pixel (one 2 KB run per corner:
 *     grad offset / mask 2.5 -> 2.6, HWC copy 0.35 -> 0.51), the scratch buffers reordered so
 *     that the small hot ones lie inside the 2 MiB pages and W' in the 4 KiB tail, or the
 *     whole block on 2 MiB pages (the same), NE_DCN_CHUNK_ELEMS 2^21 (768 positions: column
 *     gradient 0.3-0.6 less, rows 0.3-0.4 more; with NC / 2 columns per grad-weight block at
 *     one thread the same or slower), 8 x 8 AVX transposes (standalone, 10% at best). In the
 *     JVM the backward measured 35.0-35.2 ms by thread CPU time against 33.4-34 here in the
 *     same hour (the forward 15.6-15.7 against 15.4): that gap is outside these kernels.
 * Command: tools/profile/dcn_profile.c (its header says how to build it with the timers); the
 * benchmark itself is `bin/bench-detection deform_conv` (README, deformable convolution).
 * Fusing the bilinear sampling into GEMM packing: in the backward, the sampled rows are B of the
 * grad-weight GEMM and runs of channels stay contiguous in its packed panels, so they are
 * sampled there directly (that GEMM 28-30 -> 22 ms in the first session, the separate copy
 * gone). In the forward the rows are A, packed as [k][12 positions]: the sampled runs are
 * contiguous in channels, the panels in positions, so sampling into them would need the 4x4
 * transposes the packing does; instead a KC slice of the rows is sampled just before its GEMM
 * step, so the rows never leave L2, and (fourth session, AVX-512) the tiles broadcast A from that
 * slice itself, so the A packing is gone altogether (ne_deform_conv_gemm.h). */

#ifndef NE_DCN_CHUNK_ELEMS
#define NE_DCN_CHUNK_ELEMS ((int64_t) 1 << 20)
#endif

/* Backward: output positions per chunk: as many whole column rows as fit NE_DCN_CHUNK_ELEMS, at
 * least 1, rounded down to a multiple of the GEMM's KC when that many fit (the chunk is the k of
 * the grad-weight GEMM: a short last k block costs a pass over grad weight for little work). */
static int64_t NE_FN(ne_dcn_chunk_len)(const ne_dcn_geom* g) {
    const int64_t hw = g->ho * g->wo, kc = g->cin * g->kh * g->kw;
    int64_t np = NE_DCN_CHUNK_ELEMS / kc;
#ifndef NE_DCN_NO_KC_ROUND
    if (np >= NE_GEMM_KC) np = np / NE_GEMM_KC * NE_GEMM_KC;
#endif
    if (np < 1) np = 1;
    return np < hw ? np : hw;
}

/* Backward: positions per dcol sub-block: a multiple of MR whose dcol rows (about
 * NE_DCN_SUB_ELEMS elements) stay in L2 between the column-gradient GEMM, grad offset / mask and
 * grad input. The results do not depend on it. */
#ifndef NE_DCN_SUB_ELEMS
#define NE_DCN_SUB_ELEMS ((int64_t) 1 << 18)
#endif
static int64_t NE_FN(ne_dcn_sub_len)(const ne_dcn_geom* g, int64_t npmax) {
    int64_t n = NE_DCN_SUB_ELEMS / (g->cin * g->kh * g->kw) / NE_GEMM_MR * NE_GEMM_MR;
    if (n < NE_GEMM_MR) n = NE_GEMM_MR;
    return n < npmax ? n : npmax;
}

/* The image b of x [cin][plane] into xh [plane][cin]. */
static void NE_FN(ne_dcn_to_hwc)(const ne_dcn_geom* g, const NE_T* x, NE_T* xh, int32_t threads) {
    NE_FN(ne_dcn_tr_ctx) tc = {x, xh, g->cin, g->h * g->w, 0};
    ne_parallel_for(g->cin, threads, NE_FN(ne_dcn_transpose), &tc);
}

/* Forward block size: positions per block, a multiple of the GEMM's MR rows, such that the
 * blocks of all threads together span at most NE_DCN_CHUNK_ELEMS column elements and one block
 * at most NE_DCN_BLOCK_ELEMS (216 positions for the benchmark: the packed weight is streamed
 * once per block; 2^18 and 2^20 measured no better). Only one KC slice of a block's rows is
 * stored at a time. The results do not depend on it (every output is one fma chain over k,
 * ne_gemm.h). */
#ifndef NE_DCN_BLOCK_ELEMS
#define NE_DCN_BLOCK_ELEMS ((int64_t) 1 << 19)
#endif

/* Row stride of the forward's KC slice of rows: KC plus one cache line, so that the 12 rows a
 * tile reads side by side (ne_dcn_tile_ra) do not fall into the same few L1 sets. */
#ifndef NE_DCN_LDA
#define NE_DCN_LDA (NE_GEMM_KC + 64 / (int64_t) sizeof(NE_T))
#endif

static int64_t NE_FN(ne_dcn_block_len)(const ne_dcn_geom* g, int32_t threads) {
    const int64_t hw = g->ho * g->wo, kc = g->cin * g->kh * g->kw;
    int64_t t = threads < 1 ? 1 : threads;
    int64_t elems = NE_DCN_CHUNK_ELEMS / t;
    if (elems > NE_DCN_BLOCK_ELEMS) elems = NE_DCN_BLOCK_ELEMS;
    int64_t np = elems / kc / NE_GEMM_MR * NE_GEMM_MR;
    if (np < NE_GEMM_MR) np = NE_GEMM_MR;
    return np < hw ? np : hw;
}

typedef struct {
    const ne_dcn_geom* g;
    const NE_T *xh, *offset, *mask, *wt, *bias;   /* wt: W'^T of each group packed for ne_gemm_pb */
    NE_T* out;
    int64_t b, npb, wstride;                       /* wstride: elements per group in wt */
    int64_t nunits, tasks;                         /* MR-position units of the image, tasks */
    char* slots;                                   /* per task: col, cb, work, tab (slot bytes each) */
    size_t slot;
    uint64_t* ranges;                              /* per task, 64 bytes apart: units [lo, hi) left */
    NE_FN(ne_dcn_simd) simd;
    int32_t isa;
} NE_FN(ne_dcn_fwd_ctx);

/* Work stealing between the forward's tasks. Task i starts with the MR-row units [nunits * i /
 * tasks, nunits * (i + 1) / tasks) (even for any thread count); a range is one 64-bit word, lo in
 * its low half and hi in its high half, changed by compare-and-swap only. Its owner takes blocks
 * from the front; a task whose range is empty takes from the back of another's: half of what is
 * left there, at most a block. So when one core is slowed (another process on it) the other
 * finishes its work, and when both run alike nothing moves. Which thread computes a position
 * never changes its value (each output is one fma chain over k whatever the block). */
#define NE_DCN_RANGE(lo, hi) ((uint64_t) (lo) | ((uint64_t) (hi) << 32))
static int NE_FN(ne_dcn_take)(uint64_t* r, int64_t max, int front, int64_t* u0, int64_t* u1) {
    uint64_t v = __atomic_load_n(r, __ATOMIC_ACQUIRE);
    for (;;) {
        const int64_t lo = (int64_t) (v & 0xffffffffu), hi = (int64_t) (v >> 32), left = hi - lo;
        if (left <= 0 || (!front && left < 2)) return 0;
        int64_t n = front ? left : (left + 1) / 2;
        if (n > max) n = max;
        const uint64_t w = front ? NE_DCN_RANGE(lo + n, hi) : NE_DCN_RANGE(lo, hi - n);
        if (__atomic_compare_exchange_n(r, &v, w, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            *u0 = front ? lo : hi - n;
            *u1 = front ? lo + n : hi;
            return 1;
        }
    }
}

/* Bytes of one forward task's buffers: one KC slice of the rows, output tile, GEMM workspace, table. */
static size_t NE_FN(ne_dcn_fwd_slot)(const ne_dcn_geom* g, int64_t npb) {
    const int64_t kk = g->kh * g->kw;
    return ne_dcn_bytes(npb * NE_DCN_LDA, sizeof(NE_T)) + ne_dcn_bytes(npb * g->cout, sizeof(NE_T)) +
           ne_dcn_bytes(NE_GEMM_WORK, sizeof(NE_T)) + ne_dcn_bytes(g->dg * npb * kk, sizeof(NE_FN(ne_dcn_tap)));
}

/* Forward task i of image b: blocks of at most npb positions (whole MR-row units) taken from its
 * own range, then from the others' (ne_dcn_take), each with the task's own buffers: the table,
 * then per conv group and KC slice of k the slice of the rows and the GEMM's step over it,
 *     C[p][co] = bias[co] + sum_k rows[p][k] * W'[co][k]      (C: positions x C_out)
 * with B = W'^T ([kg][cog] per group, packed once per call), and C transposed into the NCHW
 * output. */
static int32_t NE_FN(ne_dcn_fwd_blocks)(void* vctx, int64_t i0, int64_t i1) {
    NE_FN(ne_dcn_fwd_ctx)* c = vctx;
    const ne_dcn_geom* g = c->g;
    const int64_t hw = g->ho * g->wo, kk = g->kh * g->kw, cig = g->cin / g->groups, kg = cig * kk;
    const int64_t cog = g->cout / g->groups, npb = c->npb, nr = NE_FN(ne_gemm_nr)(c->isa), npad = (cog + nr - 1) / nr * nr;
    const int64_t bu = npb / NE_GEMM_MR > 0 ? npb / NE_GEMM_MR : 1;
    for (int64_t i = i0; i < i1; i++) {
        char* m = c->slots + (size_t) i * c->slot;
        NE_T* col = (NE_T*) m;
        m += ne_dcn_bytes(npb * NE_DCN_LDA, sizeof(NE_T));
        NE_T* cb = (NE_T*) m;
        m += ne_dcn_bytes(npb * g->cout, sizeof(NE_T));
        NE_T* work = (NE_T*) m;
        m += ne_dcn_bytes(NE_GEMM_WORK, sizeof(NE_T));
        NE_FN(ne_dcn_tap)* tab = (NE_FN(ne_dcn_tap)*) m;
        int64_t u0, u1, victim = 0;
        for (;;) {
            if (!NE_FN(ne_dcn_take)(c->ranges + 8 * i, bu, 1, &u0, &u1)) {
                /* own range done: the others', from the back (i + 1, i + 2, ... in turn) */
                int got = 0;
                for (; victim < c->tasks - 1 && !got; victim += got ? 0 : 1)
                    got = NE_FN(ne_dcn_take)(c->ranges + 8 * ((i + 1 + victim) % c->tasks), bu, 0, &u0, &u1);
                if (!got) break;
            }
            const int64_t p0 = u0 * NE_GEMM_MR, np = (u1 * NE_GEMM_MR < hw ? u1 * NE_GEMM_MR : hw) - p0;
            NE_FN(ne_dcn_chunk) ch = {g, c->xh, c->offset, c->mask, c->b, p0, np, col, NULL, tab, NULL, NULL, NULL, NULL,
                                      c->simd, 0, 0};
            NE_DCN_PROF(16, for (int64_t q = 0; q < np; q++) NE_FN(ne_dcn_tab_row)(&ch, q));
            const int direct = NE_FN(ne_dcn_ra)(c->isa);
            if (c->bias && !direct)   /* AVX-512: the first slice's tiles start from the bias */
                NE_DCN_PROF(11, for (int64_t p = 0; p < np; p++)
                    for (int64_t co = 0; co < g->cout; co++) cb[p * g->cout + co] = c->bias[co]);
            /* Per conv group and KC slice of k: the slice of the rows (in L2), then the GEMM's step
             * over it (k split into calls in ascending order: the same chains, ne_gemm.h). */
            /* On AVX-512 the last slice's tiles write their results transposed straight into the
             * NCHW output (ne_dcn_tile_rao); elsewhere the tile cb is transposed afterwards. */
            NE_T* o = c->out + c->b * g->cout * hw + p0;
            for (int64_t gi = 0; gi < g->groups; gi++)
                for (int64_t k0 = 0; k0 < kg; k0 += NE_GEMM_KC) {
                    const int64_t kb = kg - k0 < NE_GEMM_KC ? kg - k0 : NE_GEMM_KC;
                    NE_T* to = direct && k0 + kb == kg ? o + gi * cog * hw : NULL;
                    NE_DCN_PROF(0, NE_FN(ne_dcn_row_slice)(&ch, gi, k0, kb, col, NE_DCN_LDA));
                    NE_DCN_PROF(1, NE_FN(ne_dcn_gemm_ra)(np, cog, kb, col, NE_DCN_LDA, c->wt + gi * c->wstride + k0 * npad,
                                                         cb + gi * cog, g->cout, (direct || c->bias == NULL) && k0 == 0,
                                                         work, c->isa, to, hw,
                                                         direct && c->bias && k0 == 0 ? c->bias + gi * cog : NULL));
                }
            if (!direct) {
                NE_FN(ne_dcn_tr_ctx) tc = {cb, o, np, g->cout, hw};
                NE_DCN_PROF(2, NE_FN(ne_dcn_transpose)(&tc, 0, np));
            }
        }
    }
    return 0;
}

typedef struct {
    const NE_T* w;       /* the weight [C_out][cig][kk] */
    NE_T* dst;
    int64_t cog, cig, kk, stride, panels;
    int fwd;             /* 1: forward, B = W'^T (ne_dcn_packw); 0: backward, B = W' (ne_dcn_packw_rows) */
    int32_t isa;
} NE_FN(ne_dcn_packw_ctx);

/* Packs the (group, panel) pairs [r0, r1) of the forward's GEMM operand B = W'^T ([k = t * cig +
 * ci][j = co] per group) straight from the weight's [co][ci][t] layout (W' = the weight with (ci,
 * t) swapped is never built), as one matrix packed for ne_gemm_pb per KC slice of k: slice k0 at
 * k0 * (C_out/groups rounded up to nr), so that the forward can multiply slice by slice (for
 * C_out/groups <= NC that is ne_gemm_pb's own layout of the whole B). */
static int32_t NE_FN(ne_dcn_packw)(void* vctx, int64_t r0, int64_t r1) {
    NE_FN(ne_dcn_packw_ctx)* c = vctx;
    const int64_t kg = c->cig * c->kk, nr = NE_FN(ne_gemm_nr)(c->isa);
    const int64_t n = c->cog, k = kg, npad = (n + nr - 1) / nr * nr;
    for (int64_t r = r0; r < r1; r++) {
        const int64_t gi = r / c->panels, j = (r % c->panels) * nr;
        const int64_t w = n - j < nr ? n - j : nr;
        const NE_T* wg = c->w + gi * c->cog * kg;
        for (int64_t k0 = 0; k0 < k; k0 += NE_GEMM_KC) {
            const int64_t kb = k - k0 < NE_GEMM_KC ? k - k0 : NE_GEMM_KC;
            NE_T* d = c->dst + gi * c->stride + k0 * npad + j * kb;
            for (int64_t q = 0; q < kb; q++) {
                const int64_t kx = k0 + q;
                const NE_T* src = wg + j * kg + (kx % c->cig) * c->kk + kx / c->cig;
                int64_t jj = 0;
                for (; jj < w; jj++) d[q * nr + jj] = src[jj * kg];
                for (; jj < nr; jj++) d[q * nr + jj] = 0;
            }
        }
    }
    return 0;
}

/* Backward's B = W' ([k = co][j = t * cig + ci] per group) packed for ne_gemm_pb, for the blocks
 * [r0, r1) of NE_DCN_PACKW_ROWS rows k of a group: each block's rows are read from L2 and
 * written panel by panel as one contiguous run per panel (panel by panel over all rows read the
 * weight once per tap from L3: 0.8 ms). */
#ifndef NE_DCN_PACKW_ROWS
#define NE_DCN_PACKW_ROWS 16
#endif
static int32_t NE_FN(ne_dcn_packw_rows)(void* vctx, int64_t r0, int64_t r1) {
    NE_FN(ne_dcn_packw_ctx)* c = vctx;
    const int64_t kg = c->cig * c->kk, nr = NE_FN(ne_gemm_nr)(c->isa), n = kg, k = c->cog;
    const int64_t blocks = (c->cog + NE_DCN_PACKW_ROWS - 1) / NE_DCN_PACKW_ROWS;
    for (int64_t r = r0; r < r1; r++) {
        const int64_t gi = r / blocks, ka = (r % blocks) * NE_DCN_PACKW_ROWS;
        const int64_t kz = k - ka < NE_DCN_PACKW_ROWS ? k : ka + NE_DCN_PACKW_ROWS;
        const NE_T* wg = c->w + gi * c->cog * kg;
        int64_t off[64];   /* nr <= 32 */
        for (int64_t j = 0; j < n; j += nr) {
            const int64_t w = n - j < nr ? n - j : nr;
            for (int64_t jj = 0; jj < w; jj++) off[jj] = ((j + jj) % c->cig) * c->kk + (j + jj) / c->cig;
            NE_T* d = c->dst + gi * c->stride + ne_gemm_pb_index(n, k, nr, ka, j);
            for (int64_t kx = ka; kx < kz; kx++, d += nr) {
                if (kx != ka && kx % NE_GEMM_KC == 0) d = c->dst + gi * c->stride + ne_gemm_pb_index(n, k, nr, kx, j);
                const NE_T* src = wg + kx * kg;
                int64_t jj = 0;
                for (; jj < w; jj++) d[jj] = src[off[jj]];
                for (; jj < nr; jj++) d[jj] = 0;
            }
        }
    }
    return 0;
}

typedef struct {
    NE_FN(ne_dcn_packw_ctx)* pc;
    NE_FN(ne_dcn_tr_ctx) tc;     /* the first image into HWC order */
    int64_t units;               /* (group, panel) pairs of the weight */
    int32_t tasks;
} NE_FN(ne_dcn_prep_ctx);

/* Task i of the forward's preparation: its share of the weight's panels, then its share of the
 * first image's channels into HWC order. */
static int32_t NE_FN(ne_dcn_prep)(void* vctx, int64_t i0, int64_t i1) {
    NE_FN(ne_dcn_prep_ctx)* c = vctx;
    for (int64_t i = i0; i < i1; i++) {
        const int64_t np = c->units, nc = c->tc.rows;
        NE_FN(ne_dcn_packw)(c->pc, np * i / c->tasks, np * (i + 1) / c->tasks);
        NE_FN(ne_dcn_transpose)(&c->tc, nc * i / c->tasks, nc * (i + 1) / c->tasks);
    }
    return 0;
}

/* Threads: the position blocks of each image are split between the threads, each running
 * im2row and a single-threaded GEMM on its own blocks (no shared GEMM, no OpenBLAS threads). */
static int32_t NE_FN(ne_dcn_forward)(const ne_dcn_geom* g, const NE_T* input, const NE_T* offset, const NE_T* mask,
                                     const NE_T* weight, const NE_T* bias, NE_T* output, int32_t threads, int32_t isa) {
    const int64_t hw = g->ho * g->wo, kk = g->kh * g->kw, cig = g->cin / g->groups, plane = g->h * g->w;
    const int64_t npb = NE_FN(ne_dcn_block_len)(g, threads);
    const int64_t kg = cig * kk, cog = g->cout / g->groups, wstride = NE_FN(ne_gemm_pb_size)(cog, kg, isa);
    const int64_t nunits = (hw + NE_GEMM_MR - 1) / NE_GEMM_MR;
    const int64_t tasks = threads < 1 ? 1 : threads < nunits ? threads : nunits;
    const size_t slot = NE_FN(ne_dcn_fwd_slot)(g, npb);
    size_t bytes = ne_dcn_bytes(plane * g->cin, sizeof(NE_T)) + ne_dcn_bytes(g->groups * wstride, sizeof(NE_T)) +
                   (size_t) tasks * slot + ne_dcn_bytes(tasks * 8, sizeof(uint64_t));
    char* mem = ne_dcn_scratch_get(&bytes);
    if (!mem) return NE_ERR_OUT_OF_MEMORY;
    NE_T* xh = (NE_T*) mem;
    NE_T* wtp = (NE_T*) (mem + ne_dcn_bytes(plane * g->cin, sizeof(NE_T)));
    char* slots = (char*) wtp + ne_dcn_bytes(g->groups * wstride, sizeof(NE_T));
    uint64_t* ranges = (uint64_t*) (slots + (size_t) tasks * slot);
    int32_t s = NE_OK;
    /* W'^T (W': the weight with its (channel, tap) axes swapped), packed for the GEMM, in the same
     * parallel pass as the first image's HWC copy (one fork-join less per call). */
    const int64_t nr = NE_FN(ne_gemm_nr)(isa);
    NE_FN(ne_dcn_packw_ctx) pc = {weight, wtp, cog, cig, kk, wstride, (cog + nr - 1) / nr, 1, isa};
    NE_FN(ne_dcn_prep_ctx) pr = {&pc, {input, xh, g->cin, plane, 0}, g->groups * pc.panels, threads < 1 ? 1 : threads};
    NE_DCN_PROF(10, ne_parallel_for(pr.tasks, pr.tasks, NE_FN(ne_dcn_prep), &pr));
    for (int64_t b = 0; b < g->n && s == NE_OK; b++) {
        if (b > 0) NE_DCN_PROF(3, NE_FN(ne_dcn_to_hwc)(g, input + b * g->cin * plane, xh, threads));
        for (int64_t i = 0; i < tasks; i++) ranges[8 * i] = NE_DCN_RANGE(nunits * i / tasks, nunits * (i + 1) / tasks);
        NE_FN(ne_dcn_fwd_ctx) fc = {g, xh, offset, mask, wtp, bias, output, b, npb, wstride, nunits, tasks, slots, slot,
                                    ranges, NE_FN(ne_dcn_simd_pick)(isa), isa};
        s = ne_parallel_for(tasks, (int32_t) tasks, NE_FN(ne_dcn_fwd_blocks), &fc);
    }
    ne_dcn_scratch_put(mem, bytes);
    return s;
}

/* ---- Backward: the GEMMs split between threads by rows of their result. ---- */

typedef struct {
    const ne_dcn_geom* g;
    const NE_T *go, *wpp;        /* grad output at the chunk's first position, W' packed per group */
    NE_T *dcol, *dwp;
    int64_t np, wstride;
    int64_t units, tasks;        /* MR-row units of the GEMM's result split between tasks */
    NE_T* work;                  /* NE_GEMM_WORK elements per task */
    int first;                   /* dW GEMM: the first chunk of the batch (overwrites dW', no memset) */
    const NE_FN(ne_dcn_chunk)* ch; /* dcol GEMM: the chunk, whose dcol holds positions [dq0, dq1) */
    int32_t isa;
} NE_FN(ne_dcn_bgemm_ctx);

/* Tasks for `units` MR-row units (at most threads, at most units, at least 1). */
static int64_t NE_FN(ne_dcn_tasks)(int64_t units, int32_t threads) {
    const int64_t t = threads < 1 ? 1 : threads;
    return units < 1 ? 1 : t < units ? t : units;
}

/* dcol[p][gi * kg + k] = sum_co gout[gi * cog + co][p] * W'[gi * cog + co][k] for task i's MR-row
 * units of the positions [dq0, dq1) (A = grad output transposed, read in place), then grad offset
 * / mask of the same positions while their dcol rows are in cache (each position's sums are its
 * own: any split gives the same bits). */
static int32_t NE_FN(ne_dcn_dcol_gemm)(void* vctx, int64_t i0, int64_t i1) {
    NE_FN(ne_dcn_bgemm_ctx)* c = vctx;
    const ne_dcn_geom* g = c->g;
    const NE_FN(ne_dcn_chunk)* ch = c->ch;
    const int64_t hw = g->ho * g->wo, kc = g->cin * g->kh * g->kw, kg = kc / g->groups, cog = g->cout / g->groups;
    const int64_t n = ch->dq1 - ch->dq0;
    for (int64_t i = i0; i < i1; i++) {
        const int64_t u0 = c->units * i / c->tasks, u1 = c->units * (i + 1) / c->tasks;
        const int64_t r0 = u0 * NE_GEMM_MR, r1 = u1 * NE_GEMM_MR < n ? u1 * NE_GEMM_MR : n;
        if (r1 <= r0) continue;
        for (int64_t gi = 0; gi < g->groups; gi++) {
#if NE_GEMM_X86
            if (NE_FN(ne_dcn_ra)(c->isa)) {
                NE_FN(ne_dcn_gemm_pf)(r1 - r0, kg, cog, c->go + gi * cog * hw + ch->dq0 + r0, 1, hw, c->wpp + gi * c->wstride,
                                      c->dcol + r0 * kc + gi * kg, kc, c->work + i * NE_GEMM_WORK);
                continue;
            }
#endif
            NE_FN(ne_gemm_pb)(r1 - r0, kg, cog, c->go + gi * cog * hw + ch->dq0 + r0, 1, hw, c->wpp + gi * c->wstride,
                              c->dcol + r0 * kc + gi * kg, kc, 1, c->work + i * NE_GEMM_WORK, c->isa);
        }
        NE_DCN_PROF(7, NE_FN(ne_dcn_coord_rows)(ch, ch->dq0 + r0, ch->dq0 + r1));
    }
    return 0;
}

/* dW' += grad output * rows over the chunk, one block of at most NE_GEMM_NC columns (a "unit":
 * conv group gi, columns [j0, j0 + nbw)) at a time: the block's rows sampled straight into a
 * packed block (ne_dcn_rows_block, in L2) and swept against grad output packed as A
 * (per group, per KC block of positions, MR-row panels). Task i takes the units [units * i / tasks,
 * units * (i + 1) / tasks) with its own buffers (packing A itself when its group changes): no
 * sync between the sampling and the GEMM, and no column buffer for the whole chunk (2.4 MB
 * through L3 before: 17.6 -> 15.6 ms for this GEMM, rows 3.0 -> 2.5 ms, one thread). Each
 * element of dW' is the same fma chain over the positions in order, chunk after chunk, whoever
 * computes it. */
typedef struct {
    const NE_FN(ne_dcn_bgemm_ctx)* bc;
    NE_T* bufs;                  /* per task: packed A (mpad * np per group), then the block */
    int64_t tstride, nbw, units, tasks;
} NE_FN(ne_dcn_dwu_ctx);

static int32_t NE_FN(ne_dcn_dw_units)(void* vctx, int64_t i0, int64_t i1) {
    const NE_FN(ne_dcn_dwu_ctx)* u = vctx;
    const NE_FN(ne_dcn_bgemm_ctx)* c = u->bc;
    const ne_dcn_geom* g = c->g;
    const NE_FN(ne_dcn_chunk)* ch = c->ch;
    const int64_t hw = g->ho * g->wo, kg = g->cin / g->groups * g->kh * g->kw, cog = g->cout / g->groups;
    const int64_t np = c->np, nr = NE_FN(ne_gemm_nr)(c->isa), mpad = (cog + NE_GEMM_MR - 1) / NE_GEMM_MR * NE_GEMM_MR;
    const int64_t bpg = (kg + u->nbw - 1) / u->nbw;
    for (int64_t i = i0; i < i1; i++) {
        NE_T* ag = u->bufs + i * u->tstride;
        NE_T* blk = ag + mpad * np;
        int64_t gcur = -1;
        for (int64_t un = u->units * i / u->tasks; un < u->units * (i + 1) / u->tasks; un++) {
            const int64_t gi = un / bpg, j0 = (un % bpg) * u->nbw, nb = kg - j0 < u->nbw ? kg - j0 : u->nbw;
            const int64_t nbp = (nb + nr - 1) / nr * nr;
            if (gi != gcur) {
                NE_DCN_PROF(17, for (int64_t k0 = 0; k0 < np; k0 += NE_GEMM_KC) {
                    const int64_t kb = np - k0 < NE_GEMM_KC ? np - k0 : NE_GEMM_KC;
                    for (int64_t ip = 0; ip < cog; ip += NE_GEMM_MR)
                        NE_FN(ne_gemm_pack_a)(c->go + (gi * cog + ip) * hw + k0, hw, 1,
                                              cog - ip < NE_GEMM_MR ? cog - ip : NE_GEMM_MR, kb, ag + k0 * mpad + ip * kb);
                })
                gcur = gi;
            }
            NE_DCN_PROF(4, NE_FN(ne_dcn_rows_block)(ch, gi, j0, nb, blk));
            NE_DCN_PROF(6, for (int64_t k0 = 0; k0 < np; k0 += NE_GEMM_KC) {
                const int64_t kb = np - k0 < NE_GEMM_KC ? np - k0 : NE_GEMM_KC;
                NE_FN(ne_dcn_sweep4)(cog, nb, kb, ag + k0 * mpad, blk + k0 * nbp, c->dwp + gi * cog * kg + j0, kg,
                                     c->first && k0 == 0, nr, c->isa);
            })
        }
    }
    return 0;
}

/* The table of the chunk's positions [q0, q1). */
static int32_t NE_FN(ne_dcn_tab_rows)(void* vctx, int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; q++) NE_FN(ne_dcn_tab_row)(vctx, q);
    return 0;
}

typedef struct {
    const NE_T* gout;
    NE_T* gbias;
    int64_t n, cout, hw;
} NE_FN(ne_dcn_gbias_ctx);

/* grad bias[co]: the sum over images and positions in 16 fixed partial sums (lane j: positions
 * p = j (mod 16) of each image, in order), combined in lane order (one chain was 0.5 ms). */
static int32_t NE_FN(ne_dcn_gbias)(void* vctx, int64_t c0, int64_t c1) {
    NE_FN(ne_dcn_gbias_ctx)* c = vctx;
    for (int64_t co = c0; co < c1; co++) {
        NE_T acc[16] = {0};
        for (int64_t b = 0; b < c->n; b++) {
            const NE_T* o = c->gout + (b * c->cout + co) * c->hw;
            int64_t p = 0;
            for (; p + 16 <= c->hw; p += 16)
                for (int j = 0; j < 16; j++) acc[j] += o[p + j];
            for (int j = 0; p + j < c->hw; j++) acc[j] += o[p + j];
        }
        NE_T s = 0;
        for (int j = 0; j < 16; j++) s += acc[j];
        c->gbias[co] = s;
    }
    return 0;
}

/* docs/ops.md §5.6: per chunk, the rows again (grad weight needs them, the forward does not keep
 * them), the column gradient dcol = dOut^T * W' in one GEMM per group, grad weight
 * dW' += dOut * rows, then grad offset / mask and grad input from dcol with the same table. */
static int32_t NE_FN(ne_dcn_backward)(const ne_dcn_geom* g, const NE_T* gout, const NE_T* input, const NE_T* offset,
                                      const NE_T* mask, const NE_T* weight, NE_T* gin, NE_T* goff, NE_T* gmask,
                                      NE_T* gw, NE_T* gbias, int32_t threads, int32_t isa) {
    const int64_t hw = g->ho * g->wo, kk = g->kh * g->kw, kc = g->cin * kk, cig = g->cin / g->groups, kg = cig * kk;
    const int64_t plane = g->h * g->w, npmax = NE_FN(ne_dcn_chunk_len)(g), cog = g->cout / g->groups;
    const int64_t wstride = NE_FN(ne_gemm_pb_size)(kg, cog, isa), nr = NE_FN(ne_gemm_nr)(isa);
    const int64_t wtasks = NE_FN(ne_dcn_tasks)(npmax / NE_GEMM_MR + 1, threads);
    const size_t sz = sizeof(NE_T), b_img = ne_dcn_bytes(plane * g->cin, sz), b_wpp = ne_dcn_bytes(g->groups * wstride, sz);
    const int64_t sub = NE_FN(ne_dcn_sub_len)(g, npmax);
    const size_t b_dcol = ne_dcn_bytes(sub * kc, sz);
    const size_t b_dwp = ne_dcn_bytes(g->cout * kg, sz), b_work = ne_dcn_bytes(wtasks * NE_GEMM_WORK, sz);
    const size_t b_tab = ne_dcn_bytes(g->dg * npmax * kk, sizeof(NE_FN(ne_dcn_tap)));
    const size_t b_tabb = ne_dcn_bytes(g->dg * npmax * kk, sizeof(NE_FN(ne_dcn_tapb)));
    /* The grad-weight GEMM's units: blocks of nbw columns (NC at one thread; half of it with more
     * threads, so that 2304 columns make 18 units that split evenly); per task its packed A and
     * one block of B. */
    const int64_t nbw = threads <= 1 ? NE_GEMM_NC : NE_GEMM_NC / 2;
    const int64_t units = g->groups * ((kg + nbw - 1) / nbw), utasks = NE_FN(ne_dcn_tasks)(units, threads);
    const int64_t mpad = (cog + NE_GEMM_MR - 1) / NE_GEMM_MR * NE_GEMM_MR;
    const int64_t tstride = (int64_t) (ne_dcn_bytes(mpad * npmax, sz) + ne_dcn_bytes((nbw + nr) * npmax, sz)) / (int64_t) sz;
    const size_t b_bufs = ne_dcn_bytes(utasks * tstride, sz);
    size_t bytes = 2 * b_img + b_wpp + b_dcol + b_dwp + b_work + b_tab + b_tabb + b_bufs;
    char* mem = ne_dcn_scratch_get(&bytes);
    if (!mem) return NE_ERR_OUT_OF_MEMORY;
    char* m = mem;
    NE_T* xh = (NE_T*) m;
    NE_T* gxh = (NE_T*) (m += b_img);
    NE_T* wpp = (NE_T*) (m += b_img);
    NE_T* dcol = (NE_T*) (m += b_wpp);
    NE_T* dwp = (NE_T*) (m += b_dcol);
    NE_T* work = (NE_T*) (m += b_dwp);
    NE_FN(ne_dcn_tap)* tab = (NE_FN(ne_dcn_tap)*) (m += b_work);
    NE_FN(ne_dcn_tapb)* tabb = (NE_FN(ne_dcn_tapb)*) (m += b_tab);
    NE_T* bufs = (NE_T*) (m += b_tabb);
    int32_t s = NE_OK;
    NE_FN(ne_dcn_packw_ctx) pc = {weight, wpp, cog, cig, kk, wstride, (kg + nr - 1) / nr, 0, isa};
    NE_DCN_PROF(12, ne_parallel_for(g->groups * ((cog + NE_DCN_PACKW_ROWS - 1) / NE_DCN_PACKW_ROWS), threads,
                                    NE_FN(ne_dcn_packw_rows), &pc));
    const NE_FN(ne_dcn_simd) simd = NE_FN(ne_dcn_simd_pick)(isa);
    for (int64_t b = 0; b < g->n; b++) {
        NE_DCN_PROF(9, NE_FN(ne_dcn_to_hwc)(g, input + b * g->cin * plane, xh, threads));
        NE_DCN_PROF(9, memset(gxh, 0, (size_t) (plane * g->cin) * sizeof(NE_T)));
        const NE_T* go = gout + b * g->cout * hw;
        for (int64_t p0 = 0; p0 < hw; p0 += npmax) {
            const int64_t np = hw - p0 < npmax ? hw - p0 : npmax;
            NE_FN(ne_dcn_chunk) ch = {g, xh, offset, mask, b, p0, np, NULL, dcol, tab, tabb,
                                      goff + b * g->dg * 2 * kk * hw, gmask ? gmask + b * g->dg * kk * hw : NULL, gxh, simd,
                                      nr};
            NE_FN(ne_dcn_bgemm_ctx) bc = {g, go + p0, wpp, dcol, dwp, np, wstride, 0, 1, work, b == 0 && p0 == 0, &ch, isa};
            NE_FN(ne_dcn_dwu_ctx) uc = {&bc, bufs, tstride, nbw, units, utasks};
            NE_DCN_PROF(16, s = ne_parallel_for(np, threads, NE_FN(ne_dcn_tab_rows), &ch));
            if (s == NE_OK)
                s = ne_parallel_for(utasks, (int32_t) utasks, NE_FN(ne_dcn_dw_units), &uc);
            /* dcol by sub-blocks of positions that stay in L2 from their GEMM through grad offset /
             * mask (same task) to grad input. */
            const int64_t nsub = (np + sub - 1) / sub, sl = ((np + nsub - 1) / nsub + NE_GEMM_MR - 1) / NE_GEMM_MR * NE_GEMM_MR;
            for (int64_t q0 = 0; q0 < np && s == NE_OK; q0 += sl) {
                ch.dq0 = q0;
                ch.dq1 = np - q0 < sl ? np : q0 + sl;
                bc.units = (ch.dq1 - q0 + NE_GEMM_MR - 1) / NE_GEMM_MR;
                bc.tasks = NE_FN(ne_dcn_tasks)(bc.units, threads);
                ch.fuse = threads <= 1;
                NE_DCN_PROF(5, s = ne_parallel_for(bc.tasks, (int32_t) bc.tasks, NE_FN(ne_dcn_dcol_gemm), &bc));
                if (s == NE_OK && !ch.fuse)
                    NE_DCN_PROF(8, s = ne_parallel_for((g->cin + 15) / 16, threads, NE_FN(ne_dcn_col2im), &ch));
            }
            if (s != NE_OK) goto done;
        }
        NE_FN(ne_dcn_tr_ctx) tc = {gxh, gin + b * g->cin * plane, plane, g->cin, 0};
        NE_DCN_PROF(13, ne_parallel_for(plane, threads, NE_FN(ne_dcn_transpose), &tc));
    }
    NE_FN(ne_dcn_wperm_ctx) bc = {dwp, gw, cig, kk};
    NE_DCN_PROF(14, ne_parallel_for(g->cout, threads, NE_FN(ne_dcn_wperm_back), &bc));
    if (gbias) {
        NE_FN(ne_dcn_gbias_ctx) gc = {gout, gbias, g->n, g->cout, hw};
        NE_DCN_PROF(15, ne_parallel_for(g->cout, threads, NE_FN(ne_dcn_gbias), &gc));
    }
done:
    ne_dcn_scratch_put(mem, bytes);
    return s;
}
