package dev.nativeext.ops;

/**
 * JNI entry points of {@code include/ne_upsample_nearest.h}, built into {@code libnativeext_upsample_nearest}
 * by {@code dev.nativeext.internal.ProjectNatives}, which checks these declarations against the header.
 */
final class UpsampleNearestNative {

    static final NativeLibrary LIBRARY = NativeLibrary.load(UpsampleNearestNative.class, "nativeext_upsample_nearest");

    private UpsampleNearestNative() {
    }

    static native int ne_upsample_nearest_cpu(int dtype, long x, long n, long c, long h, long w, long fh, long fw, long out,
                                              int threads, int isa);

    static native int ne_upsample_nearest_cuda(int dtype, long x, long n, long c, long h, long w, long fh, long fw, long out,
                                               long stream);
}
