/* Profile driver of a CPU conv2d layer on prepared weights (issue 12), outside the Java build:
 * conv KxK C_in -> C_out, stride s, padding p, + folded BN + ReLU on [1, C_in, H, W] through
 * ne_conv2d_forward_prepared_cpu with the path AUTO picks (or algo); prints the path, the min /
 * median wall time and a hash of the output (the same for any thread count and ISA).
 *
 *   gcc -std=c99 -O3 -ffp-contract=off -D_POSIX_C_SOURCE=200112L -Iinclude -Isrc/main/cpp \
 *       -o /tmp/conv_profile tools/profile/conv_profile.c src/main/cpp/ne_conv2d_cpu.c \
 *       src/main/cpp/ne_status.c -lm -ldl -lpthread
 *   /tmp/conv_profile THREADS ISA REPS C_IN H W C_OUT K STRIDE PAD [ALGO]
 *   e.g. 1 0 200 256 50 50 256 3 1 1 (the bench's conv3x3), 1 0 200 256 14 14 256 3 1 1
 * COPIES=n in the environment prepares n copies of the weights and runs them in turn, so that
 * each rep reads weights last touched n - 1 reps ago (cold, as in a whole network) rather than
 * hot in L2/L3; e.g. COPIES=40 for 256->256 Winograd (40 x 9.4 MiB). Built with -DNE_C2_PROFILE
 * (on both files) it also prints ne_conv2d_cpu.c's rdtsc phase timers, in Mcycles per run.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ne_conv2d.h"
#include "profile_util.h"

#ifdef NE_C2_PROFILE
extern int64_t ne_c2_prof[8];
#endif

static float unif(void) { return (float) (prof_unit() - 0.5); }   /* [-0.5, 0.5) */

int main(int argc, char** argv) {
    if (argc < 11) {
        fprintf(stderr, "usage: THREADS ISA REPS C_IN H W C_OUT K STRIDE PAD [ALGO]\n");
        return 1;
    }
    const int threads = atoi(argv[1]), isa = atoi(argv[2]), reps = atoi(argv[3]);
    const int64_t C = atoll(argv[4]), H = atoll(argv[5]), W = atoll(argv[6]), CO = atoll(argv[7]), K = atoll(argv[8]);
    const int64_t S = atoll(argv[9]), P = atoll(argv[10]);
    const int algo = argc > 11 ? atoi(argv[11]) : 0;
    const int64_t HO = (H + 2 * P - K) / S + 1, WO = (W + 2 * P - K) / S + 1;
    float* in = malloc(sizeof(float) * C * H * W);
    float* w = malloc(sizeof(float) * CO * C * K * K);
    float *sc = malloc(sizeof(float) * CO), *sh = malloc(sizeof(float) * CO);
    float* out = malloc(sizeof(float) * CO * HO * WO);
    for (int64_t i = 0; i < C * H * W; i++) in[i] = unif() * 2;
    for (int64_t i = 0; i < CO * C * K * K; i++) w[i] = unif() * 0.1f;
    for (int64_t i = 0; i < CO; i++) sc[i] = 1 + unif(), sh[i] = unif();
    int64_t dims[10] = {1, C, H, W, CO, K, K, HO, WO, 1}, conv[6] = {S, S, P, P, 1, 1};
    int32_t path = 0;
    int64_t bytes = 0;
    if (ne_conv2d_path_cpu(0, dims, conv, algo, isa, &path) || ne_conv2d_prepared_bytes_cpu(0, dims, conv, path, &bytes)) return 2;
    const char* ce = getenv("COPIES");
    const int copies = ce && atoi(ce) > 1 ? atoi(ce) : 1;
    void** preps = malloc(sizeof(void*) * copies);
    for (int i = 0; i < copies; i++) {
        preps[i] = malloc((size_t) bytes);
        if (!preps[i] || ne_conv2d_prepare_cpu(0, w, NULL, sc, sh, dims, conv, path, preps[i], bytes, threads, isa)) return 3;
    }
    double* t = malloc(sizeof(double) * reps);
    for (int r = 0; r < reps; r++) {
        double t0 = prof_ms(CLOCK_MONOTONIC);
        int32_t s = ne_conv2d_forward_prepared_cpu(0, in, preps[r % copies], bytes, NULL, 1, out, dims, conv, threads, isa);
        t[r] = prof_ms(CLOCK_MONOTONIC) - t0;
        if (s) return 4;
    }
#ifdef NE_C2_PROFILE
    prof_print_phases(ne_c2_prof, reps);
#endif
    qsort(t, (size_t) reps, sizeof(double), prof_by_value);
    const unsigned long long hsh = prof_hash(out, sizeof(float) * (size_t) (CO * HO * WO));
    printf("conv %lldx%lld/%lld %lld->%lld on %lldx%lld, path %d, threads %d isa %d: min %.3f ms median %.3f ms (%d reps, %d cop%s); hash %016llx\n",
           (long long) K, (long long) K, (long long) S, (long long) C, (long long) CO, (long long) H, (long long) W, path, threads, isa,
           t[0], t[reps / 2], reps, copies, copies > 1 ? "ies" : "y", (unsigned long long) hsh);
    return 0;
}
