/* 2-D max pooling forward (torch.nn.functional.max_pool2d) and global average pooling
 * (adaptive_avg_pool2d to 1x1) on NCHW tensors, CPU and CUDA.
 *
 * x [n, c, h, w] contiguous, dtype 0 float32 / 1 float64; kernel kh x kw, stride sh x sw,
 * padding ph x pw (implicit -inf: padded positions never win), dilation dh x dw; out
 * [n, c, oh, ow] with the output size the caller computed (PyTorch's rule, ceil_mode included).
 * out[b,ch,oy,ox] = max over i < kh, j < kw of x[b,ch, oy*sh - ph + i*dh, ox*sw - pw + j*dw]
 * (positions inside the input only; -inf when none is). A NaN in a window gives NaN, as PyTorch. */
#ifndef NE_MAX_POOL2D_H
#define NE_MAX_POOL2D_H
#include <stdint.h>

int32_t ne_max_pool2d_cpu(int32_t dtype, const void* x, int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh,
                          int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw,
                          int64_t oh, int64_t ow, void* out, int32_t threads, int32_t isa);

int32_t ne_max_pool2d_cuda(int32_t dtype, const void* x, int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh,
                           int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw,
                           int64_t oh, int64_t ow, void* out, void* stream);

/* Global average pooling (torch.nn.functional.adaptive_avg_pool2d(x, 1): torchvision ResNet's
 * avgpool): out[p] = (x[p][0] + x[p][1] + ... + x[p][hw-1]) / hw for each of the `planes` planes
 * of hw >= 1 contiguous elements (x [n, c, h, w] is n*c planes of h*w), dtype 0 float32 / 1
 * float64, added in index order from 0 and divided once: the same bits on every thread count,
 * SIMD variant and device. */
int32_t ne_global_avg_pool2d_cpu(int32_t dtype, const void* x, int64_t planes, int64_t hw, void* out, int32_t threads);

int32_t ne_global_avg_pool2d_cuda(int32_t dtype, const void* x, int64_t planes, int64_t hw, void* out, void* stream);

#endif
