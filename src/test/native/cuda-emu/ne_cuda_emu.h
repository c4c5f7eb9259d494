// A test-only CUDA emulator: lets g++ compile nativeext's .cu files as plain C++ and run their
// kernels on the CPU, so that their indexing and math can be checked against the C99 CPU kernels
// on a machine without a GPU (CudaEmulationTest). It is not a performance tool.
//
// Model:
// - Host memory stands in for device memory; cudaMalloc is aligned malloc, copies are memcpy.
// - A launch runs synchronously on the calling OS thread: blocks one after another (x fastest,
//   then y, z), the threads of a block as cooperative fibers that switch only at __syncthreads.
//   So `__shared__` can be `static` (one block is live at a time), atomics can be plain
//   read-modify-writes, and a barrier phase is "run every live fiber until it reaches the
//   barrier or exits".
// - Launch configurations are checked as the driver does (grid and block limits, 48 KiB of
//   shared memory without opt-in) and a bad one sets the error cudaGetLastError returns, so a
//   kernel that would never have started on a GPU fails here too.
// - Shared memory, static and dynamic, is poisoned (0xFF bytes: NaN for floats) at every block
//   start, since a real GPU leaves it uninitialised; code that reads it before writing shows up.
// - Odd blocks run their threads in reverse order, so a missing barrier shows either way.
// - The test rewrites `kernel<<<g, b, shm, s>>>(args)` into ne_emu::launch(...) and
//   `extern __shared__ T x[];` into a pointer to the dynamic shared buffer before compiling.
// Not emulated (compile errors, on purpose): warp shuffles/votes/__syncthreads_or, cooperative
// groups, textures, __constant__ symbols' copies, device properties, streams' asynchrony (every
// call completes before it returns), multiple devices.
#ifndef NE_CUDA_EMU_H
#define NE_CUDA_EMU_H

#include <math.h>  // libstdc++'s math.h also brings the float overloads (floor(float)...) to ::
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dlfcn.h>
#include <setjmp.h>
#include <ucontext.h>
#include <float.h>
#include <limits.h>

#include <cmath>
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __shared__ static
#define __constant__
#define __managed__
#define __restrict__ __restrict
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
#define __CUDA_EMU__ 1

// ---- types -------------------------------------------------------------------------------
struct uint3 { unsigned int x, y, z; };
struct dim3 {
    unsigned int x, y, z;
    constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1) : x(vx), y(vy), z(vz) {}
};

enum cudaError_t { cudaSuccess = 0, cudaErrorInvalidValue = 1, cudaErrorMemoryAllocation = 2,
                   cudaErrorInvalidConfiguration = 9, cudaErrorInvalidDevice = 101, cudaErrorNotSupported = 801 };
typedef cudaError_t cudaError;
typedef struct CUstream_st* cudaStream_t;
typedef struct CUevent_st* cudaEvent_t;
enum cudaMemcpyKind { cudaMemcpyHostToHost = 0, cudaMemcpyHostToDevice = 1, cudaMemcpyDeviceToHost = 2,
                      cudaMemcpyDeviceToDevice = 3, cudaMemcpyDefault = 4 };
enum cudaDeviceAttr { cudaDevAttrMaxThreadsPerBlock = 1, cudaDevAttrMaxSharedMemoryPerBlock = 8,
                      cudaDevAttrMultiProcessorCount = 16, cudaDevAttrComputeCapabilityMajor = 75,
                      cudaDevAttrComputeCapabilityMinor = 76, cudaDevAttrMaxSharedMemoryPerBlockOptin = 97 };
enum cudaFuncAttribute { cudaFuncAttributeMaxDynamicSharedMemorySize = 8 };
#define cudaStreamNonBlocking 1

namespace ne_emu {

constexpr size_t kSharedLimit = 48 * 1024;  // per block without cudaFuncSetAttribute opt-in
constexpr size_t kStack = 64 * 1024;        // per fiber; kernels' frames are small

inline cudaError_t& last_error() { static cudaError_t e = cudaSuccess; return e; }
inline cudaError_t fail(cudaError_t e) { last_error() = e; return e; }

// Fibers are created with makecontext and switched with _setjmp/_longjmp, which (unlike
// swapcontext) make no sigprocmask system call: most of the emulator's time is switching.
// Under AddressSanitizer, GCC's __builtin_setjmp/__builtin_longjmp in uninstrumented functions
// instead: ASan's _longjmp interceptor and its __asan_handle_no_return before noreturn calls
// cost a sigaltstack call and a shadow memset per switch (10x the run time), and warn about the
// foreign stack. _FORTIFY_SOURCE's __longjmp_chk rejects jumps between stacks, so there
// swapcontext is used.
#if defined(__USE_FORTIFY_LEVEL) && __USE_FORTIFY_LEVEL > 0
#define NE_EMU_FAST_SWITCH 0
#else
#define NE_EMU_FAST_SWITCH 1
#endif
#if defined(__SANITIZE_ADDRESS__)
typedef void* ne_emu_jmp_buf[5];
#define NE_EMU_SETJMP(b) __builtin_setjmp(b)
__attribute__((noinline, no_sanitize_address)) inline void ne_emu_longjmp(void** b) { __builtin_longjmp(b, 1); }
#define NE_EMU_LONGJMP(b) ne_emu_longjmp(b)
#define NE_EMU_SWITCHER __attribute__((noinline, no_sanitize_address))  // no __asan_handle_no_return
#else
#define NE_EMU_SWITCHER
typedef jmp_buf ne_emu_jmp_buf;
#define NE_EMU_SETJMP(b) _setjmp(b)
#define NE_EMU_LONGJMP(b) _longjmp((b), 1)
#endif

struct Fiber {
    ucontext_t ctx;
    ne_emu_jmp_buf jb;
    uint3 idx;
    bool done, started;
    char* stack;
};

struct State {
    uint3 block_idx{0, 0, 0}, block_dim{1, 1, 1}, grid_dim{1, 1, 1};
    Fiber* cur = nullptr;
    ucontext_t sched;
    ne_emu_jmp_buf sched_jb;
    std::vector<Fiber> fibers;
    std::vector<unsigned char> dyn_shared;
    void (*body)(void*) = nullptr;
    void* body_ctx = nullptr;
    bool in_kernel = false;
    long divergent_barriers = 0;  // a barrier some threads of a block reached after others exited
    unsigned long long block_serial = 0;                             // blocks run so far
    std::unordered_map<void*, unsigned long long> shared_poisoned;  // static __shared__ -> its block
};
inline State& st() { static State s; return s; }

inline void* dynamic_shared() { return st().dyn_shared.data(); }

// Called (by the rewrite) after each static `__shared__` declaration: the first thread of a block
// to pass it fills the variable with 0xFF bytes, since a GPU leaves shared memory uninitialised
// and `static` would otherwise carry the previous block's values over.
inline void poison_shared(void* p, size_t bytes) {
    State& s = st();
    unsigned long long& seen = s.shared_poisoned[p];
    if (seen == s.block_serial) return;
    seen = s.block_serial;
    memset(p, 0xFF, bytes);
}

// Back to the scheduler (a barrier, or the end of the thread); returns when resumed.
NE_EMU_SWITCHER inline void yield_to_scheduler() {
    State& s = st();
    Fiber* me = s.cur;
#if NE_EMU_FAST_SWITCH
    if (NE_EMU_SETJMP(me->jb) == 0) NE_EMU_LONGJMP(s.sched_jb);
#else
    swapcontext(&me->ctx, &s.sched);
#endif
}

inline void fiber_main() {
    State& s = st();
    s.body(s.body_ctx);
    s.cur->done = true;
    yield_to_scheduler();  // never resumed
}

// Runs fiber f until it yields.
NE_EMU_SWITCHER inline void resume(Fiber& f) {
    State& s = st();
    s.cur = &f;
#if NE_EMU_FAST_SWITCH
    if (NE_EMU_SETJMP(s.sched_jb) == 0) {
        if (!f.started) {
            f.started = true;
            setcontext(&f.ctx);
        }
        NE_EMU_LONGJMP(f.jb);
    }
#else
    swapcontext(&s.sched, &f.ctx);
#endif
}

inline void syncthreads() {
    if (st().in_kernel) yield_to_scheduler();
}

// Runs one block: every live fiber until it reaches a barrier or exits, until all have exited.
inline void run_block(unsigned nthreads) {
    State& s = st();
    if (s.fibers.size() < nthreads) {
        size_t old = s.fibers.size();
        s.fibers.resize(nthreads);
        for (size_t i = old; i < nthreads; i++) s.fibers[i].stack = (char*) malloc(kStack);
    }
    const uint3 bd = s.block_dim;
    for (unsigned t = 0; t < nthreads; t++) {
        Fiber& f = s.fibers[t];
        f.idx = uint3{t % bd.x, (t / bd.x) % bd.y, t / (bd.x * bd.y)};
        f.done = f.started = false;
        getcontext(&f.ctx);
        f.ctx.uc_stack.ss_sp = f.stack;
        f.ctx.uc_stack.ss_size = kStack;
        f.ctx.uc_link = nullptr;
        makecontext(&f.ctx, fiber_main, 0);
    }
    // Odd blocks run their threads in reverse order: a missing __syncthreads between a write to
    // shared memory and another thread's read of it then shows up whichever thread writes first.
    const bool reverse = (s.block_idx.x + s.block_idx.y + s.block_idx.z) % 2 == 1;
    for (unsigned live = nthreads; live > 0;) {
        unsigned waiting = 0, exited_now = 0;
        for (unsigned i = 0; i < nthreads; i++) {
            Fiber& f = s.fibers[reverse ? nthreads - 1 - i : i];
            if (f.done) continue;
            resume(f);
            if (f.done) exited_now++;
            else waiting++;
        }
        if (waiting > 0 && exited_now > 0) s.divergent_barriers++;
        live = waiting;
    }
    s.cur = nullptr;
}

inline bool config_ok(dim3 g, dim3 b, size_t shmem) {
    if (g.x < 1 || g.y < 1 || g.z < 1 || g.x > 2147483647u || g.y > 65535 || g.z > 65535) return false;
    if (b.x < 1 || b.y < 1 || b.z < 1 || b.x > 1024 || b.y > 1024 || b.z > 64) return false;
    if ((unsigned long long) b.x * b.y * b.z > 1024) return false;
    return shmem <= kSharedLimit;
}

// The emulated `kernel<<<grid, block, shmem, stream>>>(args...)`: args are evaluated once, at the
// launch, and every thread calls `call` with its own copies (as kernel parameters are).
template <class F, class... A>
void launch(const char* name, dim3 grid, dim3 block, size_t shmem, cudaStream_t stream, F call, A&&... args) {
    (void) name;
    (void) stream;
    State& s = st();
    if (s.in_kernel) { fail(cudaErrorNotSupported); return; }  // dynamic parallelism
    if (!config_ok(grid, block, shmem)) {
        fail(shmem > kSharedLimit ? cudaErrorInvalidValue : cudaErrorInvalidConfiguration);
        return;
    }
    std::tuple<typename std::decay<A>::type...> packed(std::forward<A>(args)...);
    struct Ctx { F* call; decltype(packed)* args; };
    Ctx ctx{&call, &packed};
    s.body = [](void* p) {
        Ctx* c = (Ctx*) p;
        auto copy = *c->args;  // per-thread parameter copies
        std::apply(*c->call, copy);
    };
    s.body_ctx = &ctx;
    s.grid_dim = uint3{grid.x, grid.y, grid.z};
    s.block_dim = uint3{block.x, block.y, block.z};
    s.dyn_shared.assign(shmem > 0 ? shmem : 16, 0xFF);
    s.in_kernel = true;
    const unsigned nthreads = block.x * block.y * block.z;
    for (unsigned z = 0; z < grid.z; z++)
        for (unsigned y = 0; y < grid.y; y++)
            for (unsigned x = 0; x < grid.x; x++) {
                s.block_idx = uint3{x, y, z};
                s.block_serial++;
                memset(s.dyn_shared.data(), 0xFF, s.dyn_shared.size());
                run_block(nthreads);
            }
    s.in_kernel = false;
}

inline void* aligned_alloc256(size_t bytes) {
    void* p = nullptr;
    return posix_memalign(&p, 256, bytes > 0 ? bytes : 1) == 0 ? p : nullptr;
}

}  // namespace ne_emu

#define threadIdx (::ne_emu::st().cur->idx)
#define blockIdx (::ne_emu::st().block_idx)
#define blockDim (::ne_emu::st().block_dim)
#define gridDim (::ne_emu::st().grid_dim)
static constexpr int warpSize = 32;

inline void __syncthreads() { ne_emu::syncthreads(); }
inline void __threadfence() {}
inline void __threadfence_block() {}

// ---- runtime API -------------------------------------------------------------------------
inline cudaError_t cudaGetLastError() { cudaError_t e = ne_emu::last_error(); ne_emu::last_error() = cudaSuccess; return e; }
inline cudaError_t cudaPeekAtLastError() { return ne_emu::last_error(); }
inline const char* cudaGetErrorString(cudaError_t e) { return e == cudaSuccess ? "no error" : "emulated CUDA error"; }
inline const char* cudaGetErrorName(cudaError_t e) { return e == cudaSuccess ? "cudaSuccess" : "cudaErrorEmulated"; }
inline cudaError_t cudaMalloc(void** p, size_t bytes) {
    *p = ne_emu::aligned_alloc256(bytes);
    return *p ? cudaSuccess : ne_emu::fail(cudaErrorMemoryAllocation);
}
template <class T> inline cudaError_t cudaMalloc(T** p, size_t bytes) { return cudaMalloc((void**) p, bytes); }
inline cudaError_t cudaMallocAsync(void** p, size_t bytes, cudaStream_t) { return cudaMalloc(p, bytes); }
template <class T> inline cudaError_t cudaMallocAsync(T** p, size_t bytes, cudaStream_t s) { return cudaMallocAsync((void**) p, bytes, s); }
inline cudaError_t cudaFree(void* p) { free(p); return cudaSuccess; }
inline cudaError_t cudaFreeAsync(void* p, cudaStream_t) { free(p); return cudaSuccess; }
inline cudaError_t cudaMemcpy(void* d, const void* s, size_t n, cudaMemcpyKind) { if (n) memmove(d, s, n); return cudaSuccess; }
inline cudaError_t cudaMemcpyAsync(void* d, const void* s, size_t n, cudaMemcpyKind k, cudaStream_t = 0) { return cudaMemcpy(d, s, n, k); }
inline cudaError_t cudaMemset(void* d, int v, size_t n) { if (n) memset(d, v, n); return cudaSuccess; }
inline cudaError_t cudaMemsetAsync(void* d, int v, size_t n, cudaStream_t = 0) { return cudaMemset(d, v, n); }
inline cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
inline cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }
inline cudaError_t cudaStreamCreate(cudaStream_t* s) { *s = (cudaStream_t) 1; return cudaSuccess; }
inline cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned) { return cudaStreamCreate(s); }
inline cudaError_t cudaStreamDestroy(cudaStream_t) { return cudaSuccess; }
inline cudaError_t cudaGetDevice(int* d) { *d = 0; return cudaSuccess; }
inline cudaError_t cudaSetDevice(int d) { return d == 0 ? cudaSuccess : ne_emu::fail(cudaErrorInvalidDevice); }
inline cudaError_t cudaGetDeviceCount(int* n) { *n = 1; return cudaSuccess; }
inline cudaError_t cudaDeviceGetAttribute(int* v, cudaDeviceAttr a, int) {
    switch (a) {
        case cudaDevAttrMaxThreadsPerBlock: *v = 1024; break;
        case cudaDevAttrMaxSharedMemoryPerBlock: *v = 48 * 1024; break;
        case cudaDevAttrMaxSharedMemoryPerBlockOptin: *v = 48 * 1024; break;  // no opt-in emulated
        case cudaDevAttrMultiProcessorCount: *v = 4; break;
        case cudaDevAttrComputeCapabilityMajor: *v = 8; break;
        case cudaDevAttrComputeCapabilityMinor: *v = 0; break;
        default: return ne_emu::fail(cudaErrorInvalidValue);
    }
    return cudaSuccess;
}
template <class F> inline cudaError_t cudaFuncSetAttribute(F, cudaFuncAttribute, int v) {
    return v <= (int) ne_emu::kSharedLimit ? cudaSuccess : ne_emu::fail(cudaErrorInvalidValue);
}

// ---- dlopen of CUDA libraries ------------------------------------------------------------
// A .cu may load a CUDA library (cuBLAS) at run time. Emulated "device" pointers are host memory
// and there is no device, so such a library must never be used here: dlopen of a name containing
// "cublas", "cudnn" or "libcuda" fails, as on a machine without it, and the .cu takes its fallback.
// The exceptions are the files named by NE_EMU_CUBLAS_STANDIN and NE_EMU_CUDNN_STANDIN: the test's
// stand-in libcublas and libcudnn (src/test/resources/cublas/fake_cublas.c, cudnn/fake_cudnn.c),
// which compute on host memory like the emulator.
namespace ne_emu {
inline void* dlopen_filtered(const char* name, int flags) {
    const char* blas = getenv("NE_EMU_CUBLAS_STANDIN");
    const char* dnn = getenv("NE_EMU_CUDNN_STANDIN");
    bool allowed = name && ((blas && strcmp(name, blas) == 0) || (dnn && strcmp(name, dnn) == 0));
    if (name && !allowed && (strstr(name, "cublas") || strstr(name, "cudnn") || strstr(name, "libcuda"))) return nullptr;
    return ::dlopen(name, flags);
}
}  // namespace ne_emu
#define dlopen(name, flags) ::ne_emu::dlopen_filtered((name), (flags))

// ---- device intrinsics and math ----------------------------------------------------------
// Round-to-nearest arithmetic: the test compiles with -ffp-contract=off, so no FMA fusion.
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dsub_rn(double a, double b) { return a - b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __ddiv_rn(double a, double b) { return a / b; }
inline double __fma_rn(double a, double b, double c) { return fma(a, b, c); }
// Fast-math intrinsics as their accurate versions (the GPU's are less accurate: compare loosely).
inline float __fdividef(float a, float b) { return a / b; }
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }

template <class To, class From> inline To ne_emu_bits(From f) { static_assert(sizeof(To) == sizeof(From), "size"); To t; memcpy(&t, &f, sizeof t); return t; }
inline unsigned int __float_as_uint(float x) { return ne_emu_bits<unsigned int>(x); }
inline int __float_as_int(float x) { return ne_emu_bits<int>(x); }
inline float __uint_as_float(unsigned int x) { return ne_emu_bits<float>(x); }
inline float __int_as_float(int x) { return ne_emu_bits<float>(x); }
inline long long __double_as_longlong(double x) { return ne_emu_bits<long long>(x); }
inline double __longlong_as_double(long long x) { return ne_emu_bits<double>(x); }
inline int __popc(unsigned int x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz((unsigned) x); }
inline int __clzll(long long x) { return x == 0 ? 64 : __builtin_clzll((unsigned long long) x); }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __ffsll(long long x) { return __builtin_ffsll(x); }
template <class T> inline T __ldg(const T* p) { return *p; }

// CUDA's min/max: overloaded for every arithmetic pair (floating point as fminf/fmin).
template <class A, class B, class C = typename std::common_type<A, B>::type>
inline C min(A a, B b) {
    if (std::is_floating_point<C>::value) return (C) std::fmin((C) a, (C) b);
    return (C) b < (C) a ? (C) b : (C) a;
}
template <class A, class B, class C = typename std::common_type<A, B>::type>
inline C max(A a, B b) {
    if (std::is_floating_point<C>::value) return (C) std::fmax((C) a, (C) b);
    return (C) a < (C) b ? (C) b : (C) a;
}

// Atomics: one OS thread and no preemption inside a statement, so plain read-modify-writes.
// The value parameter is not deduced (atomicAdd(long long*, 1) must compile, as with CUDA).
template <class T> struct ne_emu_id { typedef T type; };
#define NE_EMU_ATOMIC(name, expr) \
    template <class T> inline T name(T* p, typename ne_emu_id<T>::type v) { T old = *p; *p = (expr); return old; }
NE_EMU_ATOMIC(atomicAdd, old + v)
NE_EMU_ATOMIC(atomicSub, old - v)
NE_EMU_ATOMIC(atomicExch, v)
NE_EMU_ATOMIC(atomicMax, old < v ? v : old)
NE_EMU_ATOMIC(atomicMin, v < old ? v : old)
NE_EMU_ATOMIC(atomicOr, old | v)
NE_EMU_ATOMIC(atomicAnd, old & v)
NE_EMU_ATOMIC(atomicXor, old ^ v)
#undef NE_EMU_ATOMIC
template <class T> inline T atomicCAS(T* p, typename ne_emu_id<T>::type cmp, typename ne_emu_id<T>::type v) {
    T old = *p;
    if (old == cmp) *p = v;
    return old;
}

#endif
