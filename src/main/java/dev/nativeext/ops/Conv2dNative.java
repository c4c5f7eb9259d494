package dev.nativeext.ops;

/**
 * JNI entry points of {@code include/ne_conv2d.h} ({@code libnativeext_conv2d}), checked against
 * the header at build time. Pointers travel as {@code long} addresses.
 */
final class Conv2dNative {

    static final NativeLibrary LIBRARY = NativeLibrary.load(Conv2dNative.class, "nativeext_conv2d");

    private Conv2dNative() {
    }

    static native String ne_status_string(int status);

    static native int ne_conv2d_forward_cpu(int dtype, long input, long weight, long bias, long scale, long shift, long residual,
                                            int relu, long output, long[] dims, long[] conv, int algo, int threads, int isa);

    static native int ne_conv2d_amx_usable_cpu();

    static native int ne_conv2d_path_cpu(int dtype, long[] dims, long[] conv, int algo, int isa, int[] path);

    static native int ne_conv2d_prepared_bytes_cpu(int dtype, long[] dims, long[] conv, int path, long[] bytes);

    static native int ne_conv2d_prepare_cpu(int dtype, long weight, long bias, long scale, long shift, long[] dims, long[] conv,
                                            int path, long prepared, long bytes, int threads, int isa);

    static native int ne_conv2d_forward_prepared_cpu(int dtype, long input, long prepared, long bytes, long residual, int relu,
                                                     long output, long[] dims, long[] conv, int threads, int isa);

    static native int ne_conv2d_forward_prepared_max_pool_cpu(int dtype, long input, long prepared, long bytes, int relu,
                                                              long output, long[] dims, long[] conv, long[] pool, long[] poolOut,
                                                              int threads, int isa);

    static native int ne_conv2d_forward_cuda(int dtype, long input, long weight, long bias, long scale, long shift,
                                             long residual, int relu, long output, long[] dims, long[] conv, long stream);

    static native int ne_conv2d_cuda_dnn(String library, byte[] description, long capacity);
}
