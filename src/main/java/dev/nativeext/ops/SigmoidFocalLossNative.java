package dev.nativeext.ops;

/**
 * JNI entry points of {@code include/ne_sigmoid_focal_loss.h}, built into
 * {@code libnativeext_sigmoid_focal_loss} by {@code dev.nativeext.internal.ProjectNatives}, which
 * checks these declarations against the header. Pointers travel as {@code long} addresses.
 */
final class SigmoidFocalLossNative {

    static final NativeLibrary LIBRARY = NativeLibrary.load(SigmoidFocalLossNative.class, "nativeext_sigmoid_focal_loss");

    private SigmoidFocalLossNative() {
    }

    static native String ne_status_string(int status);

    static native int ne_sigmoid_focal_loss_forward_cpu(int dtype, long n, long c, long logits, long targets, int convention,
                                                        double gamma, double alpha, int threads, int isa, long loss);

    static native int ne_sigmoid_focal_loss_backward_cpu(int dtype, long n, long c, long logits, long targets, int convention,
                                                         double gamma, double alpha, long gradLoss, int threads, int isa,
                                                         long gradLogits);

    static native int ne_sigmoid_focal_loss_check_targets(int dtype, long count, long targets, long[] firstBad);

    static native int ne_sigmoid_focal_loss_forward_cuda(int dtype, long n, long c, long logits, long targets, int convention,
                                                         double gamma, double alpha, long loss, long stream);

    static native int ne_sigmoid_focal_loss_backward_cuda(int dtype, long n, long c, long logits, long targets,
                                                          int convention, double gamma, double alpha, long gradLoss,
                                                          long gradLogits, long stream);
}
