/* Nearest-neighbour upsampling by integer factors (F.interpolate(scale_factor=(fh, fw),
 * mode='nearest') for integer factors; FPN's top-down path uses 2), CPU and CUDA:
 * out[b,ch,y,x] = x[b,ch, y / fh, x / fw], out [n, c, h*fh, w*fw]. dtype 0 float32 / 1 float64
 * (any 4- or 8-byte element: it only copies). */
#ifndef NE_UPSAMPLE_NEAREST_H
#define NE_UPSAMPLE_NEAREST_H
#include <stdint.h>

/* threads and isa as every CPU entry point (ne_parallel.h); a pure copy has one variant, so isa
 * selects nothing here. */
int32_t ne_upsample_nearest_cpu(int32_t dtype, const void* x, int64_t n, int64_t c, int64_t h, int64_t w, int64_t fh,
                                int64_t fw, void* out, int32_t threads, int32_t isa);

int32_t ne_upsample_nearest_cuda(int32_t dtype, const void* x, int64_t n, int64_t c, int64_t h, int64_t w, int64_t fh,
                                 int64_t fw, void* out, void* stream);

#endif
