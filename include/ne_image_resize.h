/* Pillow-exact bilinear resize of an 8-bit, 3-channel image fused with ToTensor + Normalize, on
 * the CPU (the data pipeline; no CUDA variant: images are decoded and batched on the host).
 *
 * src [h, w, 3] uint8, interleaved. The filter taps of each axis are computed by the caller
 * (Java, as Pillow computes them): output x reads hcount[x] inputs from hfirst[x] with 22-bit
 * fixed-point weights hweight[x * hks + k]; likewise vfirst/vcount/vweight/vks for rows. A pass
 * whose size does not change is skipped (hks or vks = 0), as in Pillow; each pass rounds and clips
 * to 8 bits. Output plane p (0..2) reads source channel plane_src[p] and maps each 8-bit v to
 * lut[p * 256 + v] (or, when plain[p] is 1, to (v - mean[p]) / std[p] in float32, which the caller
 * has checked gives the same bits), mirrored left-right when flip is 1.
 * scratch [3, h, out_w] uint8; out [3, out_h, out_w] float32. threads and isa as every CPU entry
 * point (the same bits for any of them). */
#ifndef NE_IMAGE_RESIZE_H
#define NE_IMAGE_RESIZE_H
#include <stdint.h>

int32_t ne_image_resize_normalize(int64_t h, int64_t w, const uint8_t* src, int64_t out_h, int64_t out_w,
                                  int64_t hks, const int32_t* hfirst, const int32_t* hcount, const int32_t* hweight,
                                  int64_t vks, const int32_t* vfirst, const int32_t* vcount, const int32_t* vweight,
                                  const float* lut, const int32_t* plane_src, const int32_t* plain, const float* mean,
                                  const float* std, int32_t flip, uint8_t* scratch, float* out, int32_t threads,
                                  int32_t isa);

/* The same, writing plane p row y at out + p * plane_stride + y * row_stride (row_stride >= out_w,
 * plane_stride >= out_h * row_stride) and zeroing each row's floats from out_w to row_stride: an
 * image written straight into its place in a zero-padded [N, 3, H, W] batch. */
int32_t ne_image_resize_normalize_into(int64_t h, int64_t w, const uint8_t* src, int64_t out_h, int64_t out_w,
                                       int64_t hks, const int32_t* hfirst, const int32_t* hcount, const int32_t* hweight,
                                       int64_t vks, const int32_t* vfirst, const int32_t* vcount, const int32_t* vweight,
                                       const float* lut, const int32_t* plane_src, const int32_t* plain, const float* mean,
                                       const float* std, int32_t flip, uint8_t* scratch, float* out, int64_t row_stride,
                                       int64_t plane_stride, int32_t threads, int32_t isa);

#endif
