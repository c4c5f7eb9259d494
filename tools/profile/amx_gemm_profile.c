/* Profile and check driver of ne_amx_gemm.h (the AMX float32 GEMM, bf16x6) outside the Java
 * build: C = A B for A m x k, B k x n (uniform [-0.5, 0.5) operands, B with every other value
 * zero like a ReLU's output), min / median wall time of packing B and of the product, GFLOP/s,
 * the largest error per element against a float64 product relative to sum |a b| (and the same
 * for the float32 fma chain, for scale), and whether splitting the rows in two calls gives the
 * same bits. Exit status 3 when AMX is not usable here.
 *
 *   gcc -std=c99 -O3 -ffp-contract=off -D_GNU_SOURCE -Isrc/main/cpp -o /tmp/amx_gemm_profile \
 *       tools/profile/amx_gemm_profile.c -lm -lpthread
 *   /tmp/amx_gemm_profile M K N [REPS]   e.g. 256 1024 196 (ResNet-50's 1x1 1024->256 on 14x14)
 * COPIES=n in the environment prepares n copies of A and runs them in turn (weights cold, as in
 * a whole network, rather than hot in L2/L3), as tools/profile/conv_profile.c does; each copy is
 * asked for in huge pages (madvise), as conv2d's prepared weights of 4 MiB and more are.
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
#include <sys/mman.h>
#include "ne_amx_gemm.h"
#include "profile_util.h"

int main(int argc, char** argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: M K N [REPS]\n");
        return 2;
    }
    const int64_t m = atoll(argv[1]), k = atoll(argv[2]), n = atoll(argv[3]);
    const int reps = argc > 4 ? atoi(argv[4]) : 100;
    if (!ne_amx_usable()) {
        fprintf(stderr, "AMX is not usable on this machine\n");
        return 3;
    }
    float* a = malloc(sizeof(float) * m * k);
    float* b = malloc(sizeof(float) * k * n);
    float* c = malloc(sizeof(float) * m * n);
    float* c2 = malloc(sizeof(float) * m * n);
    for (int64_t i = 0; i < m * k; i++) a[i] = prof_uniform(-0.5f, 0.5f);
    for (int64_t i = 0; i < k * n; i++) b[i] = (i & 1) ? 0.0f : prof_uniform(-0.5f, 0.5f);
    const int copies = getenv("COPIES") ? atoi(getenv("COPIES")) : 1;
    void** pas = malloc(sizeof(void*) * (copies > 0 ? copies : 1));
    for (int i = 0; i < copies || i == 0; i++) {
        const size_t huge = (size_t) 2 << 20, bytes = ((size_t) ne_amx_a_bytes(m, k) + huge - 1) / huge * huge;
        pas[i] = aligned_alloc(huge, bytes);
        madvise(pas[i], bytes, MADV_HUGEPAGE);
        ne_amx_prepare_a(a, k, 1, NULL, m, k, pas[i]);
    }
    void* pa = pas[0];
    void* pb = aligned_alloc(64, (size_t) ne_amx_work_bytes(k, n));
    double* tp = malloc(sizeof(double) * reps);
    double* tg = malloc(sizeof(double) * reps);
    for (int r = 0; r < reps; r++) {
        double t0 = prof_ms(CLOCK_MONOTONIC);
        ne_amx_pack_b(b, n, k, 0, n, pb);   /* alone, for scale */
        double t1 = prof_ms(CLOCK_MONOTONIC);
        ne_amx_gemm_f32(pas[copies > 1 ? r % copies : 0], m, k, 0, m, b, n, n, c, n, pb);
        double t2 = prof_ms(CLOCK_MONOTONIC);
        tp[r] = t1 - t0;
        tg[r] = t2 - t1;
    }
    qsort(tp, reps, sizeof(double), prof_by_value);
    qsort(tg, reps, sizeof(double), prof_by_value);
    const int64_t half = (m / 2 + 15) / 16 * 16;
    ne_amx_gemm_f32(pa, m, k, 0, half, b, n, n, c2, n, pb);
    ne_amx_gemm_f32(pa, m, k, half, m, b, n, n, c2, n, pb);
    const int same = memcmp(c, c2, sizeof(float) * m * n) == 0;
    double emax = 0, e32 = 0;
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double s = 0, sa = 0;
            float f = 0;
            for (int64_t q = 0; q < k; q++) {
                const double p = (double) a[i * k + q] * b[q * n + j];
                s += p;
                sa += fabs(p);
                f = fmaf(a[i * k + q], b[q * n + j], f);
            }
            if (sa == 0) continue;
            if (fabs(c[i * n + j] - s) / sa > emax) emax = fabs(c[i * n + j] - s) / sa;
            if (fabs(f - s) / sa > e32) e32 = fabs(f - s) / sa;
        }
    printf("m=%lld k=%lld n=%lld: pack B alone %.3f (%.3f) ms, product with packing %.3f (%.3f) ms = %.0f GFLOP/s; "
           "max error / sum|ab| %.2e (float32 fma chain %.2e); row split same bits: %s\n",
           (long long) m, (long long) k, (long long) n, tp[0], tp[reps / 2], tg[0], tg[reps / 2],
           2.0 * m * n * k / tg[0] * 1e-6, emax, e32, same ? "yes" : "NO");
    return same && emax < 4 * e32 + 1e-7 ? 0 : 1;
}
