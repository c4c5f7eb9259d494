// Shared by the <op>_check.cpp drivers of CudaEmulationTest: seeded inputs, guarded buffers and
// comparisons that print the failing case. A driver runs its cases, and main returns
// emu_check::finish(): non-zero if any comparison failed (all cases run, so one run shows every
// failure).
#ifndef NE_EMU_CHECK_H
#define NE_EMU_CHECK_H

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <string>
#include <vector>

#include "ne_cuda_emu.h"
extern "C" {
#include "ne_status.h"
}

namespace emu_check {

// The problem size of the roi ops' drivers: input [n, c, h, w], k rois, ph x pw bins.
struct RoiShape {
    int64_t n, c, h, w, k, ph, pw;
};

inline int& failures() { static int f = 0; return f; }
inline int& checks() { static int c = 0; return c; }
inline std::string& case_name() { static std::string s; return s; }

// The current case, printed with every failure: "op dtype=.. shape=.. seed=..".
inline void set_case(const char* fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    case_name() = buf;
}

inline void failf(const char* fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (failures() < 40) printf("FAIL [%s] %s\n", case_name().c_str(), buf);
    failures()++;
}

inline bool expect_status(const char* what, int32_t got, int32_t want) {
    checks()++;
    if (got == want) return true;
    failf("%s: status %d (%s), expected %d (%s)", what, got, ne_status_string(got), want, ne_status_string(want));
    return false;
}

// splitmix64: deterministic across platforms and compilers (no <random> distributions).
struct Rng {
    uint64_t s;
    explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
    uint64_t next() {
        uint64_t z = (s += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    double uniform(double lo, double hi) { return lo + (hi - lo) * ((next() >> 11) * (1.0 / 9007199254740992.0)); }
    int64_t below(int64_t n) { return (int64_t) (next() % (uint64_t) n); }
};

// A "device" buffer, 256-byte aligned like a cudaMalloc, with guard zones on both sides:
// check_guards() reports any write outside [0, n) (an out-of-bounds store in a kernel). Under
// AddressSanitizer (-Dnativeext.cudaemu.asan=true) there are no guards, so that ASan's own
// redzones catch out-of-bounds loads too.
#if defined(__SANITIZE_ADDRESS__)
constexpr size_t kGuardBytes = 0;
#else
constexpr size_t kGuardBytes = 512;
#endif
template <class T>
struct Buf {
    unsigned char* raw;
    size_t n, bytes;
    explicit Buf(size_t count = 0, T fill = T()) : n(count), bytes(count * sizeof(T) + 2 * kGuardBytes) {
        void* p = nullptr;
        if (posix_memalign(&p, 256, bytes > 0 ? bytes : 1) != 0) abort();
        raw = (unsigned char*) p;
        memset(raw, 0x5B, bytes);
        for (size_t i = 0; i < n; i++) data()[i] = fill;
    }
    Buf(const Buf&) = delete;
    Buf& operator=(const Buf&) = delete;
    ~Buf() { free(raw); }
    T* data() { return (T*) (raw + kGuardBytes); }
    const T* data() const { return (const T*) (raw + kGuardBytes); }
    T& operator[](size_t i) { return data()[i]; }
    const T& operator[](size_t i) const { return data()[i]; }
    bool guards_intact() const {
        for (size_t i = 0; i < kGuardBytes; i++)
            if (raw[i] != 0x5B || raw[bytes - 1 - i] != 0x5B) return false;
        return true;
    }
};

template <class T>
inline void check_guards(const char* what, const Buf<T>& b) {
    checks()++;
    if (!b.guards_intact()) failf("%s: a kernel wrote outside the buffer's %zu elements", what, b.n);
}

template <class T>
inline void fill_uniform(Buf<T>& b, Rng& r, double lo, double hi) {
    for (size_t i = 0; i < b.n; i++) b[i] = (T) r.uniform(lo, hi);
}

// got vs want: |g - w| <= atol + rtol * |w|, NaN only where the reference has NaN. Reports the
// worst element and the number of mismatches.
template <class T>
inline bool compare(const char* what, const T* got, const T* want, size_t n, double rtol, double atol) {
    checks()++;
    size_t bad = 0, worst = 0;
    double worst_err = -1;
    for (size_t i = 0; i < n; i++) {
        double g = (double) got[i], w = (double) want[i];
        bool ok = std::isnan(w) ? std::isnan(g) : (!std::isnan(g) && fabs(g - w) <= atol + rtol * fabs(w));
        if (ok) continue;
        double err = std::isnan(g) || std::isnan(w) ? INFINITY : fabs(g - w);
        if (bad == 0 || err > worst_err) worst = i, worst_err = err;
        bad++;
    }
    if (bad == 0) return true;
    failf("%s: %zu of %zu elements differ; worst at [%zu]: cuda %.9g, cpu %.9g", what, bad, n, worst,
          (double) got[worst], (double) want[worst]);
    return false;
}

template <class T>
inline double max_abs(const T* v, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) if (!std::isnan((double) v[i]) && fabs((double) v[i]) > m) m = fabs((double) v[i]);
    return m;
}

// Forward outputs: rtol 1e-5 of the element plus 1e-5 of the largest (summation-order noise of
// float32 in cancelling sums); backward: 1e-4 relative to the largest gradient.
template <class T>
inline bool compare_fwd(const char* what, const Buf<T>& got, const Buf<T>& want) {
    check_guards(what, got);
    return compare(what, got.data(), want.data(), want.n, 1e-5, 1e-5 * max_abs(want.data(), want.n));
}
template <class T>
inline bool compare_bwd(const char* what, const Buf<T>& got, const Buf<T>& want) {
    check_guards(what, got);
    double m = max_abs(want.data(), want.n);
    return compare(what, got.data(), want.data(), want.n, 0.0, 1e-4 * (m > 0 ? m : 1e-30));
}
template <class T>
inline bool compare_exact(const char* what, const Buf<T>& got, const Buf<T>& want) {
    check_guards(what, got);
    checks()++;
    for (size_t i = 0; i < want.n; i++) {
        if (memcmp(&got[i], &want[i], sizeof(T)) != 0) {
            failf("%s: element [%zu] differs: cuda %.17g, cpu %.17g", what, i, (double) got[i], (double) want[i]);
            return false;
        }
    }
    return true;
}

inline int finish(const char* op) {
    long div = ne_emu::st().divergent_barriers;
    if (div) printf("note: %ld block(s) reached a __syncthreads after some of their threads had exited\n", div);
    if (failures()) {
        printf("%s: %d of %d checks FAILED\n", op, failures(), checks());
        return 1;
    }
    printf("%s: all %d checks passed\n", op, checks());
    return 0;
}

}  // namespace emu_check

#endif
