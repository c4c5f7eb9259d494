/* Profile driver of the CPU deformable convolution (issue 11), outside the Java build: times
 * ne_deform_conv_{forward,backward}_cpu on the benchmark's shape ([1,256,50,50], 3x3, 256->256,
 * v2, float32), prints the min / median wall and calling-thread CPU time, a hash of the outputs
 * (the same for any thread count and ISA: a quick bit-identity check) and, when built with
 * -DNE_DCN_PROFILE, the per-phase CPU time of the NE_DCN_PROF slots (ne_deform_conv_driver.h): the
 * mean per call over the reps, then each slot's min over the reps (robust on a shared machine).
 *
 *   gcc -std=c99 -O3 -ffp-contract=off -DNE_DCN_PROFILE -D_POSIX_C_SOURCE=200112L -Iinclude \
 *       -Isrc/main/cpp -o /tmp/dcn_profile tools/profile/dcn_profile.c src/main/cpp/ne_deform_conv_cpu.c \
 *       -lm -ldl -lpthread
 *   /tmp/dcn_profile MODE THREADS ISA REPS     (MODE 0 forward, 1 backward; ISA 0 auto, 1-3)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ne_deform_conv.h"
#include "profile_util.h"

#ifdef NE_DCN_PROFILE
#define NE_DCN_PROF_SLOTS 24   /* as ne_deform_conv_cpu.c */
extern int64_t ne_dcn_prof_ns[NE_DCN_PROF_SLOTS];
#endif

int main(int argc, char** argv) {
    const int mode = argc > 1 ? atoi(argv[1]) : 0, threads = argc > 2 ? atoi(argv[2]) : 1;
    const int isa = argc > 3 ? atoi(argv[3]) : 0;
    int reps = argc > 4 ? atoi(argv[4]) : 11;
    if (reps < 1 || reps > 1000) reps = 11;
    const int64_t n = 1, c = 256, h = 50, w = 50, co = 256, k = 3;
    const int64_t dims[11] = {n, c, h, w, co, k, k, h, w, 1, 1}, conv[7] = {1, 1, 1, 1, 1, 1, 0};
    const size_t nx = n * c * h * w, no = n * 2 * k * k * h * w, nm = n * k * k * h * w, nw = co * c * k * k;
    const size_t ny = n * co * h * w;
    float *x = prof_filled(nx, -1, 1), *off = prof_filled(no, -2, 2), *m = prof_filled(nm, 0, 1), *wt = prof_filled(nw, -0.05f, 0.05f);
    float *b = prof_filled(co, -1, 1), *go = prof_filled(ny, -1, 1), *y = calloc(ny, 4);
    float *gx = calloc(nx, 4), *goff = calloc(no, 4), *gm = calloc(nm, 4), *gw = calloc(nw, 4), *gb = calloc(co, 4);
    double* wall = malloc(reps * sizeof(double));
    double* cpu = malloc(reps * sizeof(double));
    if (!y || !gx || !goff || !gm || !gw || !gb || !wall || !cpu) return 2;
#ifdef NE_DCN_PROFILE
    int64_t pmin[NE_DCN_PROF_SLOTS], pprev[NE_DCN_PROF_SLOTS] = {0};
    for (int i = 0; i < NE_DCN_PROF_SLOTS; i++) pmin[i] = INT64_MAX;
#endif
    for (int r = -2; r < reps; r++) {
#ifdef NE_DCN_PROFILE
        if (r == 0) memset(ne_dcn_prof_ns, 0, sizeof(int64_t) * NE_DCN_PROF_SLOTS);
        if (r >= 0) memcpy(pprev, ne_dcn_prof_ns, sizeof(pprev));
#endif
        const double t0 = prof_ms(CLOCK_MONOTONIC), c0 = prof_ms(CLOCK_THREAD_CPUTIME_ID);
        const int s = mode == 0 ? ne_deform_conv_forward_cpu(0, x, off, m, wt, b, y, dims, conv, 1, 0, threads, isa)
                                : ne_deform_conv_backward_cpu(0, go, x, off, m, wt, gx, goff, gm, gw, gb, dims, conv, 1,
                                                              0, threads, isa);
        if (s) {
            printf("status %d\n", s);
            return 1;
        }
        if (r >= 0) {
            wall[r] = prof_ms(CLOCK_MONOTONIC) - t0;
            cpu[r] = prof_ms(CLOCK_THREAD_CPUTIME_ID) - c0;
#ifdef NE_DCN_PROFILE
            for (int i = 0; i < NE_DCN_PROF_SLOTS; i++)
                if (ne_dcn_prof_ns[i] - pprev[i] < pmin[i]) pmin[i] = ne_dcn_prof_ns[i] - pprev[i];
#endif
        }
    }
    qsort(wall, reps, sizeof(double), prof_by_value);
    qsort(cpu, reps, sizeof(double), prof_by_value);
    printf("%s t=%d isa=%d wall min %.2f med %.2f | cpu min %.2f med %.2f | h", mode ? "bwd" : "fwd", threads, isa,
           wall[0], wall[reps / 2], cpu[0], cpu[reps / 2]);
    if (mode == 0) printf(" %016llx\n", prof_hash(y, ny * 4));
    else
        printf(" %016llx %016llx %016llx %016llx %016llx\n", prof_hash(gx, nx * 4), prof_hash(goff, no * 4), prof_hash(gm, nm * 4),
               prof_hash(gw, nw * 4), prof_hash(gb, co * 4));
#ifdef NE_DCN_PROFILE
    printf("prof/rep ms:");
    for (int i = 0; i < NE_DCN_PROF_SLOTS; i++)
        if (ne_dcn_prof_ns[i]) printf(" [%d]%.2f", i, ne_dcn_prof_ns[i] / 1e6 / reps);
    printf("\nprof min ms:");
    for (int i = 0; i < NE_DCN_PROF_SLOTS; i++)
        if (ne_dcn_prof_ns[i]) printf(" [%d]%.2f", i, pmin[i] / 1e6);
    printf("\n");
#endif
    return 0;
}
