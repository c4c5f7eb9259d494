package dev.nativeext.ops;

/**
 * JNI entry points of {@code include/ne_max_pool2d.h}, built into {@code libnativeext_max_pool2d}
 * by {@code dev.nativeext.internal.ProjectNatives}, which checks these declarations against the header.
 */
final class MaxPool2dNative {

    static final NativeLibrary LIBRARY = NativeLibrary.load(MaxPool2dNative.class, "nativeext_max_pool2d");

    private MaxPool2dNative() {
    }

    static native int ne_max_pool2d_cpu(int dtype, long x, long n, long c, long h, long w, long kh, long kw, long sh, long sw,
                                        long ph, long pw, long dh, long dw, long oh, long ow, long out, int threads, int isa);

    static native int ne_max_pool2d_cuda(int dtype, long x, long n, long c, long h, long w, long kh, long kw, long sh, long sw,
                                         long ph, long pw, long dh, long dw, long oh, long ow, long out, long stream);

    static native int ne_global_avg_pool2d_cpu(int dtype, long x, long planes, long hw, long out, int threads);

    static native int ne_global_avg_pool2d_cuda(int dtype, long x, long planes, long hw, long out, long stream);
}
