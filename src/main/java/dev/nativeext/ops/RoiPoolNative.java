package dev.nativeext.ops;

/**
 * JNI entry points of {@code include/ne_roi_pool.h}, built into {@code libnativeext_roi_pool} by
 * {@code dev.nativeext.internal.ProjectNatives}, which checks these declarations against the header.
 */
final class RoiPoolNative {

    static final NativeLibrary LIBRARY = NativeLibrary.load(RoiPoolNative.class, "nativeext_roi_pool");

    private RoiPoolNative() {
    }

    static native int ne_roi_pool_forward_cpu(int dtype, long input, long n, long c, long h, long w, long rois, long k,
                                              long ph, long pw, double spatialScale, long output, long argmax, int threads,
                                              int isa);

    static native int ne_roi_pool_backward_cpu(int dtype, long gradOutput, long argmax, long rois, long k, long n, long c,
                                               long h, long w, long ph, long pw, long gradInput, int threads, int isa);

    static native int ne_roi_pool_forward_cuda(int dtype, long input, long n, long c, long h, long w, long rois, long k,
                                               long ph, long pw, double spatialScale, long output, long argmax, long stream);

    static native int ne_roi_pool_backward_cuda(int dtype, long gradOutput, long argmax, long rois, long k, long n, long c,
                                                long h, long w, long ph, long pw, long gradInput, long stream);
}
