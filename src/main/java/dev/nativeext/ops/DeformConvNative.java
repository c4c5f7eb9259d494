package dev.nativeext.ops;

/**
 * JNI entry points of {@code include/ne_deform_conv.h} ({@code libnativeext_deform_conv}), checked
 * against the header at build time. Pointers travel as {@code long} addresses.
 */
final class DeformConvNative {

    static final NativeLibrary LIBRARY = NativeLibrary.load(DeformConvNative.class, "nativeext_deform_conv");

    private DeformConvNative() {
    }

    static native String ne_status_string(int status);

    static native int ne_deform_conv_forward_cpu(int dtype, long input, long offset, long mask, long weight, long bias,
                                                 long output, long[] dims, long[] conv, long im2colStep, long gemm,
                                                 int threads, int isa);

    static native int ne_deform_conv_backward_cpu(int dtype, long gradOutput, long input, long offset, long mask,
                                                  long weight, long gradInput, long gradOffset, long gradMask,
                                                  long gradWeight, long gradBias, long[] dims, long[] conv,
                                                  long im2colStep, long gemm, int threads, int isa);

    static native int ne_deform_conv_forward_cuda(int dtype, long input, long offset, long mask, long weight, long bias,
                                                  long output, long[] dims, long[] conv, long im2colStep,
                                                  long workspace, long stream);

    static native int ne_deform_conv_backward_cuda(int dtype, long gradOutput, long input, long offset, long mask,
                                                   long weight, long gradInput, long gradOffset, long gradMask,
                                                   long gradWeight, long gradBias, long[] dims, long[] conv,
                                                   long im2colStep, long workspace, long stream);

    static native int ne_deform_conv_cuda_gemm(String library, byte[] description, long capacity);
}
