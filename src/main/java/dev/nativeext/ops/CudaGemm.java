package dev.nativeext.ops;

import java.nio.charset.StandardCharsets;

/**
 * Which GEMM the CUDA deformable convolution uses: cuBLAS, found at run time (the op library has
 * no link-time dependency on it), or nativeext's tiled shared-memory kernel where none is found.
 * Chosen once, before the first CUDA call, from the system property {@value #PROPERTY} or else
 * the environment variable {@value #ENV}:
 * <ul>
 *   <li>unset or blank: search {@code libcublas.so.13}, {@code .so.12}, {@code .so} as dlopen
 *       does ({@code LD_LIBRARY_PATH}, the loader cache); none found means the tiled kernel;</li>
 *   <li>{@code none} (or {@code off}, {@code false}): the tiled kernel;</li>
 *   <li>anything else: the file name or path of the cuBLAS to load; when it cannot be loaded, the
 *       first CUDA call fails with the loader's reason instead of silently falling back.</li>
 * </ul>
 */
public final class CudaGemm {

    public static final String PROPERTY = "nativeext.cublas";
    public static final String ENV = "NATIVEEXT_CUBLAS";

    private static final int LIBRARY_UNAVAILABLE = 6;
    private static final int NOT_BUILT_WITH_CUDA = 4;

    private static volatile String description;

    private CudaGemm() {
    }

    /**
     * One line naming the GEMM in use (for example {@code "cuBLAS 13.1.0 (libcublas.so.13)"}, or
     * the tiled kernel and why cuBLAS was not loaded); selects it first if no CUDA call has.
     */
    public static String describe() {
        select();
        return description;
    }

    /** Selects the GEMM once; throws when the setting names a cuBLAS that cannot be used. */
    static void select() {
        if (description != null) return;
        synchronized (CudaGemm.class) {
            if (description != null) return;
            String setting = setting(System.getProperty(PROPERTY), System.getenv(ENV));
            byte[] text = new byte[512];
            int status = DeformConvNative.ne_deform_conv_cuda_gemm(setting, text, text.length);
            String line = cString(text);
            if (status == LIBRARY_UNAVAILABLE) {
                throw new IllegalStateException(PROPERTY + " / " + ENV + " names a cuBLAS that cannot be used: " + line);
            }
            if (status != NOT_BUILT_WITH_CUDA) Natives.check(status, "deform_conv2d");
            description = line;
        }
    }

    /** What to pass to C: null to search, "" for the tiled kernel, else the library to load. */
    static String setting(String property, String env) {
        String v = property != null && !property.isBlank() ? property : env;
        if (v == null || v.isBlank()) return null;
        v = v.strip();
        return switch (v.toLowerCase(java.util.Locale.ROOT)) {
            case "none", "off", "false" -> "";
            default -> v;
        };
    }

    private static String cString(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }
}
