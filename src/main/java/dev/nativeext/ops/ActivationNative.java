package dev.nativeext.ops;

/**
 * JNI entry points of {@code include/ne_activation.h}, built into {@code libnativeext_activation}
 * by {@code dev.nativeext.internal.ProjectNatives}, which checks these declarations against the header.
 */
final class ActivationNative {

    static final NativeLibrary LIBRARY = NativeLibrary.load(ActivationNative.class, "nativeext_activation");

    private ActivationNative() {
    }

    static native int ne_activation_cpu(int op, int dtype, long count, long x, long out, int threads, int isa);

    static native int ne_activation_cuda(int op, int dtype, long count, long x, long out, long stream);
}
