/* What every profile driver under tools/profile/ needs besides the op it times: a clock, a
 * seeded random stream (so that runs, thread counts and ISAs see the same operands), a
 * comparator for qsort'ing timings (min and median), and a hash of an output (equal hashes across
 * thread counts and ISAs: a quick bit-identity check). Header-only; include it after <time.h>'s
 * feature macros (_GNU_SOURCE / _POSIX_C_SOURCE) are set. */
#ifndef NE_PROFILE_UTIL_H
#define NE_PROFILE_UTIL_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/* milliseconds on a clock: CLOCK_MONOTONIC (wall) or CLOCK_THREAD_CPUTIME_ID (this thread's CPU) */
static double prof_ms(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

/* xorshift64: one stream, two ways of reading it */
static uint64_t prof_state = 88172645463325252ull;
static uint64_t prof_next(void) {
    prof_state ^= prof_state << 13;
    prof_state ^= prof_state >> 7;
    prof_state ^= prof_state << 17;
    return prof_state;
}

/* uniform double in [0, 1), 53 bits */
static double prof_unit(void) { return (double) (prof_next() >> 11) / 9007199254740992.0; }

/* uniform float in [a, b), 24 bits */
static float prof_uniform(float a, float b) {
    return a + (b - a) * ((float) (prof_next() >> 40) / (float) (1 << 24));
}

/* n floats uniform in [a, b) (malloc'ed; exits with 2 when memory runs out) */
static float* prof_filled(size_t n, float a, float b) {
    float* p = malloc(n * sizeof(float));
    if (!p) exit(2);
    for (size_t i = 0; i < n; i++) p[i] = prof_uniform(a, b);
    return p;
}

/* qsort comparator of doubles, ascending */
static int prof_by_value(const void* a, const void* b) {
    const double x = *(const double*) a, y = *(const double*) b;
    return x < y ? -1 : x > y;
}

/* ne_conv2d_cpu.c's rdtsc phase timers (built with -DNE_C2_PROFILE), in Mcycles per run */
static void prof_print_phases(const int64_t* prof, int reps) {
    printf("   prof (Mcycles/rep):");
    for (int i = 0; i < 8; i++)
        if (prof[i]) printf(" [%d] %.3f", i, prof[i] / 1e6 / reps);
    printf("\n");
}

/* FNV-1a of n bytes */
static unsigned long long prof_hash(const void* p, size_t n) {
    const unsigned char* c = p;
    unsigned long long h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= c[i];
        h *= 1099511628211ull;
    }
    return h;
}

#endif
