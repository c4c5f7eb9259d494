/* Profile driver of the CPU conv2d paths on torchvision ResNet-50's 224x224 shapes (issue 13),
 * outside the Java build: for each 1x1 and strided 3x3 layer it prepares the weights for a path
 * (algo 0 auto, 1 GEMM, 3 direct/pointwise), runs ne_conv2d_forward_prepared_cpu with the
 * network's epilogue (ReLU; residual for the expanding 1x1s), evicts L2 between runs (4 MiB
 * written, untimed: in the network the weights come from L3), and prints min / median wall
 * time, GFLOP/s of the direct FLOPs and a hash of the output (the same for any thread count and
 * ISA: a quick bit-identity check).
 *
 *   gcc -std=c99 -O3 -ffp-contract=off -fno-trapping-math -D_POSIX_C_SOURCE=200112L -Iinclude \
 *       -Isrc/main/cpp -o /tmp/resnet_conv_profile tools/profile/resnet_conv_profile.c src/main/cpp/ne_conv2d_cpu.c \
 *       src/main/cpp/ne_status.c -lm -ldl -lpthread
 *   [NE_FLUSH_MB=4] [NE_HUGE=0] /tmp/resnet_conv_profile ALGO THREADS ISA REPS [LAYER]   (ISA 0 auto, 1-3; LAYER: its index only)
 *
 * NE_FLUSH_MB: MiB written between runs (4: the weights come from L3, as for a layer run alone;
 * 1024: everything from memory; the network's per-layer times lie between). NE_HUGE=1: the
 * prepared weights in 2 MiB pages. With -DNE_C2_PROFILE (on both files) it also prints the
 * rdtsc phase timers of ne_conv2d_cpu.c, in Mcycles per run (the TSC runs at 2.6 GHz here).
 * Layers 19-20 are bin/bench-layers bottleneck's 1x1s (on 200x336), 21 torchvision's fc (2048 -> 1000 on 1x1). The output hash depends on
 * the layers run before (one random stream): compare runs of the same LAYER argument.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#define _DEFAULT_SOURCE 1
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include "ne_conv2d.h"
#include "profile_util.h"
#ifdef NE_C2_PROFILE
extern int64_t ne_c2_prof[8];
#endif

typedef struct {
    int64_t cin, h, cout, k, s, res;   /* square plane h, kernel k, stride s, padding k/2 */
    int count;                         /* times it runs in ResNet-50 */
} layer;

static const layer layers[] = {
    {64, 56, 64, 1, 1, 0, 1},      {64, 56, 256, 1, 1, 1, 4},     {256, 56, 64, 1, 1, 0, 2},
    {256, 56, 128, 1, 1, 0, 1},    {128, 56, 128, 3, 2, 0, 1},    {128, 28, 512, 1, 1, 1, 4},
    {256, 56, 512, 1, 2, 0, 1},    {512, 28, 128, 1, 1, 0, 3},    {512, 28, 256, 1, 1, 0, 1},
    {256, 28, 256, 3, 2, 0, 1},    {256, 14, 1024, 1, 1, 1, 6},   {512, 28, 1024, 1, 2, 0, 1},
    {1024, 14, 256, 1, 1, 0, 5},   {1024, 14, 512, 1, 1, 0, 1},   {512, 14, 512, 3, 2, 0, 1},
    {512, 7, 2048, 1, 1, 1, 3},    {1024, 14, 2048, 1, 2, 0, 1},  {2048, 7, 512, 1, 1, 0, 2},
    {512, 7, 512, 3, 1, 0, 2},
    /* bin/bench-layers bottleneck's 1x1s (on a 200x336 plane: h is the height, 336 the width) */
    {256, 200, 64, 1, 1, 0, 0},     {64, 200, 256, 1, 1, 1, 0},
    /* torchvision's fc, 2048 -> 1000, as the Java model runs it: a 1x1 convolution on a 1x1 plane */
    {2048, 1, 1000, 1, 1, 0, 1},
};

int main(int argc, char** argv) {
    const int algo = argc > 1 ? atoi(argv[1]) : 0, threads = argc > 2 ? atoi(argv[2]) : 1;
    const int isa = argc > 3 ? atoi(argv[3]) : 0;
    int reps = argc > 4 ? atoi(argv[4]) : 21;
    const int only = argc > 5 ? atoi(argv[5]) : -1;
    if (reps < 1 || reps > 10000) reps = 21;
    /* NE_FLUSH_MB (default 4): bytes written between runs; 1024 pushes the weights out of L3 too */
    const char* fm = getenv("NE_FLUSH_MB");
    const size_t flush_n = (size_t) (fm ? atoi(fm) : 4) << 20;
    char* flush = malloc(flush_n);
    double* wall = malloc(reps * sizeof(double));
    double total = 0;
    for (int li = 0; li < (int) (sizeof layers / sizeof layers[0]); li++) {
        if (only >= 0 && li != only) continue;
        const layer* L = &layers[li];
        const int64_t pad = L->k / 2, w = L->h == 200 ? 336 : L->h, ho = (L->h + 2 * pad - L->k) / L->s + 1;
        const int64_t wo = (w + 2 * pad - L->k) / L->s + 1;
        const int64_t dims[10] = {1, L->cin, L->h, w, L->cout, L->k, L->k, ho, wo, 1};
        const int64_t conv[6] = {L->s, L->s, pad, pad, 1, 1};
        const size_t nx = L->cin * L->h * w, ny = L->cout * ho * wo, nw = L->cout * L->cin * L->k * L->k;
        float *x = prof_filled(nx, -1, 1), *wt = prof_filled(nw, -0.05f, 0.05f), *sc = prof_filled(L->cout, 0.5f, 1.5f);
        float *sh = prof_filled(L->cout, -0.5f, 0.5f), *r = L->res ? prof_filled(ny, -1, 1) : NULL, *y = malloc(ny * 4);
        int32_t path = 0;
        int64_t bytes = 0;
        if (ne_conv2d_path_cpu(0, dims, conv, algo, isa, &path) || ne_conv2d_prepared_bytes_cpu(0, dims, conv, path, &bytes)) {
            printf("layer %d: algo %d does not fit\n", li, algo);
            continue;
        }
        /* NE_HUGE=1: the prepared weights in 2 MiB pages (madvise), as ne_c2_alloc asks for its big scratch */
        void* prep = NULL;
        if (getenv("NE_HUGE") && atoi(getenv("NE_HUGE"))) {
            if (posix_memalign(&prep, (size_t) 2 << 20, (size_t) bytes)) return 2;
            madvise(prep, (size_t) bytes, MADV_HUGEPAGE);
        } else {
            prep = malloc(bytes);
        }
        if (ne_conv2d_prepare_cpu(0, wt, NULL, sc, sh, dims, conv, path, prep, bytes, threads, isa)) return 1;
        for (int rep = -2; rep < reps; rep++) {
            memset(flush, rep & 0xff, flush_n);
            const double t0 = prof_ms(CLOCK_MONOTONIC);
            const int s = ne_conv2d_forward_prepared_cpu(0, x, prep, bytes, r, 1, y, dims, conv, threads, isa);
            if (s) {
                printf("status %d\n", s);
                return 1;
            }
            if (rep >= 0) wall[rep] = prof_ms(CLOCK_MONOTONIC) - t0;
#ifdef NE_C2_PROFILE
            if (rep == -1) memset(ne_c2_prof, 0, sizeof ne_c2_prof);
#endif
        }
#ifdef NE_C2_PROFILE
        prof_print_phases(ne_c2_prof, reps);
#endif
        qsort(wall, reps, sizeof(double), prof_by_value);
        const double gf = 2.0 * nw * ho * wo / 1e9;
        total += wall[reps / 2] * L->count;
        printf("%2d %4lld->%-4lld %dx%d/%lld on %3lldx%-3lld x%d path %d: min %.3f med %.3f ms  %5.1f GFLOP/s  h %016llx\n",
               li, (long long) L->cin, (long long) L->cout, (int) L->k, (int) L->k, (long long) L->s, (long long) L->h,
               (long long) w, L->count, path, wall[0], wall[reps / 2], gf / wall[0] * 1e3, prof_hash(y, ny * 4));
        free(x), free(wt), free(sc), free(sh), free(r), free(y), free(prep);
    }
    printf("sum over the network (median x count): %.2f ms\n", total);
    return 0;
}
