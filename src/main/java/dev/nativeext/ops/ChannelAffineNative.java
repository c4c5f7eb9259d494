package dev.nativeext.ops;

/**
 * JNI entry points of {@code include/ne_channel_affine.h}, built into {@code libnativeext_channel_affine}
 * by {@code dev.nativeext.internal.ProjectNatives}, which checks these declarations against the header.
 */
final class ChannelAffineNative {

    static final NativeLibrary LIBRARY = NativeLibrary.load(ChannelAffineNative.class, "nativeext_channel_affine");

    private ChannelAffineNative() {
    }

    static native int ne_channel_affine_cpu(int dtype, long x, long n, long c, long hw, long scale, long shift, long residual,
                                            int relu, long out, int threads, int isa);

    static native int ne_channel_affine_cuda(int dtype, long x, long n, long c, long hw, long scale, long shift, long residual,
                                             int relu, long out, long stream);
}
