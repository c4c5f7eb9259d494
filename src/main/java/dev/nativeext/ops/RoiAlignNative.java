package dev.nativeext.ops;

/**
 * JNI entry points of {@code include/ne_roi_align.h}, built into {@code libnativeext_roi_align} by
 * {@code dev.nativeext.internal.ProjectNatives}, which checks these declarations against the header.
 */
final class RoiAlignNative {

    static final NativeLibrary LIBRARY = NativeLibrary.load(RoiAlignNative.class, "nativeext_roi_align");

    private RoiAlignNative() {
    }

    /** From ne_status.c, compiled into every op library: the best isa code this CPU runs. */
    static native int ne_cpu_isa_best();

    static native int ne_roi_align_forward_cpu(int dtype, long input, long n, long c, long h, long w, long rois, long k,
                                               long ph, long pw, double spatialScale, int samplingRatio, int aligned,
                                               long output, int threads, int isa);

    static native int ne_roi_align_backward_cpu(int dtype, long gradOutput, long rois, long k, long n, long c, long h,
                                                long w, long ph, long pw, double spatialScale, int samplingRatio,
                                                int aligned, long gradInput, int threads, int isa);

    static native int ne_roi_align_forward_cuda(int dtype, long input, long n, long c, long h, long w, long rois, long k,
                                                long ph, long pw, double spatialScale, int samplingRatio, int aligned,
                                                long output, long stream);

    static native int ne_roi_align_backward_cuda(int dtype, long gradOutput, long rois, long k, long n, long c, long h,
                                                 long w, long ph, long pw, double spatialScale, int samplingRatio,
                                                 int aligned, int deterministic, long gradInput, long stream);
}
