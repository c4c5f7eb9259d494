/* Sigmoid focal loss (Lin et al.), element-wise, forward and backward, on the CPU and on CUDA
 * (docs/ops.md §7).
 *
 * logits [n,c] of `dtype` (0 float32, 1 float64), contiguous. targets by `convention`:
 *   0 (maskrcnn-benchmark): int64 labels [n], -1 = ignore (loss and gradient 0), 0 = background
 *     (negative for every class), 1..c = positive for class column label-1;
 *   1 (torchvision): [n,c] of `dtype`, probabilities in [0,1] (soft labels allowed).
 * With p = sigmoid(x), t the target of an element, p_t = p·t + (1-p)(1-t),
 * alpha_t = alpha·t + (1-alpha)(1-t) (1 when alpha < 0) and
 * ce = -(t·log p + (1-t)·log(1-p)) computed with stable softplus forms:
 *   loss = alpha_t · (1-p_t)^gamma · ce                           (per element, [n,c], no reduction)
 * backward: grad_logits = grad_loss · dloss/dx (grad_loss [n,c], element-wise). */
#ifndef NE_SIGMOID_FOCAL_LOSS_H
#define NE_SIGMOID_FOCAL_LOSS_H
#include <stdint.h>

/* threads: CPU threads; isa: SIMD variant (0 auto, 1 baseline, 2 AVX2, 3 AVX-512; results are
 * identical for every choice). */
int32_t ne_sigmoid_focal_loss_forward_cpu(int32_t dtype, int64_t n, int64_t c, const void* logits, const void* targets,
                                          int32_t convention, double gamma, double alpha, int32_t threads, int32_t isa,
                                          void* loss);

int32_t ne_sigmoid_focal_loss_backward_cpu(int32_t dtype, int64_t n, int64_t c, const void* logits, const void* targets,
                                           int32_t convention, double gamma, double alpha, const void* grad_loss,
                                           int32_t threads, int32_t isa, void* grad_logits);

/* Host memory: NE_OK when every one of the count dense targets (dtype 0 float32, 1 float64) is
 * in [0, 1], else NE_ERR_INVALID_ARGUMENT with the index of the first that is not (NaN included)
 * in *first_bad. Java checks targets with it instead of copying them into the heap. */
int32_t ne_sigmoid_focal_loss_check_targets(int32_t dtype, int64_t count, const void* targets, int64_t* first_bad);

/* The same on device pointers, on a CUDA stream (NULL: the default stream), without
 * synchronising. Return NE_ERR_NOT_BUILT_WITH_CUDA in a library built without CUDA. */
int32_t ne_sigmoid_focal_loss_forward_cuda(int32_t dtype, int64_t n, int64_t c, const void* logits, const void* targets,
                                           int32_t convention, double gamma, double alpha, void* loss, void* stream);

int32_t ne_sigmoid_focal_loss_backward_cuda(int32_t dtype, int64_t n, int64_t c, const void* logits, const void* targets,
                                            int32_t convention, double gamma, double alpha, const void* grad_loss,
                                            void* grad_logits, void* stream);

#endif
