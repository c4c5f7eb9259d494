/* Profile driver of the ResNet stem on the CPU (issue 12), outside the Java build: conv 7x7/2
 * 3->64 + folded frozen BN + ReLU + max-pool 3x3/2 pad 1 on [1,3,800,1344] through
 * ne_conv2d_forward_prepared_max_pool_cpu (the fused path bin/bench-layers stem times); prints
 * the min / median wall time, a hash of the output (the same for any thread count and ISA: a
 * quick bit-identity check) and the largest error against a float64 reference on sampled
 * pooled rows, relative to the largest |output| and to sum |w x| of the conv sums.
 *
 *   gcc -std=c99 -O3 -ffp-contract=off -D_POSIX_C_SOURCE=200112L -Iinclude -Isrc/main/cpp \
 *       -o /tmp/stem_profile tools/profile/stem_profile.c src/main/cpp/ne_conv2d_cpu.c \
 *       src/main/cpp/ne_status.c -lm -ldl -lpthread
 *   [NE_FLUSH_MB=n] /tmp/stem_profile THREADS ISA REPS [H W]    (ISA 0 auto, 1 base, 2 avx2, 3 avx512)
 * NE_FLUSH_MB=n writes n MiB between runs (untimed), so that the input and output come from memory
 * as in a network (224x224, one thread: 1.18-1.20 ms against 1.20-1.22 with 64 MiB written).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ne_conv2d.h"
#include "profile_util.h"

int main(int argc, char** argv) {
    const int threads = argc > 1 ? atoi(argv[1]) : 1, isa = argc > 2 ? atoi(argv[2]) : 0, reps = argc > 3 ? atoi(argv[3]) : 10;
    const int64_t H = argc > 5 ? atoll(argv[4]) : 800, W = argc > 5 ? atoll(argv[5]) : 1344, C = 3, CO = 64, K = 7;
    const int64_t HO = (H + 6 - 7) / 2 + 1, WO = (W + 6 - 7) / 2 + 1, PH = (HO + 2 - 3) / 2 + 1, PW = (WO + 2 - 3) / 2 + 1;
    float* in = malloc(sizeof(float) * C * H * W);
    float* w = malloc(sizeof(float) * CO * C * K * K);
    float *sc = malloc(sizeof(float) * CO), *sh = malloc(sizeof(float) * CO);
    float* out = malloc(sizeof(float) * CO * PH * PW);
    /* an image-like input: a smooth field plus noise, normalised as torchvision does */
    for (int64_t c = 0; c < C; c++)
        for (int64_t y = 0; y < H; y++)
            for (int64_t x = 0; x < W; x++)
                in[(c * H + y) * W + x] = (float) (sin(0.013 * x + 0.7 * c) * cos(0.021 * y) * 1.5 + (prof_unit() - 0.5) * 1.2);
    for (int64_t i = 0; i < CO * C * K * K; i++) w[i] = (float) ((prof_unit() - 0.5) * 0.4);
    for (int64_t i = 0; i < CO; i++) sc[i] = (float) (0.5 + prof_unit()), sh[i] = (float) (prof_unit() - 0.5);
    int64_t dims[10] = {1, C, H, W, CO, K, K, HO, WO, 1}, conv[6] = {2, 2, 3, 3, 1, 1};
    int64_t pool[8] = {3, 3, 2, 2, 1, 1, 1, 1}, pout[2] = {PH, PW};
    int32_t path = 0;
    int64_t bytes = 0;
    if (ne_conv2d_path_cpu(0, dims, conv, 0, isa, &path) || ne_conv2d_prepared_bytes_cpu(0, dims, conv, path, &bytes)) return 1;
    void* prep = malloc((size_t) bytes);
    if (ne_conv2d_prepare_cpu(0, w, NULL, sc, sh, dims, conv, path, prep, bytes, threads, isa)) return 2;
    double* t = malloc(sizeof(double) * reps);
    const char* fe = getenv("NE_FLUSH_MB");
    const size_t flush = fe ? (size_t) atoi(fe) << 20 : 0;
    char* junk = flush ? malloc(flush) : NULL;
    for (int r = 0; r < reps; r++) {
        if (junk) memset(junk, r, flush);
        double t0 = prof_ms(CLOCK_MONOTONIC);
        int32_t s = ne_conv2d_forward_prepared_max_pool_cpu(0, in, prep, bytes, 1, out, dims, conv, pool, pout, threads, isa);
        t[r] = prof_ms(CLOCK_MONOTONIC) - t0;
        if (s) { printf("status %d\n", s); return 3; }
    }
    qsort(t, (size_t) reps, sizeof(double), prof_by_value);
    const unsigned long long hsh = prof_hash(out, sizeof(float) * (size_t) (CO * PH * PW));
    /* float64 reference on sampled pooled rows */
    double maxref = 0, maxerr = 0, maxrel = 0;
    for (int64_t po = 0; po < PH; po += PH / 7 ? PH / 7 : 1) {
        for (int64_t co = 0; co < CO; co++)
            for (int64_t px = 0; px < PW; px++) {
                double m = -INFINITY, mabs = 0;
                for (int64_t i = 0; i < 3; i++)
                    for (int64_t j = 0; j < 3; j++) {
                        const int64_t oy = 2 * po - 1 + i, ox = 2 * px - 1 + j;
                        if (oy < 0 || oy >= HO || ox < 0 || ox >= WO) continue;
                        double s = 0, a = 0;
                        for (int64_t c = 0; c < C; c++)
                            for (int64_t ki = 0; ki < K; ki++)
                                for (int64_t kj = 0; kj < K; kj++) {
                                    const int64_t y = 2 * oy - 3 + ki, x = 2 * ox - 3 + kj;
                                    if (y < 0 || y >= H || x < 0 || x >= W) continue;
                                    const double p = (double) w[((co * C + c) * K + ki) * K + kj] * sc[co] * in[(c * H + y) * W + x];
                                    s += p, a += fabs(p);
                                }
                        s += sh[co];
                        if (s < 0) s = 0;
                        if (s > m) m = s, mabs = a;
                    }
                const double e = fabs(out[(co * PH + po) * PW + px] - m);
                if (fabs(m) > maxref) maxref = fabs(m);
                if (e > maxerr) maxerr = e;
                if (mabs > 0 && e / mabs > maxrel) maxrel = e / mabs;
            }
    }
    printf("stem [1,3,%lld,%lld] threads %d isa %d: min %.2f ms median %.2f ms (%d reps); hash %016llx; "
           "max err %.3g = %.3g of max|out|, %.3g of sum|w x|\n",
           (long long) H, (long long) W, threads, isa, t[0], t[reps / 2], reps, (unsigned long long) hsh, maxerr, maxerr / maxref,
           maxrel);
    return 0;
}
