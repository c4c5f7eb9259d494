package dev.nativeext.ops;

/**
 * Which convolution {@link Conv2d} runs on CUDA: cuDNN's, found at run time (the op library has
 * no link-time dependency on it; float32 with FMA math, no TF32), followed by the op's epilogue
 * kernel, or nativeext's direct kernel where none is found. Chosen once, before the first CUDA
 * call, from the system property {@value #PROPERTY} or else the environment variable
 * {@value #ENV}, as {@link RuntimeLibraryChoice} reads them: unset searches
 * {@code libcudnn.so.9}, {@code .so.8}, {@code .so}; {@code none} selects the direct kernel;
 * anything else names the cuDNN to load (an error when it cannot be).
 */
public final class CudaConv {

    public static final String PROPERTY = "nativeext.cudnn";
    public static final String ENV = "NATIVEEXT_CUDNN";

    private static final RuntimeLibraryChoice CHOICE = new RuntimeLibraryChoice(PROPERTY, ENV, "cuDNN", "Conv2d",
            Conv2dNative::ne_conv2d_cuda_dnn);

    private CudaConv() {
    }

    /**
     * One line naming the convolution in use (for example {@code "cuDNN 9.1.0 (libcudnn.so.9)"},
     * or the direct kernel and why cuDNN was not loaded); selects it first if no CUDA call has.
     */
    public static String describe() {
        return CHOICE.describe();
    }

    /** Selects once; throws when the setting names a cuDNN that cannot be used. */
    static void select() {
        CHOICE.select();
    }
}
