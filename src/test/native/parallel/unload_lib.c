/* A library that uses ne_parallel.h's pool, for parallel_check.c's unload case: dlclose must stop
 * its workers (the destructor) before their code is unmapped. */
#include "ne_parallel.h"

typedef struct {
    double part[NE_MAX_THREADS];
    int64_t n;
} ne_pc_ctx;

static int32_t ne_pc_range(void* p, int64_t b, int64_t e) {
    ne_pc_ctx* c = (ne_pc_ctx*) p;
    double s = 0;
    for (int64_t i = b; i < e; i++) s += (double) i;
    c->part[b * 8 / c->n] = s; /* 8 items' worth of slots: ranges never share one at <= 8 threads */
    return 0;
}

int32_t ne_pc_run(int64_t n, int32_t threads, double* out);

int32_t ne_pc_run(int64_t n, int32_t threads, double* out) {
    ne_pc_ctx c;
    for (int i = 0; i < NE_MAX_THREADS; i++) c.part[i] = 0;
    c.n = n;
    int32_t st = ne_parallel_for(n, threads, ne_pc_range, &c);
    double s = 0;
    for (int i = 0; i < NE_MAX_THREADS; i++) s += c.part[i];
    *out = s;
    return st;
}
