package dev.nativeext.ops;

/**
 * JNI entry points of {@code include/ne_elementwise.h}, built into {@code libnativeext_elementwise}
 * at build time by {@code dev.nativeext.internal.ProjectNatives}, which checks these declarations
 * against the header. Pointers travel as {@code long} addresses, small index arrays as {@code long[]}.
 */
final class ElementwiseNative {

    static final NativeLibrary LIBRARY = NativeLibrary.load(ElementwiseNative.class, "nativeext_elementwise");

    private ElementwiseNative() {
    }

    /** From ne_status.c, compiled into every op library; NativesTest checks Java's texts against it. */
    static native String ne_status_string(int status);

    static native int ne_binary_cpu(int op, int dtype, int ndim, long[] shape, long a, long[] aStrides, long b,
                                    long[] bStrides, long out, int threads, int isa);

    static native int ne_binary_cuda(int op, int dtype, int ndim, long[] shape, long a, long[] aStrides, long b,
                                     long[] bStrides, long out, long stream);
}
