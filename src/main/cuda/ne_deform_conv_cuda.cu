// Deformable convolution v1/v2 on CUDA (docs/ops.md §5), mirroring ne_deform_conv_cpu.c: per chunk of
// im2col_step images, im2col (ZP sampler), then one GEMM per (image, group) straight into the
// NCHW output. The GEMM is cuBLAS's where a libcublas is found at run time (ne_cublas.h: dlopen,
// no link-time dependency), else a tiled shared-memory kernel; only gemm() below chooses. grad
// input uses atomicAdd (non-deterministic order, as torchvision); grad offset/mask own their
// outputs (no atomics).
#include <cuda_runtime.h>
#include <stdint.h>
#include <atomic>
#include <mutex>
#include <new>
extern "C" {
#include "ne_deform_conv.h"
#include "ne_status.h"
#include "../cpp/ne_cublas.h"
#include "../cpp/ne_text.h"
}
#include "ne_cuda.cuh"

namespace {

struct Geom {
    int64_t n, cin, h, w, cout, kh, kw, ho, wo, groups, dg;
    int64_t sh, sw, ph, pw, dh, dw;
    int64_t offset_grad;  // NE_DCN_OFFSET_GRAD_*
};

constexpr int kThreads = 256;
constexpr int kTile = 16;

inline unsigned blocks_for(int64_t count) {
    return ne_cuda_blocks(count, kThreads, 65535);
}

// ZP bilinear sample (zero outside and at out-of-range corners); NaN counts as outside.
template <typename T>
__device__ T zp_sample(const T* x, int64_t h, int64_t w, T y, T xx) {
    if (!(y > -1 && y < (T) h && xx > -1 && xx < (T) w)) return 0;
    T yf = floor(y), xf = floor(xx);
    int64_t hl = (int64_t) yf, wl = (int64_t) xf, hh = hl + 1, wh = wl + 1;
    T ly = y - yf, lx = xx - xf, hy = 1 - ly, hx = 1 - lx;
    T v1 = (hl >= 0 && wl >= 0) ? x[hl * w + wl] : T(0);
    T v2 = (hl >= 0 && wh <= w - 1) ? x[hl * w + wh] : T(0);
    T v3 = (hh <= h - 1 && wl >= 0) ? x[hh * w + wl] : T(0);
    T v4 = (hh <= h - 1 && wh <= w - 1) ? x[hh * w + wh] : T(0);
    return hy * hx * v1 + hy * lx * v2 + ly * hx * v3 + ly * lx * v4;
}

// Position of tap t at output p of image b, deformable group d; m = 1 without a mask.
template <typename T>
__device__ void tap_position(const Geom g, const T* offset, const T* mask, int64_t b, int64_t d, int64_t t, int64_t p,
                             T* y, T* x, T* m) {
    const int64_t hw = g.ho * g.wo, kk = g.kh * g.kw;
    const int64_t ho = p / g.wo, wo = p % g.wo, i = t / g.kw, j = t % g.kw;
    const T* o = offset + ((b * g.dg + d) * 2 * kk + 2 * t) * hw + p;
    *y = (T) (ho * g.sh - g.ph + i * g.dh) + o[0];
    *x = (T) (wo * g.sw - g.pw + j * g.dw) + o[hw];
    *m = mask ? mask[((b * g.dg + d) * kk + t) * hw + p] : T(1);
}

// One thread per (channel, chunk image, position); writes the channel's kh*kw column rows.
template <typename T>
__global__ void im2col_kernel(Geom g, const T* input, const T* offset, const T* mask, int64_t b0, int64_t p_imgs,
                              int64_t ld, T* col) {
    const int64_t hw = g.ho * g.wo, kk = g.kh * g.kw, cpg = g.cin / g.dg;
    NE_GRID_LOOP(idx, g.cin * p_imgs * hw) {
        const int64_t p = idx % hw, bl = (idx / hw) % p_imgs, c = idx / (hw * p_imgs);
        const int64_t b = b0 + bl, d = c / cpg;
        const T* x = input + (b * g.cin + c) * g.h * g.w;
        for (int64_t t = 0; t < kk; t++) {
            T y, xx, m;
            tap_position(g, offset, mask, b, d, t, p, &y, &xx, &m);
            col[(c * kk + t) * ld + bl * hw + p] = m * zp_sample(x, g.h, g.w, y, xx);
        }
    }
}

// Row-major C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C, 16x16 shared-memory tiles.
template <typename T>
__global__ void gemm_kernel(int ta, int tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
                            const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
    __shared__ T as[kTile][kTile + 1];
    __shared__ T bs[kTile][kTile + 1];
    const int64_t row = blockIdx.y * (int64_t) kTile + threadIdx.y, colj = blockIdx.x * (int64_t) kTile + threadIdx.x;
    T acc = 0;
    for (int64_t k0 = 0; k0 < K; k0 += kTile) {
        const int64_t ka = k0 + threadIdx.x, kb = k0 + threadIdx.y;
        as[threadIdx.y][threadIdx.x] = (row < M && ka < K) ? (ta ? A[ka * lda + row] : A[row * lda + ka]) : T(0);
        bs[threadIdx.y][threadIdx.x] = (kb < K && colj < N) ? (tb ? B[colj * ldb + kb] : B[kb * ldb + colj]) : T(0);
        __syncthreads();
#pragma unroll
        for (int k = 0; k < kTile; k++) acc += as[threadIdx.y][k] * bs[k][threadIdx.x];
        __syncthreads();
    }
    if (row < M && colj < N) {
        T* c = C + row * ldc + colj;
        *c = alpha * acc + (beta == T(0) ? T(0) : beta * *c);
    }
}

constexpr const char* kTiled = "tiled shared-memory kernel";

// The cuBLAS in use, published once loaded and never freed (a re-selection publishes a new one,
// so handles made from the old one can still be destroyed with its functions).
std::mutex blas_mutex;
std::atomic<const ne_cublas*> blas_in_use{nullptr};

const ne_cublas* select_blas(const char* library, int32_t* status) {
    ne_cublas* b = new (std::nothrow) ne_cublas;
    if (b == nullptr) {
        *status = NE_ERR_OUT_OF_MEMORY;
        return nullptr;
    }
    *status = ne_cublas_open(library, kTiled, b);
    blas_in_use.store(b, std::memory_order_release);
    return b;
}

const ne_cublas* current_blas() {
    const ne_cublas* b = blas_in_use.load(std::memory_order_acquire);
    if (b != nullptr) return b;
    std::lock_guard<std::mutex> lock(blas_mutex);
    b = blas_in_use.load(std::memory_order_acquire);
    int32_t ignored;
    return b != nullptr ? b : select_blas(nullptr, &ignored);
}

// One cuBLAS handle per thread and device: a handle is bound to the device current when it was
// made, and sharing one between threads (each setting its own stream) is not safe. Destroyed when
// the thread ends.
constexpr int kMaxDevices = 64;

struct ThreadHandles {
    const ne_cublas* owner = nullptr;
    void* handle[kMaxDevices] = {};

    void release() {
        for (void*& h : handle) {
            if (h != nullptr && owner != nullptr) owner->destroy(h);
            h = nullptr;
        }
    }

    ~ThreadHandles() { release(); }
};

thread_local ThreadHandles thread_handles;

// The calling thread's handle for the current device, or nullptr to use the tiled kernel.
int32_t blas_handle(const ne_cublas* b, void** handle) {
    *handle = nullptr;
    int device = 0;
    cudaError_t e = cudaGetDevice(&device);
    if (e != cudaSuccess) return ne_cuda_status(e);
    if (device < 0 || device >= kMaxDevices) return NE_OK;
    ThreadHandles& t = thread_handles;
    if (t.owner != b) {
        t.release();
        t.owner = b;
    }
    if (t.handle[device] == nullptr) {
        int st = b->create(&t.handle[device]);
        if (st != 0) {
            t.handle[device] = nullptr;
            return NE_CUBLAS_ERROR_BASE + st;
        }
    }
    *handle = t.handle[device];
    return NE_OK;
}

template <typename T>
int32_t gemm(cudaStream_t s, int ta, int tb, int64_t M, int64_t N, int64_t K, const T* A, int64_t lda, const T* B,
             int64_t ldb, T beta, T* C, int64_t ldc) {
    if (M == 0 || N == 0) return NE_OK;
    const ne_cublas* b = current_blas();
    if (b != nullptr && b->lib != nullptr) {
        void* handle;
        int32_t st = blas_handle(b, &handle);
        if (st != NE_OK) return st;
        int cublas_status = 0;
        if (handle != nullptr && ne_cublas_gemm_rowmajor(b, handle, s, sizeof(T) == 4 ? 0 : 1, ta, tb, M, N, K, A, lda, B,
                                                         ldb, (double) beta, C, ldc, &cublas_status) == 0)
            return cublas_status == 0 ? NE_OK : NE_CUBLAS_ERROR_BASE + cublas_status;
    }
    dim3 block(kTile, kTile), grid((unsigned) ((N + kTile - 1) / kTile), (unsigned) ((M + kTile - 1) / kTile));
    gemm_kernel<T><<<grid, block, 0, s>>>(ta, tb, M, N, K, T(1), A, lda, B, ldb, beta, C, ldc);
    return ne_cuda_launch_status();
}

template <typename T>
__global__ void bias_kernel(int64_t count, int64_t cout, int64_t hw, const T* bias, T* out) {
    NE_GRID_LOOP(i, count) out[i] = bias[(i / hw) % cout];
}

// grad offset (dy, dx) and grad mask of one (chunk image, deformable group, tap, position):
// sums over the group's channels in order, so no atomics (docs/ops.md §5.6 step 2).
template <typename T>
__global__ void coord_kernel(Geom g, const T* input, const T* offset, const T* mask, const T* dcol, int64_t b0,
                             int64_t p_imgs, int64_t ld, T* goff, T* gmask) {
    const int64_t hw = g.ho * g.wo, kk = g.kh * g.kw, cpg = g.cin / g.dg;
    NE_GRID_LOOP(idx, p_imgs * g.dg * kk * hw) {
        const int64_t p = idx % hw, t = (idx / hw) % kk, d = (idx / (hw * kk)) % g.dg, bl = idx / (hw * kk * g.dg);
        const int64_t b = b0 + bl;
        T y, x, m;
        tap_position(g, offset, mask, b, d, t, p, &y, &x, &m);
        T sy = 0, sx = 0, sm = 0;
        // torchvision's convention also takes y == -1 / x == -1 (zero weights, but the row/column
        // 0 corners give a coordinate gradient); maskrcnn-benchmark's gives 0 there.
        const bool edge = g.offset_grad == NE_DCN_OFFSET_GRAD_TORCHVISION;
        if ((y > -1 || (edge && y == -1)) && y < (T) g.h && (x > -1 || (edge && x == -1)) && x < (T) g.w) {
            T yf = floor(y), xf = floor(x);
            int64_t hl = (int64_t) yf, wl = (int64_t) xf, hh = hl + 1, wh = wl + 1;
            T ly = y - yf, lx = x - xf, hy = 1 - ly, hx = 1 - lx;
            bool v1 = hl >= 0 && wl >= 0, v2 = hl >= 0 && wh <= g.w - 1, v3 = hh <= g.h - 1 && wl >= 0,
                 v4 = hh <= g.h - 1 && wh <= g.w - 1;
            for (int64_t ci = 0; ci < cpg; ci++) {
                const int64_t c = d * cpg + ci;
                const T* xp = input + (b * g.cin + c) * g.h * g.w;
                const T dc = dcol[(c * kk + t) * ld + bl * hw + p];
                T a1 = v1 ? xp[hl * g.w + wl] : T(0), a2 = v2 ? xp[hl * g.w + wh] : T(0);
                T a3 = v3 ? xp[hh * g.w + wl] : T(0), a4 = v4 ? xp[hh * g.w + wh] : T(0);
                sy += dc * (-hx * a1 - lx * a2 + hx * a3 + lx * a4);
                sx += dc * (-hy * a1 + hy * a2 - ly * a3 + ly * a4);
                sm += dc * (hy * hx * a1 + hy * lx * a2 + ly * hx * a3 + ly * lx * a4);
            }
        }
        T* go = goff + ((b * g.dg + d) * 2 * kk + 2 * t) * hw + p;
        go[0] = sy * m;
        go[hw] = sx * m;
        if (gmask) gmask[((b * g.dg + d) * kk + t) * hw + p] = sm;
    }
}

// grad input: one thread per column element, atomicAdd into the in-range corners.
template <typename T>
__global__ void col2im_kernel(Geom g, const T* offset, const T* mask, const T* dcol, int64_t b0, int64_t p_imgs,
                              int64_t ld, T* gin) {
    const int64_t hw = g.ho * g.wo, kk = g.kh * g.kw, cpg = g.cin / g.dg;
    NE_GRID_LOOP(idx, g.cin * kk * p_imgs * hw) {
        const int64_t p = idx % hw, bl = (idx / hw) % p_imgs, t = (idx / (hw * p_imgs)) % kk, c = idx / (hw * p_imgs * kk);
        const int64_t b = b0 + bl, d = c / cpg;
        T y, x, m;
        tap_position(g, offset, mask, b, d, t, p, &y, &x, &m);
        if (!(y > -1 && y < (T) g.h && x > -1 && x < (T) g.w)) continue;
        const T v = m * dcol[(c * kk + t) * ld + bl * hw + p];
        T yf = floor(y), xf = floor(x);
        int64_t hl = (int64_t) yf, wl = (int64_t) xf, hh = hl + 1, wh = wl + 1;
        T ly = y - yf, lx = x - xf, hy = 1 - ly, hx = 1 - lx;
        T* gp = gin + (b * g.cin + c) * g.h * g.w;
        if (hl >= 0 && wl >= 0) atomicAdd(gp + hl * g.w + wl, hy * hx * v);
        if (hl >= 0 && wh <= g.w - 1) atomicAdd(gp + hl * g.w + wh, hy * lx * v);
        if (hh <= g.h - 1 && wl >= 0) atomicAdd(gp + hh * g.w + wl, ly * hx * v);
        if (hh <= g.h - 1 && wh <= g.w - 1) atomicAdd(gp + hh * g.w + wh, ly * lx * v);
    }
}

// grad bias: one thread per output channel, a fixed-order sum (deterministic).
template <typename T>
__global__ void gbias_kernel(int64_t n, int64_t cout, int64_t hw, const T* gout, T* gbias) {
    NE_GRID_LOOP(co, cout) {
        T s = 0;
        for (int64_t b = 0; b < n; b++)
            for (int64_t p = 0; p < hw; p++) s += gout[(b * cout + co) * hw + p];
        gbias[co] = s;
    }
}

template <typename T>
int32_t forward(const Geom& g, const T* input, const T* offset, const T* mask, const T* weight, const T* bias, T* out,
                int64_t step, T* col, cudaStream_t s) {
    const int64_t hw = g.ho * g.wo, kk = g.kh * g.kw, cog = g.cout / g.groups, kg = g.cin / g.groups * kk, ld = step * hw;
    int32_t st;
    if (bias) {
        bias_kernel<T><<<blocks_for(g.n * g.cout * hw), kThreads, 0, s>>>(g.n * g.cout * hw, g.cout, hw, bias, out);
        if ((st = ne_cuda_launch_status()) != NE_OK) return st;
    }
    for (int64_t b0 = 0; b0 < g.n; b0 += step) {
        const int64_t p = g.n - b0 < step ? g.n - b0 : step;
        im2col_kernel<T><<<blocks_for(g.cin * p * hw), kThreads, 0, s>>>(g, input, offset, mask, b0, p, ld, col);
        if ((st = ne_cuda_launch_status()) != NE_OK) return st;
        for (int64_t bl = 0; bl < p; bl++)
            for (int64_t gi = 0; gi < g.groups; gi++)
                if ((st = gemm<T>(s, 0, 0, cog, hw, kg, weight + gi * cog * kg, kg, col + gi * kg * ld + bl * hw, ld, T(1),
                                  out + ((b0 + bl) * g.cout + gi * cog) * hw, hw)) != NE_OK) return st;
    }
    return NE_OK;
}

template <typename T>
int32_t backward(const Geom& g, const T* gout, const T* input, const T* offset, const T* mask, const T* weight, T* gin,
                 T* goff, T* gmask, T* gw, T* gbias, int64_t step, T* col, cudaStream_t s) {
    const int64_t hw = g.ho * g.wo, kk = g.kh * g.kw, cog = g.cout / g.groups, kg = g.cin / g.groups * kk, ld = step * hw;
    int32_t st;
    T* dcol = col + g.cin * kk * ld;
    for (int64_t b0 = 0; b0 < g.n; b0 += step) {
        const int64_t p = g.n - b0 < step ? g.n - b0 : step;
        for (int64_t bl = 0; bl < p; bl++)
            for (int64_t gi = 0; gi < g.groups; gi++)
                if ((st = gemm<T>(s, 1, 0, kg, hw, cog, weight + gi * cog * kg, kg, gout + ((b0 + bl) * g.cout + gi * cog) * hw,
                                  hw, T(0), dcol + gi * kg * ld + bl * hw, ld)) != NE_OK) return st;
        coord_kernel<T><<<blocks_for(p * g.dg * kk * hw), kThreads, 0, s>>>(g, input, offset, mask, dcol, b0, p, ld, goff, gmask);
        if ((st = ne_cuda_launch_status()) != NE_OK) return st;
        col2im_kernel<T><<<blocks_for(g.cin * kk * p * hw), kThreads, 0, s>>>(g, offset, mask, dcol, b0, p, ld, gin);
        if ((st = ne_cuda_launch_status()) != NE_OK) return st;
        im2col_kernel<T><<<blocks_for(g.cin * p * hw), kThreads, 0, s>>>(g, input, offset, mask, b0, p, ld, col);
        if ((st = ne_cuda_launch_status()) != NE_OK) return st;
        for (int64_t bl = 0; bl < p; bl++)
            for (int64_t gi = 0; gi < g.groups; gi++)
                if ((st = gemm<T>(s, 0, 1, cog, kg, hw, gout + ((b0 + bl) * g.cout + gi * cog) * hw, hw, col + gi * kg * ld + bl * hw,
                                  ld, T(1), gw + gi * cog * kg, kg)) != NE_OK) return st;
    }
    if (gbias) {
        gbias_kernel<T><<<blocks_for(g.cout), kThreads, 0, s>>>(g.n, g.cout, hw, gout, gbias);
        if ((st = ne_cuda_launch_status()) != NE_OK) return st;
    }
    return NE_OK;
}

int32_t read_geom(const int64_t* dims, const int64_t* conv, int64_t step, Geom* g) {
    if (!dims || !conv || step < 1) return NE_ERR_INVALID_ARGUMENT;
    *g = Geom{dims[0], dims[1], dims[2], dims[3], dims[4], dims[5], dims[6], dims[7], dims[8], dims[9], dims[10],
              conv[0], conv[1], conv[2], conv[3], conv[4], conv[5], conv[6]};
    if (g->n < 0 || g->cin < 1 || g->h < 1 || g->w < 1 || g->cout < 1 || g->kh < 1 || g->kw < 1 || g->groups < 1 || g->dg < 1)
        return NE_ERR_INVALID_ARGUMENT;
    if (g->cin % g->groups || g->cout % g->groups || g->cin % g->dg) return NE_ERR_INVALID_ARGUMENT;
    if (g->offset_grad != NE_DCN_OFFSET_GRAD_TORCHVISION && g->offset_grad != NE_DCN_OFFSET_GRAD_MASKRCNN_BENCHMARK)
        return NE_ERR_INVALID_ARGUMENT;
    if (g->sh < 1 || g->sw < 1 || g->dh < 1 || g->dw < 1 || g->ph < 0 || g->pw < 0 || g->ho < 1 || g->wo < 1)
        return NE_ERR_INVALID_ARGUMENT;
    if (g->ho != (g->h + 2 * g->ph - (g->dh * (g->kh - 1) + 1)) / g->sh + 1) return NE_ERR_INVALID_ARGUMENT;
    if (g->wo != (g->w + 2 * g->pw - (g->dw * (g->kw - 1) + 1)) / g->sw + 1) return NE_ERR_INVALID_ARGUMENT;
    return NE_OK;
}

}  // namespace

extern "C" int32_t ne_deform_conv_cuda_gemm(const char* library, char* description, int64_t capacity) {
    std::lock_guard<std::mutex> lock(blas_mutex);
    int32_t status;
    const ne_cublas* b = select_blas(library, &status);
    if (b == nullptr) return status;
    ne_copy_text(b->description, description, capacity);
    return status;
}

extern "C" int32_t ne_deform_conv_forward_cuda(int32_t dtype, const void* input, const void* offset, const void* mask,
                                               const void* weight, const void* bias, void* output,
                                               const int64_t* dims, const int64_t* conv, int64_t im2col_step,
                                               void* workspace, void* stream) {
    Geom g;
    int32_t st = read_geom(dims, conv, im2col_step, &g);
    if (st != NE_OK) return st;
    if (g.n == 0) return NE_OK;
    if (!input || !offset || !weight || !output || !workspace) return NE_ERR_INVALID_ARGUMENT;
    if (im2col_step > g.n) im2col_step = g.n;
    cudaStream_t s = (cudaStream_t) stream;
    switch (dtype) {
        case 0: return forward<float>(g, (const float*) input, (const float*) offset, (const float*) mask, (const float*) weight,
                                      (const float*) bias, (float*) output, im2col_step, (float*) workspace, s);
        case 1: return forward<double>(g, (const double*) input, (const double*) offset, (const double*) mask,
                                       (const double*) weight, (const double*) bias, (double*) output, im2col_step,
                                       (double*) workspace, s);
        default: return NE_ERR_UNSUPPORTED_DTYPE;
    }
}

extern "C" int32_t ne_deform_conv_backward_cuda(int32_t dtype, const void* grad_output, const void* input,
                                                const void* offset, const void* mask, const void* weight,
                                                void* grad_input, void* grad_offset, void* grad_mask,
                                                void* grad_weight, void* grad_bias,
                                                const int64_t* dims, const int64_t* conv, int64_t im2col_step,
                                                void* workspace, void* stream) {
    Geom g;
    int32_t st = read_geom(dims, conv, im2col_step, &g);
    if (st != NE_OK) return st;
    if (g.n == 0) return NE_OK;
    if (!grad_output || !input || !offset || !weight || !grad_input || !grad_offset || !grad_weight || !workspace)
        return NE_ERR_INVALID_ARGUMENT;
    if ((mask == NULL) != (grad_mask == NULL)) return NE_ERR_INVALID_ARGUMENT;
    if (im2col_step > g.n) im2col_step = g.n;
    cudaStream_t s = (cudaStream_t) stream;
    switch (dtype) {
        case 0: return backward<float>(g, (const float*) grad_output, (const float*) input, (const float*) offset,
                                       (const float*) mask, (const float*) weight, (float*) grad_input, (float*) grad_offset,
                                       (float*) grad_mask, (float*) grad_weight, (float*) grad_bias, im2col_step,
                                       (float*) workspace, s);
        case 1: return backward<double>(g, (const double*) grad_output, (const double*) input, (const double*) offset,
                                        (const double*) mask, (const double*) weight, (double*) grad_input,
                                        (double*) grad_offset, (double*) grad_mask, (double*) grad_weight,
                                        (double*) grad_bias, im2col_step, (double*) workspace, s);
        default: return NE_ERR_UNSUPPORTED_DTYPE;
    }
}
