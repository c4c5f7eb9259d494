package dev.nativeext.ops;

/**
 * JNI entry points of {@code include/ne_group_norm.h}, built into {@code libnativeext_group_norm}
 * by {@code dev.nativeext.internal.ProjectNatives}, which checks these declarations against the header.
 */
final class GroupNormNative {

    static final NativeLibrary LIBRARY = NativeLibrary.load(GroupNormNative.class, "nativeext_group_norm");

    private GroupNormNative() {
    }

    static native int ne_group_norm_cpu(int dtype, long x, long n, long c, long hw, long groups, double eps, long weight,
                                        long bias, int relu, long out, int threads, int isa);

    static native int ne_group_norm_cuda(int dtype, long x, long n, long c, long hw, long groups, double eps, long weight,
                                         long bias, int relu, long out, long stream);
}
