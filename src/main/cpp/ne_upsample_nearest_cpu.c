/* Nearest upsampling by integer factors on the CPU (include/ne_upsample_nearest.h): tasks own
 * input rows; each row is widened once into its first output row, which is then copied to the
 * other fh - 1. Pure data movement: no isa variants (memcpy is already the fastest copy); the
 * entry point takes isa like every other and ignores it. */
#include <stddef.h>
#include <string.h>
#include "ne_parallel.h"
#include "ne_status.h"
#include "ne_upsample_nearest.h"

typedef struct {
    int32_t dtype;
    int64_t w, fh, fw;
    const void* x;
    void* out;
} ne_up_ctx;

#define NE_UP_ROWS(T, SFX)                                                                                  \
    static void ne_up_rows_##SFX(const ne_up_ctx* cx, int64_t begin, int64_t end) {                        \
        const int64_t W = cx->w, FW = cx->fw, OW = W * FW;                                                  \
        for (int64_t r = begin; r < end; r++) {                                                             \
            const T* in = (const T*) cx->x + r * W;                                                         \
            T* o = (T*) cx->out + r * cx->fh * OW;                                                          \
            if (FW == 2) {                                                                                  \
                for (int64_t i = 0; i < W; i++) o[2 * i] = o[2 * i + 1] = in[i];                            \
            } else {                                                                                        \
                for (int64_t i = 0; i < W; i++)                                                             \
                    for (int64_t k = 0; k < FW; k++) o[i * FW + k] = in[i];                                 \
            }                                                                                               \
            for (int64_t k = 1; k < cx->fh; k++) memcpy(o + k * OW, o, sizeof(T) * (size_t) OW);            \
        }                                                                                                   \
    }
NE_UP_ROWS(float, f32)
NE_UP_ROWS(double, f64)

static int32_t ne_up_task(void* ctx, int64_t begin, int64_t end) {
    const ne_up_ctx* cx = (const ne_up_ctx*) ctx;
    if (cx->dtype == 0) ne_up_rows_f32(cx, begin, end);
    else ne_up_rows_f64(cx, begin, end);
    return NE_OK;
}

int32_t ne_upsample_nearest_cpu(int32_t dtype, const void* x, int64_t n, int64_t c, int64_t h, int64_t w, int64_t fh,
                                int64_t fw, void* out, int32_t threads, int32_t isa) {
    (void) isa; /* one variant: memcpy and the widening loop are already the fastest copy */
    if (dtype != 0 && dtype != 1) return NE_ERR_UNSUPPORTED_DTYPE;
    if (n < 0 || c < 0 || h < 0 || w < 0 || fh < 1 || fw < 1) return NE_ERR_INVALID_ARGUMENT;
    if (n * c * h * w == 0) return NE_OK;
    if (x == NULL || out == NULL) return NE_ERR_INVALID_ARGUMENT;
    ne_up_ctx cx = {dtype, w, fh, fw, x, out};
    int64_t work = n * c * h * w * fh * fw, t = work / 65536 + 1;
    return ne_parallel_for(n * c * h, threads < t ? threads : (int32_t) t, ne_up_task, &cx);
}

#ifndef WITH_CUDA
int32_t ne_upsample_nearest_cuda(int32_t dtype, const void* x, int64_t n, int64_t c, int64_t h, int64_t w, int64_t fh,
                                 int64_t fw, void* out, void* stream) {
    (void) dtype; (void) x; (void) n; (void) c; (void) h; (void) w; (void) fh; (void) fw; (void) out; (void) stream;
    return NE_ERR_NOT_BUILT_WITH_CUDA;
}
#endif
