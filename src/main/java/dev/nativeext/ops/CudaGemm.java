package dev.nativeext.ops;

/**
 * Which GEMM the CUDA deformable convolution uses: cuBLAS, found at run time (the op library has
 * no link-time dependency on it), or nativeext's tiled shared-memory kernel where none is found.
 * Chosen once, before the first CUDA call, from the system property {@value #PROPERTY} or else
 * the environment variable {@value #ENV}, as {@link RuntimeLibraryChoice} reads them: unset
 * searches {@code libcublas.so.13}, {@code .so.12}, {@code .so}; {@code none} selects the tiled
 * kernel; anything else names the cuBLAS to load (an error when it cannot be).
 */
public final class CudaGemm {

    public static final String PROPERTY = "nativeext.cublas";
    public static final String ENV = "NATIVEEXT_CUBLAS";

    private static final RuntimeLibraryChoice CHOICE = new RuntimeLibraryChoice(PROPERTY, ENV, "cuBLAS", "deform_conv2d",
            DeformConvNative::ne_deform_conv_cuda_gemm);

    private CudaGemm() {
    }

    /**
     * One line naming the GEMM in use (for example {@code "cuBLAS 13.1.0 (libcublas.so.13)"}, or
     * the tiled kernel and why cuBLAS was not loaded); selects it first if no CUDA call has.
     */
    public static String describe() {
        return CHOICE.describe();
    }

    /** Selects the GEMM once; throws when the setting names a cuBLAS that cannot be used. */
    static void select() {
        CHOICE.select();
    }
}
