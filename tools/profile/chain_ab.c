/* A/B of two builds of the resnet50 chain in one process (issue 13): loads two shared libraries
 * of tools/profile/resnet50_chain.c built with NE_CHAIN_LIB from two trees (each with its own
 * ne_conv2d_cpu.c, thread pool and scratch), and runs their forwards in turn, A B B A A B ...,
 * with a pause before each (the other build's pool workers stop spinning). It prints each
 * build's min / median, the median of the per-pair differences (B - A), and, with LAYERS=1,
 * the layers whose minima differ by more than 2 us. The library loaded second came out 0.02-0.16
 * ms faster in A/A runs (the same tree twice), so chain-ab.sh runs it both ways round; the
 * change is then about the mean of the first run's B - A and minus the second's. Resolution, on
 * the 2-core host (2026-12-05): per-pair differences have quartiles of about +-0.9 ms at two
 * threads, so 500 pairs (40 s) put the median within ~0.1 ms; yet a change that left every
 * partition as it was measured -0.11 ms in two runs (400 and 700 pairs each way), so read whole-
 * forward effects under ~0.15 ms as unresolved. A change smaller than that (one layer's balance)
 * shows only in the per-layer minima, and there only against the A/A spread (up to +-30 us on
 * some layers at 100 pairs).
 *
 * Why: the host's speed drifts by several percent over seconds, so two binaries run one after
 * the other (even alternated by the run) could not resolve a change of 0.1-0.3 ms in a 19 ms
 * forward; passes taken in turn meet the same drift. tools/profile/chain-ab.sh builds both.
 *
 *   chain_ab LIB_A LIB_B THREADS PAIRS
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef void (*build_fn)(int);
typedef double (*pass_fn)(double*, int*);

static int by_value(const void* a, const void* b) {
    const double x = *(const double*) a, y = *(const double*) b;
    return x < y ? -1 : x > y;
}

static void pause_us(int us) {
    struct timespec t = {0, us * 1000L};
    nanosleep(&t, NULL);
}

int main(int argc, char** argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: LIB_A LIB_B THREADS PAIRS\n");
        return 1;
    }
    const int threads = atoi(argv[3]), pairs = atoi(argv[4]) < 1 ? 1 : atoi(argv[4]);
    build_fn build[2];
    pass_fn pass[2];
    for (int v = 0; v < 2; v++) {
        void* h = dlopen(argv[1 + v], RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            fprintf(stderr, "%s\n", dlerror());
            return 2;
        }
        build[v] = (build_fn) dlsym(h, "chain_build");
        pass[v] = (pass_fn) dlsym(h, "chain_pass");
        if (!build[v] || !pass[v]) {
            fprintf(stderr, "%s: no chain_build / chain_pass (built without NE_CHAIN_LIB?)\n", argv[1 + v]);
            return 2;
        }
        build[v](threads);
    }
    double* whole[2] = {malloc(sizeof(double) * (size_t) pairs), malloc(sizeof(double) * (size_t) pairs)};
    double* diff = malloc(sizeof(double) * (size_t) pairs);
    double best[2][64], ms[64];
    int layers = 0;
    for (int v = 0; v < 2; v++)
        for (int i = 0; i < 64; i++) best[v][i] = 1e30;
    for (int v = 0; v < 2; v++) pass[v](ms, &layers);   /* warm-up: starts the workers, touches the weights */
    for (int p = 0; p < pairs; p++) {
        for (int k = 0; k < 2; k++) {
            const int v = (p + k) % 2;   /* A B, B A, A B, ...: neither always runs first */
            pause_us(300);   /* past the other build's workers' idle spin (~100 us) */
            whole[v][p] = pass[v](ms, &layers);
            for (int i = 0; i < layers && i < 64; i++)
                if (ms[i] < best[v][i]) best[v][i] = ms[i];
        }
        diff[p] = whole[1][p] - whole[0][p];
    }
    qsort(diff, (size_t) pairs, sizeof(double), by_value);
    for (int v = 0; v < 2; v++) qsort(whole[v], (size_t) pairs, sizeof(double), by_value);
    double sum[2] = {0, 0};
    for (int v = 0; v < 2; v++)
        for (int i = 0; i < layers; i++) sum[v] += best[v][i];
    printf("threads %d, %d pairs: A min %.2f median %.2f ms (layer minima %.2f); B min %.2f median %.2f ms (layer minima %.2f); "
           "B - A per pair: median %+.3f ms (quartiles %+.3f, %+.3f)\n",
           threads, pairs, whole[0][0], whole[0][pairs / 2], sum[0], whole[1][0], whole[1][pairs / 2], sum[1], diff[pairs / 2],
           diff[pairs / 4], diff[3 * pairs / 4]);
    if (getenv("LAYERS"))
        for (int i = 0; i < layers; i++)
            if (best[1][i] - best[0][i] > 0.002 || best[0][i] - best[1][i] > 0.002)
                printf("  layer %2d: A %.3f B %.3f ms (%+.1f us)\n", i, best[0][i], best[1][i], (best[1][i] - best[0][i]) * 1e3);
    return 0;
}
