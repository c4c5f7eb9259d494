package dev.nativeext.model;

import java.util.function.IntUnaryOperator;

/**
 * The normalisation after a convolution, chosen by name as detectron2 does rather than one
 * subclass per norm: maskrcnn-benchmark's frozen batch norm (no epsilon), torchvision's eval
 * batch norm (epsilon 1e-5), GroupNorm (groups per channel count, epsilon), or none (a biased conv).
 */
public sealed interface Norm {

    /** {@code y = (x - running_mean) / sqrt(running_var + eps) * weight + bias}, folded into the conv at load. */
    record FrozenBatchNorm(double eps) implements Norm {
    }

    /** GroupNorm with {@code groups.applyAsInt(channels)} groups and affine weight/bias. */
    record GroupNorm(IntUnaryOperator groups, double eps) implements Norm {
    }

    /** No norm: the convolution has a bias. */
    record None() implements Norm {
    }

    /** maskrcnn-benchmark's FrozenBatchNorm2d: no epsilon (Caffe2-converted weights folded it already). */
    static Norm frozenBatchNorm() {
        return new FrozenBatchNorm(0.0);
    }

    /** torchvision's BatchNorm2d in eval mode (and its FrozenBatchNorm2d): epsilon 1e-5. */
    static Norm torchvisionBatchNorm() {
        return new FrozenBatchNorm(1e-5);
    }
}
