/* Hammers ne_parallel.h's pool (run by ParallelPoolTest, also under ThreadSanitizer where gcc has
 * it): the fixed partition for thread counts 1..8, thousands of calls (workers spinning, asleep,
 * grown), calls from several threads at once (the second caller takes the spawning path), nested
 * calls, statuses in range order, results equal to a serial run, balanced loops (each item in
 * exactly one call of at most a grain, stealing from a slow range), and (given a library built from
 * unload_lib.c as argv[1]) a library using the pool loaded and unloaded again and again. Exits non-zero naming the
 * case on the first mismatch; prints one summary line otherwise. */
#define _POSIX_C_SOURCE 200112L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dlfcn.h>
#include <dirent.h>
#include "ne_parallel.h"

static int failures;
#define CHECK(cond, ...)                                                                                                   \
    do {                                                                                                                   \
        if (!(cond)) {                                                                                                     \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                                         \
            fprintf(stderr, __VA_ARGS__);                                                                                  \
            fprintf(stderr, "\n");                                                                                         \
            if (++failures > 20) exit(1);                                                                                  \
        }                                                                                                                  \
    } while (0)

/* ---- a job: out[i] = f(in[i]), each range recorded ---- */
typedef struct {
    const double* in;
    double* out;
    int32_t* owner;    /* the range (by its begin) that wrote each item */
    int64_t n;
    int32_t nested;    /* threads of a nested ne_parallel_for per range, 0 for none */
    int64_t fail_at;   /* a range containing this item returns 7 + its begin, -1 for none */
} job;

static double f(double x) {
    double y = x;
    for (int k = 0; k < 8; k++) y = y * 1.0000001 + 0.5 / (1.0 + y * y);
    return y;
}

typedef struct {
    job* j;
    int64_t base;
} sub;

static int32_t sub_range(void* p, int64_t b, int64_t e) {
    sub* s = (sub*) p;
    for (int64_t i = b; i < e; i++) s->j->out[s->base + i] = f(s->j->in[s->base + i]);
    return 0;
}

static int32_t job_range(void* p, int64_t b, int64_t e) {
    job* j = (job*) p;
    for (int64_t i = b; i < e; i++) j->owner[i] = (int32_t) b;
    if (j->nested) {
        sub s = {j, b};
        int32_t st = ne_parallel_for(e - b, j->nested, sub_range, &s);
        if (st) return st;
    } else {
        for (int64_t i = b; i < e; i++) j->out[i] = f(j->in[i]);
    }
    if (j->fail_at >= b && j->fail_at < e) return (int32_t) (7 + b);
    return 0;
}

/* Runs one job and checks every item, its range, and the status. */
static void run_check(int64_t n, int32_t threads, int32_t nested, int64_t fail_at, uint64_t seed, const char* what) {
    double* in = (double*) malloc((size_t) n * sizeof(double));
    double* out = (double*) malloc((size_t) n * sizeof(double));
    int32_t* owner = (int32_t*) malloc((size_t) n * sizeof(int32_t));
    for (int64_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        in[i] = (double) (seed >> 11) / 9007199254740992.0 * 4 - 2;
        out[i] = -1e300;
        owner[i] = -1;
    }
    job j = {in, out, owner, n, nested, fail_at};
    int32_t st = ne_parallel_for(n, threads, job_range, &j);
    int32_t t = threads < 1 ? 1 : threads > NE_MAX_THREADS ? NE_MAX_THREADS : threads;
    if (t > n) t = (int32_t) n;
    int32_t want_st = 0;
    for (int32_t i = 0; i < t; i++) {
        int64_t b = n * i / t, e = n * (i + 1) / t;
        if (fail_at >= b && fail_at < e) {
            want_st = (int32_t) (7 + b);
            break;
        }
    }
    CHECK(st == want_st, "%s: n=%lld threads=%d: status %d, expected %d", what, (long long) n, threads, st, want_st);
    for (int32_t i = 0; i < t; i++) {
        int64_t b = n * i / t, e = n * (i + 1) / t;
        for (int64_t k = b; k < e; k++) {
            if (owner[k] != (int32_t) b || out[k] != f(in[k])) {
                CHECK(0, "%s: n=%lld threads=%d: item %lld owned by range %d (expected %lld) value %.17g (expected %.17g)",
                      what, (long long) n, threads, (long long) k, owner[k], (long long) b, out[k], f(in[k]));
                break;
            }
        }
    }
    free(in);
    free(out);
    free(owner);
}

static void nap(long us);

/* ---- balanced loops: every item in exactly one call, whatever the split ---- */
typedef struct {
    const double* in;
    double* out;
    int32_t* count;    /* calls that covered each item */
    int64_t grain;
    int64_t fail_at;   /* the call containing this item returns 7 + its begin, -1 for none */
    int64_t slow_from; /* items from here on nap 100 us each (-1: none) */
    pthread_t caller;
    int32_t stolen;    /* items at or past slow_from that the caller ran */
} bjob;

static int32_t bjob_range(void* p, int64_t b, int64_t e) {
    bjob* j = (bjob*) p;
    if (e - b > j->grain) return 1000;   /* a call larger than the grain */
    for (int64_t i = b; i < e; i++) {
        if (j->slow_from >= 0 && i >= j->slow_from) {
            nap(100);
            if (pthread_equal(pthread_self(), j->caller)) __atomic_add_fetch(&j->stolen, 1, __ATOMIC_RELAXED);
        }
        j->out[i] = f(j->in[i]);
        __atomic_add_fetch(&j->count[i], 1, __ATOMIC_RELAXED);
    }
    return j->fail_at >= b && j->fail_at < e ? (int32_t) (7 + b) : 0;
}

/* Runs one balanced job and checks every item once and the status; returns the items the caller stole. */
static int32_t run_balanced(int64_t n, int32_t threads, int64_t grain, int64_t fail_at, int64_t slow_from, uint64_t seed,
                            const char* what) {
    double* in = (double*) malloc((size_t) n * sizeof(double));
    double* out = (double*) malloc((size_t) n * sizeof(double));
    int32_t* count = (int32_t*) calloc((size_t) n, sizeof(int32_t));
    for (int64_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        in[i] = (double) (seed >> 11) / 9007199254740992.0 * 4 - 2;
        out[i] = -1e300;
    }
    /* grain <= 0: the default, eight grains per thread */
    const int64_t t = threads < 1 ? 1 : threads > n ? n : threads, def = n / (8 * t);
    bjob j = {in, out, count, grain >= 1 ? grain : def < 1 ? 1 : def, fail_at, slow_from, pthread_self(), 0};
    const int32_t st = ne_parallel_for_balanced(n, threads, grain, bjob_range, &j);
    const int serial = threads <= 1 || n == 1;   /* one call over everything: past the grain */
    if (serial) CHECK(st == (n > j.grain ? 1000 : fail_at >= 0 ? 7 : 0), "%s: n=%lld threads=%d: serial status %d", what,
                      (long long) n, threads, st);
    else CHECK(fail_at >= 0 ? st >= 7 && st < 7 + n : st == 0, "%s: n=%lld threads=%d grain=%lld: status %d (fail_at %lld)", what,
               (long long) n, threads, (long long) grain, st, (long long) fail_at);
    for (int64_t i = 0; i < n; i++) {
        if (count[i] != 1 || out[i] != f(in[i])) {
            CHECK(0, "%s: n=%lld threads=%d grain=%lld: item %lld covered %d times, value %.17g (expected %.17g)", what,
                  (long long) n, threads, (long long) grain, (long long) i, count[i], out[i], f(in[i]));
            break;
        }
    }
    free(in);
    free(out);
    free(count);
    return j.stolen;
}

/* ---- a worker really runs tasks: each item naps, so the caller cannot steal them all ---- */
typedef struct {
    pthread_t caller;
    int32_t elsewhere; /* ranges run on another thread */
} slow_job;

static int32_t slow_range(void* p, int64_t b, int64_t e) {
    slow_job* j = (slow_job*) p;
    for (int64_t i = b; i < e; i++) nap(200);
    if (!pthread_equal(pthread_self(), j->caller)) __atomic_add_fetch(&j->elsewhere, 1, __ATOMIC_RELAXED);
    return 0;
}

/* ---- unloading: a library using the pool, dlopen'ed, run and dlclose'd again and again ---- */
typedef int32_t (*lib_run_fn)(int64_t n, int32_t threads, double* out);

/* Threads of this process (Linux's /proc/self/task), -1 where unknown. */
static int thread_count(void) {
    DIR* d = opendir("/proc/self/task");
    if (!d) return -1;
    int n = 0;
    struct dirent* e;
    while ((e = readdir(d)) != NULL) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void unload_check(const char* lib) {
    double want = 0, got;
    const int before = thread_count();
    for (int64_t i = 0; i < 10000; i++) want += (double) i;
    for (int round = 0; round < 5; round++) {
        void* h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
        CHECK(h != NULL, "dlopen %s: %s", lib, dlerror());
        if (!h) return;
        lib_run_fn run;
        *(void**) &run = dlsym(h, "ne_pc_run");
        CHECK(run != NULL, "dlsym ne_pc_run");
        for (int32_t t = 1; t <= 8 && run; t++) {
            got = -1;
            CHECK(run(10000, t, &got) == 0 && got == want, "unload round %d threads %d: %.17g, expected %.17g", round, t, got, want);
        }
        CHECK(dlclose(h) == 0, "dlclose: %s", dlerror());
        const int after = thread_count();
        CHECK(before < 0 || after == before, "unload round %d: %d threads before dlopen, %d after dlclose", round, before, after);
    }
}

/* ---- several callers at once ---- */
typedef struct {
    int id;
    int calls;
} caller_arg;

static void* caller(void* p) {
    caller_arg* a = (caller_arg*) p;
    for (int c = 0; c < a->calls; c++) {
        int32_t threads = 1 + (a->id + c) % 8;
        int64_t n = 1 + (c * 37 + a->id * 11) % 300;
        run_check(n, threads, c % 5 == 0 ? 2 : 0, c % 7 == 0 ? n / 2 : -1, (uint64_t) (a->id * 100000 + c), "concurrent");
    }
    return NULL;
}

static void nap(long us) {
    struct timespec ts = {0, us * 1000};
    nanosleep(&ts, NULL);
}

int main(int argc, char** argv) {
    /* the partition, every thread count 1..8 and beyond, n below and above the thread count */
    for (int32_t threads = 0; threads <= 9; threads++)
        for (int64_t n = 1; n <= 40; n++) run_check(n, threads, 0, -1, (uint64_t) (n * 31 + threads), "partition");
    run_check(100000, 8, 0, -1, 5, "large");
    run_check(1000, 300, 0, -1, 6, "more than NE_MAX_THREADS");
    /* statuses: the first failing range in range order */
    for (int32_t threads = 2; threads <= 8; threads++)
        for (int64_t at = 0; at < 50; at += 7) run_check(50, threads, 0, at, (uint64_t) at, "status");
    /* many calls: workers spinning between calls, grown from 2 to 8 and back */
    for (int c = 0; c < 4000; c++) run_check(1 + c % 97, 2 + c % 7, 0, -1, (uint64_t) c, "many");
    /* calls after a pause long enough for every worker to block */
    for (int c = 0; c < 30; c++) {
        nap(c % 3 == 0 ? 5000 : 300);
        run_check(64, 2 + c % 7, 0, -1, (uint64_t) c, "after a pause");
    }
    /* nested: each range runs its own ne_parallel_for (serially, on its thread) */
    for (int32_t threads = 1; threads <= 8; threads++)
        for (int32_t inner = 1; inner <= 4; inner++) run_check(200, threads, inner, threads * 17 % 200, 9, "nested");
    /* balanced loops: every split covers each item once, grains of 1..5, statuses, nested inside tasks */
    for (int32_t threads = 0; threads <= 9; threads++)
        for (int64_t n = 1; n <= 40; n++)
            for (int64_t grain = 1; grain <= 5; grain += 2)
                run_balanced(n, threads, threads <= 1 || n == 1 ? n : grain, -1, -1, (uint64_t) (n * 7 + threads), "balanced");
    run_balanced(100000, 8, 64, -1, -1, 11, "balanced large");
    for (int32_t threads = 2; threads <= 5; threads++) run_balanced(1000, threads, 0, -1, -1, 12, "balanced default grain");
    for (int c = 0; c < 2000; c++) run_balanced(2 + c % 97, 2 + c % 7, 1 + c % 4, c % 5 == 0 ? c % 2 : -1, -1, (uint64_t) c,
                                                 "balanced many");
    for (int32_t threads = 2; threads <= 8; threads++) run_balanced(50, threads, 3, threads * 5, -1, 3, "balanced status");
    /* the caller, done with its cheap half, takes items from the back of the worker's slow half */
    int32_t stolen = 0;
    for (int c = 0; c < 5; c++) stolen += run_balanced(40, 2, 1, -1, 20, (uint64_t) c, "balanced steal");
    CHECK(stolen > 0, "in 5 balanced calls with a slow second half the caller ran none of its items");
    /* a worker takes its task when the caller is busy with its own */
    slow_job sj = {pthread_self(), 0};
    for (int c = 0; c < 10; c++) CHECK(ne_parallel_for(8, 2, slow_range, &sj) == 0, "slow");
    CHECK(sj.elsewhere > 0, "in 10 calls of 2 x 0.8 ms no task ran on a worker");
    /* several callers at once (one owns the pool, the others spawn threads), nested ones too */
    enum { CALLERS = 4 };
    pthread_t ids[CALLERS];
    caller_arg args[CALLERS];
    for (int i = 0; i < CALLERS; i++) {
        args[i].id = i;
        args[i].calls = 400;
        if (pthread_create(&ids[i], NULL, caller, &args[i]) != 0) {
            fprintf(stderr, "FAIL: cannot start caller %d\n", i);
            return 1;
        }
    }
    for (int i = 0; i < CALLERS; i++) pthread_join(ids[i], NULL);
    if (argc > 1) unload_check(argv[1]);
    if (failures) return 1;
    printf("ne_parallel pool: all checks passed (%d workers started)\n", ne_pool_get()->workers);
    return 0; /* the destructor joins the workers */
}
