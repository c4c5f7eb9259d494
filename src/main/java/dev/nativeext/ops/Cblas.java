package dev.nativeext.ops;

import dev.nativeext.tensor.DType;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * The CBLAS GEMM that nativeext's CPU kernels call: OpenBLAS from JavaCPP's openblas presets,
 * loaded once, handed to C as the address of {@code cblas_sgemm} / {@code cblas_dgemm}. Passing
 * the address (instead of linking {@code -lopenblas}) keeps the op libraries free of a link-time
 * dependency on a BLAS whose file name and location only JavaCPP knows.
 */
public final class Cblas {

    private static volatile long sgemm;
    private static volatile long dgemm;

    private Cblas() {
    }

    /** The address of {@code cblas_sgemm} (float32) or {@code cblas_dgemm} (float64). */
    static long gemmAddress(DType dtype) {
        if (sgemm == 0) load();
        return switch (dtype) {
            case FLOAT32 -> sgemm;
            case FLOAT64 -> dgemm;
            default -> throw new IllegalArgumentException("no GEMM for " + dtype);
        };
    }

    /** Sets OpenBLAS's own thread count (its GEMMs run on its threads, not nativeext's). */
    public static void setThreads(int n) {
        if (sgemm == 0) load();
        openblas_nolapack.blas_set_num_threads(n);
    }

    private static int singleUsers;
    private static int savedThreads;

    /**
     * Runs {@code call} (a native call that invokes the GEMM from several of nativeext's own
     * threads at once) with OpenBLAS single-threaded, then restores OpenBLAS's thread count.
     * OpenBLAS's count is process-wide: calls that overlap share one single-threaded period, and
     * a GEMM another op starts meanwhile also runs on one thread (same results, less speed).
     */
    static int singleThreaded(java.util.function.IntSupplier call) {
        if (sgemm == 0) load();
        synchronized (Cblas.class) {
            if (singleUsers++ == 0) {
                savedThreads = openblas_nolapack.blas_get_num_threads();
                if (savedThreads != 1) openblas_nolapack.blas_set_num_threads(1);
            }
        }
        try {
            return call.getAsInt();
        } finally {
            synchronized (Cblas.class) {
                if (--singleUsers == 0 && savedThreads != 1) openblas_nolapack.blas_set_num_threads(savedThreads);
            }
        }
    }

    private static synchronized void load() {
        if (sgemm != 0) return;
        Loader.load(openblas_nolapack.class);
        long s = address("cblas_sgemm");
        long d = address("cblas_dgemm");
        dgemm = d;
        sgemm = s;
    }

    private static long address(String symbol) {
        Pointer p = Loader.addressof(symbol);
        if (p == null || p.address() == 0) {
            throw new IllegalStateException("OpenBLAS was loaded but " + symbol + " was not found in it");
        }
        return p.address();
    }
}
