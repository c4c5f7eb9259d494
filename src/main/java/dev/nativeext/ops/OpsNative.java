package dev.nativeext.ops;

import dev.nativeext.runtime.PackagedLibrary;

/**
 * The JNI entry points of nativeext's own natives ({@code include/*.h}). Built at build time by
 * {@code dev.nativeext.internal.ProjectNatives}, which checks these declarations against the
 * headers and fails the build on any mismatch. Pointers travel as {@code long} addresses (tensors
 * hold them), small index arrays as {@code long[]}.
 */
final class OpsNative {

    /** The loaded library's path; tells whether the CUDA variant was loaded. */
    static final String LIBRARY;

    static {
        LIBRARY = PackagedLibrary.extract(OpsNative.class, "nativeext_ops");
        System.load(LIBRARY);
    }

    private OpsNative() {
    }

    static boolean hasCuda() {
        return PackagedLibrary.isCudaVariant(LIBRARY);
    }

    static native String ne_status_string(int status);

    static native int ne_binary_cpu(int op, int dtype, int ndim, long[] shape, long a, long[] aStrides, long b,
                                    long[] bStrides, long out);

    static native int ne_binary_cuda(int op, int dtype, int ndim, long[] shape, long a, long[] aStrides, long b,
                                     long[] bStrides, long out, long stream);
}
