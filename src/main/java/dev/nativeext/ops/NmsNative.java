package dev.nativeext.ops;

/**
 * JNI entry points of {@code include/ne_nms.h}, built into {@code libnativeext_nms} by
 * {@code dev.nativeext.internal.ProjectNatives}, which checks these declarations against the
 * header. Pointers travel as {@code long} addresses; the CPU kernel writes its keep list and
 * count into pinned {@code long[]} arrays.
 */
final class NmsNative {

    static final NativeLibrary LIBRARY = NativeLibrary.load(NmsNative.class, "nativeext_nms");

    private NmsNative() {
    }

    static native String ne_status_string(int status);

    static native int ne_nms_cpu(int dtype, long n, long boxes, long scores, long idxs, double iouThreshold,
                                 double offset, int flags, int threads, int isa, long[] keep, long[] count);

    static native int ne_nms_find_nonfinite(int dtype, long n, long boxes, long[] index);

    static native int ne_nms_cuda_workspace(int dtype, long n, long[] bytes);

    static native int ne_nms_cuda(int dtype, long n, long boxes, long scores, long idxs, double iouThreshold,
                                  double offset, int flags, long workspace, long workspaceBytes, long keep, long count,
                                  long stream);
}
