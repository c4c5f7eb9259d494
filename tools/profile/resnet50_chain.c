/* torchvision ResNet-50 at 224x224 as a chain of conv2d calls in C, outside the JVM (issue 13): the
 * fused stem (conv 7x7/2 + BN + ReLU + max-pool 3x3/2), the 16 bottlenecks as the Java model runs
 * them (conv1, conv2, then the downsample into a new buffer, conv3 accumulating in place over the
 * downsample's output or the block's input, with ReLU), the global average pool and the fc as a
 * 1x1 convolution; every output a new malloc'ed buffer freed once consumed, as the Java tensors
 * are. It prints the whole forward's min / median and, with LAYERS=1 in the environment, each
 * layer's minimum, shapes, GFLOP/s (the stem's on its unpooled conv) and median. NE_FLUSH_MB=n writes n
 * MiB between passes (untimed). Built with -DNE_POOL_PROFILE it also prints the time the threads
 * wait at each layer's joins (ne_parallel.h's report per call: the imbalance of its partition,
 * or a thread held up), per layer and in all, with the part of it before a worker started its
 * task and how often a call had to wake a worker from sleep.
 *
 * Why: bin/bench-resnet profile gives each layer's minimum over 7 passes inside the JVM, whose
 * sum is biased upward on a noisy host; this runs many passes quickly with the same kernels,
 * seeded weights and the same buffer reuse, so that a change in ne_conv2d_cpu.c can be A/B'd on
 * the whole network (build one binary per tree and alternate them). Built with NE_CHAIN_JNI it
 * is a JNI library instead, which tools/profile/ChainVsJava.java alternates with the Java forward
 * in one JVM (tools/profile/chain-vs-java.sh): the Java forward takes this chain's time plus
 * 0.8-1.6 ms a round at one thread and 0.7-1.1 ms at two (README, Benchmarks).
 *
 *   gcc -std=c99 -O3 -ffp-contract=off -fno-trapping-math -D_GNU_SOURCE -Iinclude -Isrc/main/cpp \
 *       -Itools/profile -o /tmp/resnet50_chain tools/profile/resnet50_chain.c src/main/cpp/ne_conv2d_cpu.c \
 *       src/main/cpp/ne_status.c -lm -ldl -lpthread
 *   [LAYERS=1] [NE_FLUSH_MB=n] /tmp/resnet50_chain THREADS REPS [ISA]   (ISA 0 auto, 3 AVX-512, 4 AMX)
 *   [LAYERS=1] /tmp/resnet50_chain 0 ROUNDS   (1 and 2 threads taking turns in each round: the two-thread
 *   speedup and each layer's share of what it misses, free of the host's drift between runs)
 *   (-DNE_POOL_PROFILE on the gcc line: the joins' waits)
 * Built with NE_CHAIN_LIB it is a shared library that tools/profile/chain-ab.sh loads twice, from
 * two trees, to A/B a change pass by pass in one process.
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

typedef struct {
    int64_t cin, h, cout, k, s, bytes, dims[10], conv[6];
    void* prep;
} conv_layer;

static int threads, isa;

/* a layer with seeded weights and a folded BN (scale, shift), prepared for the path AUTO picks */
static void make(conv_layer* c, int64_t cin, int64_t h, int64_t cout, int64_t k, int64_t s) {
    const int64_t p = k / 2, ho = (h + 2 * p - k) / s + 1;
    const int64_t d[10] = {1, cin, h, h, cout, k, k, ho, ho, 1}, cv[6] = {s, s, p, p, 1, 1};
    c->cin = cin, c->h = h, c->cout = cout, c->k = k, c->s = s;
    memcpy(c->dims, d, sizeof d);
    memcpy(c->conv, cv, sizeof cv);
    int32_t path;
    if (ne_conv2d_path_cpu(0, d, cv, 0, isa, &path) || ne_conv2d_prepared_bytes_cpu(0, d, cv, path, &c->bytes)) exit(3);
    float *w = prof_filled((size_t) (cout * cin * k * k), -0.05f, 0.05f), *sc = prof_filled((size_t) cout, 0.3f, 0.6f);
    float* sh = prof_filled((size_t) cout, -0.1f, 0.1f);
    c->prep = aligned_alloc(4096, (size_t) (c->bytes + 4095) / 4096 * 4096);
    if (!c->prep || ne_conv2d_prepare_cpu(0, w, NULL, sc, sh, d, cv, path, c->prep, c->bytes, threads, isa)) exit(3);
    free(w), free(sc), free(sh);
}

static double ms_now(void) { return prof_ms(CLOCK_MONOTONIC); }

/* per pass: each layer's time, in the order run */
static double times[64];
static const conv_layer* ran[64];
static int nran;

#ifdef NE_POOL_PROFILE
/* ne_parallel.h's report of each pooled call, summed per layer over all passes (TSC cycles) */
static uint64_t pool_idle, layer_idle[64], pool_late, layer_late[64], pool_woke, layer_woke[64];
void ne_pool_profile(uint64_t idle, uint64_t late, int32_t woke) {
    pool_idle += idle, pool_late += late, pool_woke += (uint64_t) woke;
}
#endif

static void record(const conv_layer* c, double t0) {
#ifdef NE_POOL_PROFILE
    layer_idle[nran] += pool_idle, layer_late[nran] += pool_late, layer_woke[nran] += pool_woke;
    pool_idle = pool_late = pool_woke = 0;
#endif
    ran[nran] = c;
    times[nran++] = ms_now() - t0;
}

/* out = relu?(conv(in) + res); a new buffer where out is NULL */
static float* run(const conv_layer* c, const float* in, const float* res, int relu, float* out) {
    if (!out) out = malloc((size_t) (c->cout * c->dims[7] * c->dims[8]) * sizeof(float));
    const double t0 = ms_now();
    if (!out || ne_conv2d_forward_prepared_cpu(0, in, c->prep, c->bytes, res, relu, out, c->dims, c->conv, threads, isa)) exit(4);
    record(c, t0);
    return out;
}

/* the network: the stem, [stage][block][conv1, conv2, conv3, downsample], the fc; and its input */
static conv_layer stem, fc, net[4][6][4];
static const int blocks[4] = {3, 4, 6, 3};
static float* img;

static void build(void) {
    make(&stem, 3, 224, 64, 7, 2);
    int64_t cin = 64, h = 56;
    for (int s = 0; s < 4; s++)
        for (int b = 0; b < blocks[s]; b++) {
            const int64_t mid = 64 << s, out = 256 << s, st = b == 0 && s > 0 ? 2 : 1;
            make(&net[s][b][0], cin, h, mid, 1, 1);
            make(&net[s][b][1], mid, h, mid, 3, st);
            make(&net[s][b][2], mid, h / st, out, 1, 1);
            if (b == 0) make(&net[s][b][3], cin, h, out, 1, st);
            cin = out, h /= st;
        }
    make(&fc, 2048, 1, 1000, 1, 1);
    img = prof_filled(3 * 224 * 224, -2, 2);
}

/* One forward into logits[1000]; its wall time in ms (each layer's in times[]). */
static double pass(float* logits) {
    static const int64_t pool[8] = {3, 3, 2, 2, 1, 1, 1, 1}, pout[2] = {56, 56};
    nran = 0;
    const double t0 = ms_now();
    float* x = malloc(64 * 56 * 56 * sizeof(float));
    double ts = ms_now();
    if (!x || ne_conv2d_forward_prepared_max_pool_cpu(0, img, stem.prep, stem.bytes, 1, x, stem.dims, stem.conv, pool, pout,
                                                      threads, isa))
        exit(4);
    record(&stem, ts);
    for (int s = 0; s < 4; s++)
        for (int b = 0; b < blocks[s]; b++) {
            const conv_layer* c = net[s][b];
            float* y1 = run(&c[0], x, NULL, 1, NULL);
            float* y2 = run(&c[1], y1, NULL, 1, NULL);
            free(y1);
            float* acc = b == 0 ? run(&c[3], x, NULL, 0, NULL) : x;
            run(&c[2], y2, acc, 1, acc);
            free(y2);
            if (acc != x) free(x);
            x = acc;
        }
    float pooled[2048];
    ts = ms_now();
    for (int ch = 0; ch < 2048; ch++) {
        float sum = 0;
        for (int i = 0; i < 49; i++) sum += x[ch * 49 + i];
        pooled[ch] = sum / 49;
    }
    free(x);
    if (ne_conv2d_forward_prepared_cpu(0, pooled, fc.prep, fc.bytes, NULL, 0, logits, fc.dims, fc.conv, threads, isa)) exit(4);
    record(&fc, ts);
    return ms_now() - t0;
}

#if defined(NE_CHAIN_LIB)
/* The chain as a plain shared library for tools/profile/chain_ab.c, which loads two builds of it
 * (two trees of ne_conv2d_cpu.c) and alternates them pass by pass (tools/profile/chain-ab.sh). */
__attribute__((visibility("default"))) void chain_build(int th) {
    threads = th, isa = 0;
    build();
}
/* One forward; its wall time in ms, and each layer's in ms[0, *layers). */
__attribute__((visibility("default"))) double chain_pass(double* ms, int* layers) {
    static float logits[1000];
    const double t = pass(logits);
    memcpy(ms, times, sizeof(double) * (size_t) nran);
    *layers = nran;
    return t;
}
#elif defined(NE_CHAIN_JNI)
/* The chain as a JNI library for tools/profile/ChainVsJava.java, which alternates it with the
 * Java forward in one JVM (built by tools/profile/chain-vs-java.sh). */
#include <jni.h>
JNIEXPORT void JNICALL Java_ChainVsJava_build(JNIEnv* env, jclass cls, jint th) {
    (void) env, (void) cls;
    threads = th, isa = 0;
    build();
}
JNIEXPORT void JNICALL Java_ChainVsJava_threads(JNIEnv* env, jclass cls, jint th) {
    (void) env, (void) cls;
    threads = th;
}
JNIEXPORT jdouble JNICALL Java_ChainVsJava_pass(JNIEnv* env, jclass cls) {
    (void) env, (void) cls;
    static float logits[1000];
    return pass(logits);
}
#else
/* "i cin->cout kxk/s on hxh": layer i of a pass, as the per-layer lines begin */
static void print_label(int i, const conv_layer* c) {
    printf("%2d %4lld->%-4lld %lldx%lld/%lld on %3lldx%-3lld", i, (long long) c->cin, (long long) c->cout, (long long) c->k,
           (long long) c->k, (long long) c->s, (long long) c->h, (long long) c->h);
}

/* THREADS 0: one thread and two take turns, three passes each per round, for ROUNDS rounds
 * (two more untimed first); each count's whole-forward minimum and, per layer, its minima and
 * what the second thread loses there (two-thread minimum minus half the one-thread one). Runs
 * of one thread count after another differ by the host's drift between them, up to a tenth in
 * the ratio; in the same rounds they share it. */
static int alternate(int rounds) {
    threads = 2;
    build();
    float logits[1000];
    double whole[2] = {1e30, 1e30}, best[2][64];
    for (int t = 0; t < 2; t++)
        for (int i = 0; i < 64; i++) best[t][i] = 1e30;
    for (int r = -2; r < rounds; r++)
        for (int t = 0; t < 2; t++) {
            threads = t + 1;
            for (int p = 0; p < 3; p++) {
                const double ms = pass(logits);
                if (r < 0) continue;
                if (ms < whole[t]) whole[t] = ms;
                for (int i = 0; i < nran; i++)
                    if (times[i] < best[t][i]) best[t][i] = times[i];
            }
        }
    double sum[2] = {0, 0};
    for (int i = 0; i < nran; i++) sum[0] += best[0][i], sum[1] += best[1][i];
    printf("resnet50 224 chain, 1 and 2 threads taking turns (%d rounds of 3 passes each): whole min %.2f / %.2f ms (%.3fx);"
           " sum of layer minima %.2f / %.2f ms (%.3fx)\n", rounds, whole[0], whole[1], whole[0] / whole[1], sum[0], sum[1],
           sum[0] / sum[1]);
    if (getenv("LAYERS"))
        for (int i = 0; i < nran; i++) {
            print_label(i, ran[i]);
            printf(" %8.3f %8.3f ms (%.2fx), two threads lose %6.3f ms\n", best[0][i], best[1][i], best[0][i] / best[1][i],
                   best[1][i] - best[0][i] / 2);
        }
    return 0;
}

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: THREADS REPS [ISA]   (THREADS 0: 1 and 2 taking turns, REPS rounds)\n");
        return 1;
    }
    threads = atoi(argv[1]);
    const int reps = atoi(argv[2]) < 1 ? 1 : atoi(argv[2]);
    isa = argc > 3 ? atoi(argv[3]) : 0;
    if (threads == 0) return alternate(reps);
    build();
#ifdef NE_POOL_PROFILE
    const uint64_t tsc0 = __builtin_ia32_rdtsc();
    const double ms0 = ms_now();
#endif
    double* whole = malloc(sizeof(double) * (size_t) reps);
    const double passes = reps > 1 ? reps - 1 : 1;   /* the profile's mean skips the first pass */
    double best[64];
    double* all = malloc(sizeof(double) * 64 * (size_t) reps);   /* each layer's time in each pass, for its median */
    for (int i = 0; i < 64; i++) best[i] = 1e30;
    float* logits = malloc(1000 * sizeof(float));
    const char* fe = getenv("NE_FLUSH_MB");
    const size_t flush = fe ? (size_t) atoi(fe) << 20 : 0;
    char* junk = flush ? malloc(flush) : NULL;
    for (int r = 0; r < reps; r++) {
        if (junk) memset(junk, r, flush);   /* untimed: what else the process touches between forwards */
        whole[r] = pass(logits);
        for (int i = 0; i < nran; i++) {
            if (times[i] < best[i]) best[i] = times[i];
            all[(size_t) i * (size_t) reps + (size_t) r] = times[i];
        }
#ifdef NE_POOL_PROFILE
        if (r == 0) {   /* the first pass starts the workers */
            memset(layer_idle, 0, sizeof layer_idle);
            memset(layer_late, 0, sizeof layer_late);
            memset(layer_woke, 0, sizeof layer_woke);
        }
#endif
    }
#ifdef NE_POOL_PROFILE
    const double tsc_per_us = (double) (__builtin_ia32_rdtsc() - tsc0) / ((ms_now() - ms0) * 1e3);
#endif
    qsort(whole, (size_t) reps, sizeof(double), prof_by_value);
    double sum = 0;
    for (int i = 0; i < nran; i++) sum += best[i];
    printf("resnet50 224 chain, threads %d isa %d: whole min %.2f ms median %.2f ms (%d passes); sum of layer minima %.2f ms\n",
           threads, isa, whole[0], whole[reps / 2], reps, sum);
    if (getenv("LAYERS"))
        for (int i = 0; i < nran; i++) {
            const conv_layer* c = ran[i];
            const double flops = 2.0 * (double) (c->cout * c->dims[7] * c->dims[8] * c->cin * c->k * c->k);
            double* t = all + (size_t) i * (size_t) reps;
            qsort(t, (size_t) reps, sizeof(double), prof_by_value);
            print_label(i, c);
            printf(" %8.3f ms %6.0f GFLOP/s (median %.3f ms)", best[i], flops / best[i] / 1e6, t[reps / 2]);
#ifdef NE_POOL_PROFILE
            printf("  join wait %6.1f us (late starts %5.1f, workers woken %.2f)", layer_idle[i] / tsc_per_us / passes,
                   layer_late[i] / tsc_per_us / passes, layer_woke[i] / passes);
#endif
            printf("\n");
        }
#ifdef NE_POOL_PROFILE
    uint64_t idle = 0, late = 0, woke = 0;
    for (int i = 0; i < nran; i++) idle += layer_idle[i], late += layer_late[i], woke += layer_woke[i];
    printf("threads waiting at the layers' joins: %.3f ms a pass (the sum over the threads, mean over the passes but the first),"
           " of which late starts %.3f ms; workers woken from sleep %.2f times a pass\n",
           idle / tsc_per_us / passes / 1e3, late / tsc_per_us / passes / 1e3, woke / passes);
#endif
    return 0;
}
#endif
