/* Non-maximum suppression (NMS) and batched NMS, on the CPU and on CUDA (docs/ops.md §4).
 *
 * boxes [n,4] rows (x1, y1, x2, y2) and scores [n], both of `dtype` (0 float32, 1 float64),
 * contiguous. idxs [n] int64 categories for batched NMS, or NULL for plain NMS: boxes of
 * different categories never suppress each other (IoU treated as 0; no coordinate shift).
 *
 * With d = offset (0: torchvision, 1: maskrcnn-benchmark's pixel-inclusive boxes), computed in
 * the boxes' dtype: area = (x2-x1+d)(y2-y1+d), inter = max(0,min(x2)-max(x1)+d)·max(0,...y...),
 * IoU = inter/(area_i+area_j-inter). Boxes are visited by score descending, ties by ascending
 * index (NaN scores first, -0 equal to +0); a box is kept unless a kept box suppresses it:
 * IoU > iou_threshold, or IoU >= iou_threshold when (flags & NE_NMS_SUPPRESS_ON_EQUAL), the
 * comparison in double. A NaN IoU (0/0 between degenerate boxes) never suppresses.
 *
 * keep [n] int64 receives the kept original indices, by descending score; *count their number.
 * Box coordinates must be finite (the Java layer checks, with ne_nms_find_nonfinite). */
#ifndef NE_NMS_H
#define NE_NMS_H
#include <stdint.h>

#define NE_NMS_SUPPRESS_ON_EQUAL 1

/* threads: reserved (the greedy walk is sequential); isa: see ne_parallel.h (0 auto). */
int32_t ne_nms_cpu(int32_t dtype, int64_t n, const void* boxes, const void* scores, const int64_t* idxs,
                   double iou_threshold, double offset, int32_t flags, int32_t threads, int32_t isa,
                   int64_t* keep, int64_t* count);

/* The first non-finite value among the 4·n coordinates of host boxes [n,4] of `dtype`: its flat
 * index in *index, or -1 when all are finite (validation, cheaper than copying them to Java). */
int32_t ne_nms_find_nonfinite(int32_t dtype, int64_t n, const void* boxes, int64_t* index);

/* Bytes of device workspace ne_nms_cuda needs for n boxes (the n²/8-byte mask, the sorted copy
 * of the boxes and the sort's scratch). */
int32_t ne_nms_cuda_workspace(int32_t dtype, int64_t n, int64_t* bytes);

/* The same on device pointers (keep [n] and count [1] int64 in device memory), on a CUDA stream
 * (NULL: the default stream), without synchronising. Returns NE_ERR_NOT_BUILT_WITH_CUDA in a
 * library built without CUDA. */
int32_t ne_nms_cuda(int32_t dtype, int64_t n, const void* boxes, const void* scores, const int64_t* idxs,
                    double iou_threshold, double offset, int32_t flags, void* workspace, int64_t workspace_bytes,
                    int64_t* keep, int64_t* count, void* stream);

#endif
