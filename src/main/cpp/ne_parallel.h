/* Shared by the CPU kernels of nativeext's ops: a fork-join parallel loop over [0, n) with a
 * fixed partition, and the choice of SIMD variant. Header-only (static functions), included by
 * each op's C file, so that every op library stays self-contained.
 *
 * Determinism: a kernel that computes each output element in one task gets bit-identical
 * results for any thread count; the partition only decides who computes what.
 *
 * Threads: a persistent pool, one per translation unit that calls ne_parallel_for (one per op
 * library). Its workers start on the first call that asks for them (more when a later call asks
 * for more threads) and live until the library is unloaded. Each worker has a mailbox; a call
 * posts task i to worker i-1, runs task 0 itself, then runs every task that no worker has taken
 * yet (a descheduled worker costs no wait) and waits for the others. Waiting, on both sides,
 * spins briefly (rdtsc-timed, NE_POOL_*_SPIN) and then blocks on a condition variable, so idle
 * workers cost nothing; a call that comes within the spin finds its workers awake.
 * Measured on a 2-core machine (bin/bench-resnet, quiet runs, 2026-12-05; min): resnet50 at
 * 224² (55 convolutions of 0.2-4 ms) 84.3 ms on one thread, 49.1 on two (x1.72, x1.62-1.76 in
 * six runs; it was 104.2 and 104.8 with a thread created per call and OpenBLAS's thread count
 * set twice per conv2d call from Java), R-50-FPN + FPN at 800x1344 1605 / 817 ms (x1.97; was
 * x1.76). A call's own cost is ~1.5 us (100 us of work on two threads: 51.2 us). The cost of a
 * worker between calls is a sleeping thread: threads-1 per op library that has run in parallel.
 *
 * Who runs a task never changes its range: task i is [n*i/threads, n*(i+1)/threads) whoever
 * runs it. A second thread calling while the pool is in use (several Java threads running ops)
 * takes the former path, threads created for the call; a task that itself calls
 * ne_parallel_for runs that loop serially on its own thread (no deadlock, no oversubscription).
 * If a thread cannot be created its tasks run on the caller. Nothing prints or aborts. On
 * unload (dlclose, or exit) a destructor stops and joins idle workers; if a call is in flight
 * on another thread then (only at process exit) the workers are left running. */
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
#ifdef NE_POOL_PROFILE
    uint64_t start, busy;   /* TSC when the task started, cycles it ran */
#endif
} ne_task;

#ifdef NE_POOL_PROFILE
/* Built with -DNE_POOL_PROFILE (tools/profile/resnet50_chain.c): each call on the pool reports the
 * time its threads spent waiting at its join (the sum over its tasks of the call's wall time
 * minus the task's own), in TSC cycles, to this function, which the profile driver defines;
 * of that, `late` is the part before the tasks run by others than the caller started (a worker
 * that was slow to see its post), and `woke` counts the workers the call had to wake (asleep:
 * idle longer than NE_POOL_IDLE_SPIN). */
void ne_pool_profile(uint64_t idle, uint64_t late, int32_t woke);
static int32_t ne_pool_woke;
#endif

static inline void* ne_task_run(void* p) {
    ne_task* t = (ne_task*) p;
#ifdef NE_POOL_PROFILE
    const uint64_t t0 = __builtin_ia32_rdtsc();
    t->start = t0;
    t->status = t->fn(t->ctx, t->begin, t->end);
    t->busy = __builtin_ia32_rdtsc() - t0;
#else
    t->status = t->fn(t->ctx, t->begin, t->end);
#endif
    return NULL;
}

/* The path without the pool: a thread per task but the first, joined at the end. */
static inline void ne_parallel_spawn(ne_task* tasks, int32_t threads) {
    pthread_t ids[NE_MAX_THREADS];
    int started[NE_MAX_THREADS];
    for (int32_t i = 1; i < threads; i++) started[i] = pthread_create(&ids[i], NULL, ne_task_run, &tasks[i]) == 0;
    ne_task_run(&tasks[0]);
    for (int32_t i = 1; i < threads; i++) {
        if (started[i]) pthread_join(ids[i], NULL);
        else ne_task_run(&tasks[i]);
    }
}

/* ---- The pool ---- */

/* Spin budgets in TSC cycles (about 100 us at 2.6 GHz): a worker waits this long for the next
 * call before it blocks (the gap between two layers of a network is a few microseconds), the
 * caller this long for a worker's task to end. Short, because each op library has its own
 * workers: those of the op that ran last spin beside the next op's threads. No sched_yield in
 * the spin: it gave the core away for a whole time slice (resnet50 on 2 threads: 51 -> 92 ms). */
#define NE_POOL_IDLE_SPIN (1u << 18)
#define NE_POOL_WAIT_SPIN (1u << 18)

/* A mailbox's state: IDLE -> POSTED (caller) -> TAKEN (worker or caller) -> DONE (worker) -> IDLE
 * (caller), or TAKEN by the caller -> IDLE (caller). */
enum { NE_SLOT_IDLE = 0, NE_SLOT_POSTED = 1, NE_SLOT_TAKEN = 2, NE_SLOT_DONE = 3 };

typedef struct ne_pool ne_pool;

typedef struct __attribute__((aligned(64))) {
    int32_t state;      /* atomic */
    int32_t sleeping;   /* atomic: the worker is blocked (or about to block) on cv */
    int32_t inited;     /* m and cv are initialised */
    ne_task* task;      /* the task posted; read by whoever takes it */
    ne_pool* pool;
    pthread_t id;
    pthread_mutex_t m;
    pthread_cond_t cv;
} ne_pool_slot;

struct ne_pool {
    int32_t busy;      /* atomic: a call owns the pool (everything below is the owner's) */
    int32_t quit;      /* atomic: the workers are to end (set by the destructor, which keeps busy) */
    int32_t waiting;   /* atomic: the owner is blocked on done */
    int32_t workers;   /* workers started: slots[0, workers) */
    int32_t inited;    /* m and done are initialised */
    pthread_mutex_t m;
    pthread_cond_t done;
    ne_pool_slot slots[NE_MAX_THREADS - 1];
};

static inline ne_pool* ne_pool_get(void) {
    static ne_pool pool;
    return &pool;
}

/* Non-zero while this thread runs tasks of a ne_parallel_for (a worker always). */
static inline int32_t* ne_pool_depth(void) {
    static __thread int32_t depth;
    return &depth;
}

static inline uint64_t ne_pool_clock(uint64_t i) {
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
    (void) i;
    return __builtin_ia32_rdtsc();
#else
    return i * 64; /* no cycle counter: count iterations instead */
#endif
}

static inline void ne_pool_relax(void) {
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
    __builtin_ia32_pause();
#endif
}

/* Spins until *word == want or *quit (quit may be NULL), for about `cycles`; 1 if it ended so. */
static inline int ne_pool_spin(const int32_t* word, int32_t want, const int32_t* quit, uint64_t cycles) {
    const uint64_t t0 = ne_pool_clock(0);
    for (uint64_t i = 1;; i++) {
        if (__atomic_load_n(word, __ATOMIC_ACQUIRE) == want) return 1;
        if (quit && __atomic_load_n(quit, __ATOMIC_ACQUIRE)) return 1;
        if ((i & 15) == 0 && ne_pool_clock(i) - t0 > cycles) return 0;
        ne_pool_relax();
    }
}

static inline void* ne_pool_worker(void* arg) {
    ne_pool_slot* s = (ne_pool_slot*) arg;
    ne_pool* p = s->pool;
    *ne_pool_depth() = 1;
    for (;;) {
        if (!ne_pool_spin(&s->state, NE_SLOT_POSTED, &p->quit, NE_POOL_IDLE_SPIN)) {
            pthread_mutex_lock(&s->m);
            __atomic_store_n(&s->sleeping, 1, __ATOMIC_SEQ_CST);
            while (__atomic_load_n(&s->state, __ATOMIC_SEQ_CST) != NE_SLOT_POSTED && !__atomic_load_n(&p->quit, __ATOMIC_SEQ_CST))
                pthread_cond_wait(&s->cv, &s->m);
            __atomic_store_n(&s->sleeping, 0, __ATOMIC_SEQ_CST);
            pthread_mutex_unlock(&s->m);
        }
        int32_t posted = NE_SLOT_POSTED;
        if (__atomic_compare_exchange_n(&s->state, &posted, NE_SLOT_TAKEN, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            ne_task_run(s->task);
            __atomic_store_n(&s->state, NE_SLOT_DONE, __ATOMIC_SEQ_CST);
            if (__atomic_load_n(&p->waiting, __ATOMIC_SEQ_CST)) {
                pthread_mutex_lock(&p->m);
                pthread_cond_broadcast(&p->done);
                pthread_mutex_unlock(&p->m);
            }
        }
        if (__atomic_load_n(&p->quit, __ATOMIC_ACQUIRE)) return NULL;
    }
}

/* Starts workers until `want` run (or one cannot start); posts tasks[1..k] to the first k of
 * them, waking those asleep; returns k. The caller owns the pool. */
static inline int32_t ne_pool_post(ne_pool* p, ne_task* tasks, int32_t want) {
    if (!p->inited) {
        if (pthread_mutex_init(&p->m, NULL) != 0) return 0;
        if (pthread_cond_init(&p->done, NULL) != 0) {
            pthread_mutex_destroy(&p->m);
            return 0;
        }
        p->inited = 1;
    }
    while (p->workers < want) {
        ne_pool_slot* s = &p->slots[p->workers];
        if (!s->inited) {
            if (pthread_mutex_init(&s->m, NULL) != 0) break;
            if (pthread_cond_init(&s->cv, NULL) != 0) {
                pthread_mutex_destroy(&s->m);
                break;
            }
            s->inited = 1;
        }
        s->pool = p;
        __atomic_store_n(&s->state, NE_SLOT_IDLE, __ATOMIC_RELAXED);
        __atomic_store_n(&s->sleeping, 0, __ATOMIC_RELAXED);
        if (pthread_create(&s->id, NULL, ne_pool_worker, s) != 0) break;
        p->workers++;
    }
    const int32_t k = want < p->workers ? want : p->workers;
    for (int32_t i = 1; i <= k; i++) {
        ne_pool_slot* s = &p->slots[i - 1];
        s->task = &tasks[i];
        __atomic_store_n(&s->state, NE_SLOT_POSTED, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&s->sleeping, __ATOMIC_SEQ_CST)) {
#ifdef NE_POOL_PROFILE
            ne_pool_woke++;
#endif
            pthread_mutex_lock(&s->m);
            pthread_cond_signal(&s->cv);
            pthread_mutex_unlock(&s->m);
        }
    }
    return k;
}

/* Waits until the worker of s has finished the task it took. */
static inline void ne_pool_wait(ne_pool* p, ne_pool_slot* s) {
    if (ne_pool_spin(&s->state, NE_SLOT_DONE, NULL, NE_POOL_WAIT_SPIN)) return;
    pthread_mutex_lock(&p->m);
    __atomic_store_n(&p->waiting, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&s->state, __ATOMIC_SEQ_CST) != NE_SLOT_DONE) pthread_cond_wait(&p->done, &p->m);
    __atomic_store_n(&p->waiting, 0, __ATOMIC_SEQ_CST);
    pthread_mutex_unlock(&p->m);
}

/* Runs tasks[0, threads) on the pool, which the caller owns. */
static inline void ne_pool_run(ne_pool* p, ne_task* tasks, int32_t threads) {
    const int32_t k = ne_pool_post(p, tasks, threads - 1);
    ne_task_run(&tasks[0]);
    for (int32_t i = k + 1; i < threads; i++) ne_task_run(&tasks[i]); /* no worker for these */
    /* the tasks no worker has taken yet, last first (the likeliest not to have started) */
    for (int32_t i = k; i >= 1; i--) {
        ne_pool_slot* s = &p->slots[i - 1];
        int32_t posted = NE_SLOT_POSTED;
        if (__atomic_compare_exchange_n(&s->state, &posted, NE_SLOT_TAKEN, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            ne_task_run(&tasks[i]);
            __atomic_store_n(&s->state, NE_SLOT_IDLE, __ATOMIC_RELEASE);
        }
    }
    for (int32_t i = 1; i <= k; i++) {
        ne_pool_slot* s = &p->slots[i - 1];
        if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) == NE_SLOT_IDLE) continue; /* ran it above */
        ne_pool_wait(p, s);
        __atomic_store_n(&s->state, NE_SLOT_IDLE, __ATOMIC_RELEASE);
    }
}

/* Stops and joins the workers when the library is unloaded (or the process exits). */
__attribute__((destructor)) static void ne_pool_fini(void) {
    ne_pool* p = ne_pool_get();
    int32_t free_ = 0;
    /* a call in flight on another thread (the process is exiting): leave the workers be */
    if (!__atomic_compare_exchange_n(&p->busy, &free_, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) return;
    __atomic_store_n(&p->quit, 1, __ATOMIC_SEQ_CST);
    for (int32_t i = 0; i < p->workers; i++) {
        ne_pool_slot* s = &p->slots[i];
        pthread_mutex_lock(&s->m);
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->m);
    }
    for (int32_t i = 0; i < p->workers; i++) pthread_join(p->slots[i].id, NULL);
    p->workers = 0;
    /* busy stays set: a later call takes the spawning path */
}

/* Runs fn over [0, n) split into `threads` contiguous ranges, task i being
 * [n*i/threads, n*(i+1)/threads) (the calling thread takes the first). Returns the first
 * non-zero status in range order. */
static inline int32_t ne_parallel_for(int64_t n, int32_t threads, ne_range_fn fn, void* ctx) {
    if (n <= 0) return 0;
    if (threads < 1) threads = 1;
    if (threads > NE_MAX_THREADS) threads = NE_MAX_THREADS;
    if (threads > n) threads = (int32_t) n;
    int32_t* depth = ne_pool_depth();
    if (threads == 1 || *depth) return fn(ctx, 0, n); /* one thread, or inside a task: serially */
    ne_task tasks[NE_MAX_THREADS];
    for (int32_t i = 0; i < threads; i++) {
        tasks[i].fn = fn;
        tasks[i].ctx = ctx;
        tasks[i].begin = n * i / threads;
        tasks[i].end = n * (i + 1) / threads;
        tasks[i].status = 0;
    }
    ne_pool* p = ne_pool_get();
    int32_t free_ = 0;
    *depth = 1;
    if (__atomic_compare_exchange_n(&p->busy, &free_, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
#ifdef NE_POOL_PROFILE
        ne_pool_woke = 0;
        const uint64_t t0 = __builtin_ia32_rdtsc();
        ne_pool_run(p, tasks, threads);
        const uint64_t wall = __builtin_ia32_rdtsc() - t0;
        uint64_t idle = 0, late = 0;
        for (int32_t i = 0; i < threads; i++) idle += wall > tasks[i].busy ? wall - tasks[i].busy : 0;
        for (int32_t i = 1; i < threads; i++) late += tasks[i].start > t0 ? tasks[i].start - t0 : 0;
        ne_pool_profile(idle, late, ne_pool_woke);
#else
        ne_pool_run(p, tasks, threads);
#endif
        __atomic_store_n(&p->busy, 0, __ATOMIC_RELEASE);
    } else {
        ne_parallel_spawn(tasks, threads);
    }
    *depth = 0;
    for (int32_t i = 0; i < threads; i++) if (tasks[i].status != 0) return tasks[i].status;
    return 0;
}

/* ---- Balanced loops: the fixed partition first, then the rest taken by whoever is free ----
 *
 * ne_parallel_for_balanced(n, threads, grain, fn, ctx) runs the same tasks as ne_parallel_for
 * (task i owns [n*i/threads, n*(i+1)/threads), so each thread starts on the data a fixed
 * partition gives it), but each task takes its range `grain` items at a time from the front,
 * and a task that has run out takes grains from the back of the range with the most left. fn is
 * then called on any split of [0, n) into ranges, each item in exactly one call: only for loops
 * whose items are independent (each output element computed in one item, the same way whoever
 * runs it), whose bits therefore do not depend on the split either. Why: two threads of a
 * network's layer on a shared host come out uneven by 5-15 % per phase (one core's data further
 * away, the other's interrupted), and at a fixed partition's join the early one waits; the
 * resnet50 chain on two threads waited 1.6 ms a pass in all (NE_POOL_PROFILE), where one thread
 * was systematically slower in some phases (Winograd F(2x2)'s products on 14x14: 20-30 us of
 * 170). Returns a non-zero status of a call where some failed (which one, if several, is not
 * fixed). */
typedef struct __attribute__((aligned(64))) {
    uint64_t word;   /* atomic: (end << 32) | next, the items [next, end) not yet taken */
} ne_balance_range;

typedef struct {
    ne_range_fn fn;
    void* ctx;
    int64_t grain;
    int32_t tasks;
    ne_balance_range* ranges;
} ne_balance;

/* Takes up to `grain` items of range r, from its front (own) or back (a thief): 1 and [*b, *e), or 0. */
static inline int ne_balance_take(ne_balance_range* r, int64_t grain, int own, int64_t* b, int64_t* e) {
    uint64_t w = __atomic_load_n(&r->word, __ATOMIC_ACQUIRE);
    for (;;) {
        const int64_t next = (int64_t) (w & 0xffffffffu), end = (int64_t) (w >> 32);
        if (next >= end) return 0;
        const int64_t take = end - next < grain ? end - next : grain;
        const uint64_t nw = own ? ((uint64_t) end << 32) | (uint64_t) (next + take) : ((uint64_t) (end - take) << 32) | (uint64_t) next;
        if (__atomic_compare_exchange_n(&r->word, &w, nw, 1, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            *b = own ? next : end - take;
            *e = own ? next + take : end;
            return 1;
        }
    }
}

/* Task i of a balanced loop (begin = i): its own range, then the others' (the fullest first). */
static inline int32_t ne_balance_task(void* p, int64_t begin, int64_t end) {
    ne_balance* bl = (ne_balance*) p;
    (void) end;
    int32_t status = 0;
    int64_t b, e;
    while (ne_balance_take(&bl->ranges[begin], bl->grain, 1, &b, &e)) {
        const int32_t s = bl->fn(bl->ctx, b, e);
        if (s && !status) status = s;
    }
    for (;;) {
        int32_t victim = -1;
        int64_t most = 0;
        for (int32_t i = 0; i < bl->tasks; i++) {
            const uint64_t w = __atomic_load_n(&bl->ranges[i].word, __ATOMIC_ACQUIRE);
            const int64_t left = (int64_t) (w >> 32) - (int64_t) (w & 0xffffffffu);
            if (left > most) most = left, victim = i;
        }
        if (victim < 0) return status;
        if (ne_balance_take(&bl->ranges[victim], bl->grain, 0, &b, &e)) {
            const int32_t s = bl->fn(bl->ctx, b, e);
            if (s && !status) status = s;
        }
    }
}

/* grain <= 0: eight grains per thread (n / (8 * threads), at least 1), for many cheap items (a
 * transform's channels): a call's own cost (scratch, setup) stays small beside its items, and a
 * thread done early still finds grains to take. */
static inline int32_t ne_parallel_for_balanced(int64_t n, int32_t threads, int64_t grain, ne_range_fn fn, void* ctx) {
    if (n <= 0) return 0;
    if (threads < 1) threads = 1;
    if (threads > NE_MAX_THREADS) threads = NE_MAX_THREADS;
    if (threads > n) threads = (int32_t) n;
    if (threads == 1 || *ne_pool_depth()) return fn(ctx, 0, n);   /* serially: one call, as ne_parallel_for */
    if (n > 0x7fffffff) return ne_parallel_for(n, threads, fn, ctx);   /* items past 32 bits: the fixed partition */
    ne_balance_range ranges[NE_MAX_THREADS];
    for (int32_t i = 0; i < threads; i++)
        ranges[i].word = ((uint64_t) (n * (i + 1) / threads) << 32) | (uint64_t) (n * i / threads);
    if (grain <= 0) grain = n / (8 * (int64_t) threads);
    ne_balance bl = {fn, ctx, grain < 1 ? 1 : grain, threads, ranges};
    return ne_parallel_for(threads, threads, ne_balance_task, &bl);
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
