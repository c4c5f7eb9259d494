// NMS on CUDA, the design shared by maskrcnn-benchmark, torchvision and mmcv (docs/ops.md §4): sort
// by score, a 64-wide bitmask of "row box suppresses column box" per block pair (upper
// triangle only), then a single-CTA resolve on the device (mmcv / torchvision PR #8766), so
// nothing is copied to the host and the stream is never synchronised.
//
// Parity with ne_nms_cpu.c is exact, not approximate: the same sort keys (NaN first, -0 == +0,
// stable, ties by index), the same IoU operations in the same order with explicit
// round-to-nearest intrinsics (no FMA contraction), and the same threshold conversion. Batched
// NMS checks category equality in the mask (IoU taken as 0 across categories): the greedy walk
// over the merged score order then equals per-category NMS, listed by score.
#include <cub/cub.cuh>
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>
extern "C" {
#include "ne_nms.h"
#include "ne_status.h"
}
#include "ne_cuda.cuh"

namespace {

constexpr int kBlock = 64;  // boxes per mask word

inline int64_t align256(int64_t v) { return (v + 255) / 256 * 256; }

__device__ inline float rn_add(float a, float b) { return __fadd_rn(a, b); }
__device__ inline float rn_sub(float a, float b) { return __fsub_rn(a, b); }
__device__ inline float rn_mul(float a, float b) { return __fmul_rn(a, b); }
__device__ inline float rn_div(float a, float b) { return __fdiv_rn(a, b); }
__device__ inline double rn_add(double a, double b) { return __dadd_rn(a, b); }
__device__ inline double rn_sub(double a, double b) { return __dsub_rn(a, b); }
__device__ inline double rn_mul(double a, double b) { return __dmul_rn(a, b); }
__device__ inline double rn_div(double a, double b) { return __ddiv_rn(a, b); }

// Same keys as ne_nms_key_f32/f64: ascending key == descending score, NaN -> 0, -0 -> +0.
__device__ inline uint64_t sort_key(float x) {
    if (x != x) return 0;
    if (x == 0.0f) x = 0.0f;
    uint32_t u = __float_as_uint(x);
    u = (u & 0x80000000u) ? ~u : (u | 0x80000000u);
    return (uint64_t) (uint32_t) ~u;
}

__device__ inline uint64_t sort_key(double x) {
    if (x != x) return 0;
    if (x == 0.0) x = 0.0;
    uint64_t u = (uint64_t) __double_as_longlong(x);
    u = (u & 0x8000000000000000ull) ? ~u : (u | 0x8000000000000000ull);
    return ~u;
}

template <typename T>
__global__ void keys_kernel(int64_t n, const T* scores, uint64_t* keys, int32_t* ids) {
    NE_GRID_LOOP(i, n) {
        keys[i] = sort_key(scores[i]);
        ids[i] = (int32_t) i;
    }
}

// Sorted boxes as x1, y1, x2, y2, area (the area computed as on the CPU), and categories.
template <typename T>
__global__ void gather_kernel(int64_t n, const T* boxes, const int64_t* idxs, const int32_t* order, T d, T* sorted,
                              int64_t* cls) {
    NE_GRID_LOOP(i, n) {
        const T* b = boxes + (int64_t) order[i] * 4;
        T* s = sorted + i * 5;
        s[0] = b[0];
        s[1] = b[1];
        s[2] = b[2];
        s[3] = b[3];
        s[4] = rn_mul(rn_add(rn_sub(b[2], b[0]), d), rn_add(rn_sub(b[3], b[1]), d));
        if (idxs) cls[i] = idxs[order[i]];
    }
}

// IoU of a (kept, earlier) and b, with the operations of NE_NMS_SWEEP_BODY in ne_nms_cpu.c.
template <typename T>
__device__ inline T iou(const T* a, const T* b, T d) {
    T lx = b[0] > a[0] ? b[0] : a[0];
    T ly = b[1] > a[1] ? b[1] : a[1];
    T hx = b[2] < a[2] ? b[2] : a[2];
    T hy = b[3] < a[3] ? b[3] : a[3];
    T w = rn_add(rn_sub(hx, lx), d);
    T h = rn_add(rn_sub(hy, ly), d);
    w = w > (T) 0 ? w : (T) 0;
    h = h > (T) 0 ? h : (T) 0;
    T inter = rn_mul(w, h);
    return rn_div(inter, rn_sub(rn_add(a[4], b[4]), inter));
}

template <typename T>
__global__ void mask_kernel(int64_t n, int64_t col_blocks, const T* sorted, const int64_t* cls, T d, T t, int ge,
                            uint64_t* mask) {
    const int64_t row_block = blockIdx.y, col_block = blockIdx.x;
    if (row_block > col_block) return;  // the resolve reads only the upper triangle
    const int64_t row_start = row_block * kBlock, col_start = col_block * kBlock;
    const int rows = (int) min((int64_t) kBlock, n - row_start), cols = (int) min((int64_t) kBlock, n - col_start);
    __shared__ T col[kBlock * 5];
    __shared__ int64_t col_cls[kBlock];
    if (threadIdx.x < cols) {
        for (int k = 0; k < 5; k++) col[threadIdx.x * 5 + k] = sorted[(col_start + threadIdx.x) * 5 + k];
        col_cls[threadIdx.x] = cls ? cls[col_start + threadIdx.x] : 0;
    }
    __syncthreads();
    if (threadIdx.x >= rows) return;
    const int64_t i = row_start + threadIdx.x;
    T a[5];
    for (int k = 0; k < 5; k++) a[k] = sorted[i * 5 + k];
    const int64_t ci = cls ? cls[i] : 0;
    uint64_t bits = 0;
    for (int j = row_block == col_block ? threadIdx.x + 1 : 0; j < cols; j++) {
        if (col_cls[j] != ci) continue;
        T v = iou(a, &col[j * 5], d);
        if (ge ? v >= t : v > t) bits |= 1ull << j;
    }
    mask[i * col_blocks + col_block] = bits;
}

// One CTA walks the boxes in score order; "removed" lives in shared memory.
__global__ void resolve_kernel(int64_t n, int64_t col_blocks, const uint64_t* mask, const int32_t* order, int64_t* keep,
                               int64_t* count) {
    extern __shared__ uint64_t removed[];
    for (int64_t j = threadIdx.x; j < col_blocks; j += blockDim.x) removed[j] = 0;
    __syncthreads();
    int64_t kept = 0;
    for (int64_t i = 0; i < n; i++) {
        const int64_t blk = i / kBlock;
        if (removed[blk] & (1ull << (i % kBlock))) continue;  // uniform across the CTA
        if (threadIdx.x == 0) keep[kept] = order[i];
        kept++;
        const uint64_t* row = mask + i * col_blocks;
        for (int64_t j = blk + threadIdx.x; j < col_blocks; j += blockDim.x) removed[j] |= row[j];
        __syncthreads();
    }
    if (threadIdx.x == 0) *count = kept;
}

struct Layout {
    int64_t keys_in, keys_out, ids_in, ids_out, sorted, cls, mask, temp, temp_bytes, total;
};

int32_t layout(int32_t dtype, int64_t n, Layout* l) {
    size_t temp = 0;
    cudaError_t e = cub::DeviceRadixSort::SortPairs(nullptr, temp, (const uint64_t*) nullptr, (uint64_t*) nullptr,
                                                    (const int32_t*) nullptr, (int32_t*) nullptr, (int) n, 0,
                                                    dtype == 0 ? 32 : 64);
    if (e != cudaSuccess) return ne_cuda_status(e);
    const int64_t size = dtype == 0 ? 4 : 8, col_blocks = (n + kBlock - 1) / kBlock;
    int64_t off = 0;
    l->keys_in = off; off += align256(n * 8);
    l->keys_out = off; off += align256(n * 8);
    l->ids_in = off; off += align256(n * 4);
    l->ids_out = off; off += align256(n * 4);
    l->sorted = off; off += align256(n * 5 * size);
    l->cls = off; off += align256(n * 8);
    l->mask = off; off += align256(n * col_blocks * 8);
    l->temp = off; off += align256((int64_t) temp);
    l->temp_bytes = (int64_t) temp;
    l->total = off;
    return NE_OK;
}

template <typename T>
int32_t run(int64_t n, const void* boxes, const void* scores, const int64_t* idxs, double thr, double offset, int ge,
            char* ws, const Layout& l, int64_t* keep, int64_t* count, cudaStream_t s) {
    const int64_t col_blocks = (n + kBlock - 1) / kBlock;
    uint64_t* keys_in = (uint64_t*) (ws + l.keys_in);
    uint64_t* keys_out = (uint64_t*) (ws + l.keys_out);
    int32_t* ids_in = (int32_t*) (ws + l.ids_in);
    int32_t* ids_out = (int32_t*) (ws + l.ids_out);
    T* sorted = (T*) (ws + l.sorted);
    int64_t* cls = idxs ? (int64_t*) (ws + l.cls) : nullptr;
    uint64_t* mask = (uint64_t*) (ws + l.mask);
    const unsigned blocks = ne_cuda_blocks(n, 256, 4096);
    keys_kernel<T><<<blocks, 256, 0, s>>>(n, (const T*) scores, keys_in, ids_in);
    int32_t st = ne_cuda_launch_status();
    if (st != NE_OK) return st;
    size_t temp = (size_t) l.temp_bytes;
    cudaError_t e = cub::DeviceRadixSort::SortPairs(ws + l.temp, temp, keys_in, keys_out, ids_in, ids_out, (int) n, 0,
                                        sizeof(T) == 4 ? 32 : 64, s);
    if (e != cudaSuccess) return ne_cuda_status(e);
    gather_kernel<T><<<blocks, 256, 0, s>>>(n, (const T*) boxes, idxs, ids_out, (T) offset, sorted, cls);
    st = ne_cuda_launch_status();
    if (st != NE_OK) return st;
    // The threshold as a T, exactly as ne_nms_thr_f32/f64 on the CPU.
    T t = (T) thr;
    if (sizeof(T) == 4) {
        if (!ge && (double) t > thr) t = (T) nextafterf((float) t, -INFINITY);
        if (ge && (double) t < thr) t = (T) nextafterf((float) t, INFINITY);
    }
    dim3 grid((unsigned) col_blocks, (unsigned) col_blocks);
    mask_kernel<T><<<grid, kBlock, 0, s>>>(n, col_blocks, sorted, cls, (T) offset, t, ge, mask);
    st = ne_cuda_launch_status();
    if (st != NE_OK) return st;
    resolve_kernel<<<1, 256, (size_t) col_blocks * 8, s>>>(n, col_blocks, mask, ids_out, keep, count);
    return ne_cuda_launch_status();
}

}  // namespace

extern "C" int32_t ne_nms_cuda_workspace(int32_t dtype, int64_t n, int64_t* bytes) {
    if (bytes == NULL || n < 0 || n > INT32_MAX) return NE_ERR_INVALID_ARGUMENT;
    if (dtype != 0 && dtype != 1) return NE_ERR_UNSUPPORTED_DTYPE;
    Layout l;
    int32_t st = layout(dtype, n, &l);
    if (st == NE_OK) *bytes = l.total;
    return st;
}

extern "C" int32_t ne_nms_cuda(int32_t dtype, int64_t n, const void* boxes, const void* scores, const int64_t* idxs,
                               double iou_threshold, double offset, int32_t flags, void* workspace, int64_t workspace_bytes,
                               int64_t* keep, int64_t* count, void* stream) {
    if (n < 0 || n > INT32_MAX || count == NULL || iou_threshold != iou_threshold || offset != offset)
        return NE_ERR_INVALID_ARGUMENT;
    if (dtype != 0 && dtype != 1) return NE_ERR_UNSUPPORTED_DTYPE;
    cudaStream_t s = (cudaStream_t) stream;
    if (n == 0) {
        return ne_cuda_status(cudaMemsetAsync(count, 0, sizeof(int64_t), s));
    }
    // The resolve keeps one bit per box in shared memory (48 KiB): n <= 393,216, far beyond
    // what the n²/8-byte mask allows in device memory anyway.
    if ((n + kBlock - 1) / kBlock * 8 > 48 * 1024) return NE_ERR_INVALID_ARGUMENT;
    if (!boxes || !scores || !keep || !workspace) return NE_ERR_INVALID_ARGUMENT;
    Layout l;
    int32_t st = layout(dtype, n, &l);
    if (st != NE_OK) return st;
    if (workspace_bytes < l.total) return NE_ERR_INVALID_ARGUMENT;
    int ge = (flags & NE_NMS_SUPPRESS_ON_EQUAL) != 0;
    char* ws = (char*) workspace;
    return dtype == 0 ? run<float>(n, boxes, scores, idxs, iou_threshold, offset, ge, ws, l, keep, count, s)
                      : run<double>(n, boxes, scores, idxs, iou_threshold, offset, ge, ws, l, keep, count, s);
}
