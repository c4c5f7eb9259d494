/* Shared by the CPU kernels of the layer ops (channel_affine, activation, group_norm,
 * max_pool2d): non-temporal stores for large outputs and the thread count worth starting. Their
 * SIMD variants follow the one convention of ne_parallel.h (a kernel header re-included with
 * NE_SFX/NE_TARGET; include ne_parallel.h first). Every loop built this way computes each output
 * element on its own, or accumulates in lanes fixed by the source (16 explicit partial sums),
 * never in an order that depends on the vector width, and the op libraries build with
 * -ffp-contract=off: the three variants give the same bits. */
#ifndef NE_LAYERS_SIMD_H
#define NE_LAYERS_SIMD_H

#include <stdint.h>
#include <string.h>
#if defined(__x86_64__)
#include <emmintrin.h>
#endif

/* Outputs of at least this many bytes are written with non-temporal stores: a normal store
 * first reads the line it writes, a third of the traffic of a one-pass layer. */
#define NE_STREAM_MIN_BYTES (8L << 20)

/* Stores the 64-byte vector v at p: with non-temporal SSE2 stores (every x86-64 has them) when
 * `stream` (p then 16-byte aligned), else a plain store. Same bits either way; a task that
 * streamed ends with ne_stream_fence(). */
#if defined(__x86_64__)
#define NE_STORE64(p, v, stream)                                                                            \
    do {                                                                                                    \
        if (stream) {                                                                                       \
            __m128 q_[4];                                                                                   \
            memcpy(q_, &(v), 64);                                                                           \
            float* d_ = (float*) (void*) (p);                                                               \
            _mm_stream_ps(d_, q_[0]);                                                                       \
            _mm_stream_ps(d_ + 4, q_[1]);                                                                   \
            _mm_stream_ps(d_ + 8, q_[2]);                                                                   \
            _mm_stream_ps(d_ + 12, q_[3]);                                                                  \
        } else {                                                                                            \
            memcpy((p), &(v), 64);                                                                          \
        }                                                                                                   \
    } while (0)
static void ne_stream_fence(void) { _mm_sfence(); }
#define NE_CAN_STREAM(p) (((uintptr_t) (p) & 15) == 0)
#else
#define NE_STORE64(p, v, stream) memcpy((p), &(v), 64)
static void ne_stream_fence(void) {}
#define NE_CAN_STREAM(p) 0
#endif

/* Threads worth starting for `work` elements: one per 64K elements, at least one. */
static int32_t ne_threads_for(int64_t work, int32_t threads) {
    int64_t t = work / 65536 + 1;
    return threads < t ? threads : (int32_t) t;
}

#endif
