/* Shared by the CPU kernels of nativeext's ops: a fork-join parallel loop over [0, n) with a
 * fixed partition, and the choice of SIMD variant. Header-only (static functions), included by
 * each op's C file, so that every op library stays self-contained.
 *
 * Determinism: a kernel that computes each output element in one task gets bit-identical
 * results for any thread count; the partition only decides who computes what. */
#ifndef NE_PARALLEL_H
#define NE_PARALLEL_H

#include <pthread.h>
#include <stdint.h>

#define NE_MAX_THREADS 256

/* Computes [begin, end) of the loop; returns 0 or a status. */
typedef int32_t (*ne_range_fn)(void* ctx, int64_t begin, int64_t end);

typedef struct {
    ne_range_fn fn;
    void* ctx;
    int64_t begin, end;
    int32_t status;
} ne_task;

static inline void* ne_task_run(void* p) {
    ne_task* t = (ne_task*) p;
    t->status = t->fn(t->ctx, t->begin, t->end);
    return NULL;
}

/* Runs fn over [0, n) split into `threads` contiguous ranges (the calling thread takes the
 * first). If a thread cannot be started its range runs on the caller. Returns the first
 * non-zero status in range order. */
static inline int32_t ne_parallel_for(int64_t n, int32_t threads, ne_range_fn fn, void* ctx) {
    if (n <= 0) return 0;
    if (threads < 1) threads = 1;
    if (threads > NE_MAX_THREADS) threads = NE_MAX_THREADS;
    if (threads > n) threads = (int32_t) n;
    if (threads == 1) return fn(ctx, 0, n);
    ne_task tasks[NE_MAX_THREADS];
    pthread_t ids[NE_MAX_THREADS];
    int started[NE_MAX_THREADS];
    for (int32_t i = 0; i < threads; i++) {
        tasks[i].fn = fn;
        tasks[i].ctx = ctx;
        tasks[i].begin = n * i / threads;
        tasks[i].end = n * (i + 1) / threads;
        tasks[i].status = 0;
        started[i] = 0;
    }
    for (int32_t i = 1; i < threads; i++) started[i] = pthread_create(&ids[i], NULL, ne_task_run, &tasks[i]) == 0;
    ne_task_run(&tasks[0]);
    for (int32_t i = 1; i < threads; i++) {
        if (started[i]) pthread_join(ids[i], NULL);
        else ne_task_run(&tasks[i]);
    }
    for (int32_t i = 0; i < threads; i++) if (tasks[i].status != 0) return tasks[i].status;
    return 0;
}

/* SIMD variants: 0 auto (the best this CPU has), 1 baseline x86-64, 2 AVX2+FMA, 3 AVX-512F.
 * A request for more than the CPU supports falls back to the best it has.
 *
 * One convention for every op (ROIAlign's): a variant's code lives in a kernel header
 * (ne_<op>_kernel.h, or a named part such as ne_nms_sweep.h) that the op's .c includes once per
 * (dtype,) variant, with defined before each inclusion
 *   NE_SFX     the name suffix, e.g. f32_base, f32_avx2, f32_avx512
 *   NE_TARGET  the function attribute: empty, NE_TARGET_AVX2 or NE_TARGET_AVX512
 * and its functions named NE_CAT(name, NE_SFX). ne_each_isa.h does the three inclusions (base,
 * avx2, avx512) of one dtype: define NE_KERNEL (the header's name, "ne_<op>_kernel.h"), NE_S (the
 * dtype stem, f32 or f64) and the kernel's own macros (NE_T, ...), then #include "ne_each_isa.h";
 * a file with another variant set (roi_pool's, conv2d's register block) writes its inclusions out.
 * Every CPU entry point takes (threads, isa); it resolves isa with ne_isa_resolve and picks the
 * variant with a plain if/else or switch, in a function, never inside a macro that hides a return. */
#define NE_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define NE_TARGET_AVX512 __attribute__((target("avx512f")))
#define NE_CAT2(a, b) a##_##b
#define NE_CAT(a, b) NE_CAT2(a, b)
enum { NE_ISA_AUTO = 0, NE_ISA_BASELINE = 1, NE_ISA_AVX2 = 2, NE_ISA_AVX512 = 3 };

static inline int32_t ne_isa_resolve(int32_t requested) {
    int32_t best = NE_ISA_BASELINE;
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) best = NE_ISA_AVX2;
    if (__builtin_cpu_supports("avx512f")) best = NE_ISA_AVX512;
#endif
    if (requested <= NE_ISA_AUTO || requested > best) return best;
    return requested;
}

#endif
