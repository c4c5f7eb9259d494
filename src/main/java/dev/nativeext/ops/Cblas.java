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

    /**
     * Sets OpenBLAS's own thread count (its GEMMs then run on its threads, not nativeext's), for
     * code that calls OpenBLAS directly; nativeext's kernels still run theirs single-threaded
     * ({@link #singleThreaded}). OpenBLAS's count is process-wide: set it through this method, not
     * through {@code openblas_nolapack.blas_set_num_threads}, which this class does not see.
     */
    public static void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("threads must be at least 1, got " + n);
        if (sgemm == 0) load();
        synchronized (Cblas.class) {
            if (singleUsers > 0) savedThreads = n;  // applied when the single-threaded period ends
            else blasSet(n);
        }
    }

    private static int singleUsers;
    private static int savedThreads;
    /** OpenBLAS's thread count, as last set here (1 from the time it is loaded). */
    private static volatile int blasThreads;
    /** {@code openblas_set_num_threads}, looked up once. */
    private static org.bytedeco.openblas.presets.openblas_nolapack.SetNumThreads setNumThreads;

    /**
     * Runs {@code call} (a native call that invokes the GEMM from several of nativeext's own
     * threads at once) with OpenBLAS single-threaded. OpenBLAS is single-threaded from the time
     * this class loads it, so this is a plain call unless {@link #setThreads} gave it more
     * threads: then they are set to one for the call and restored after it (calls that overlap
     * share one single-threaded period; a GEMM another thread starts meanwhile also runs on one
     * thread: same results, less speed). The JavaCPP presets' {@code blas_set_num_threads} is
     * never called per call: it looks MKL's and OpenBLAS's symbols up on every call (~150 us, more
     * than a small convolution takes).
     */
    static int singleThreaded(java.util.function.IntSupplier call) {
        if (sgemm == 0) load();
        if (blasThreads == 1) return call.getAsInt();
        synchronized (Cblas.class) {
            if (singleUsers++ == 0) {
                savedThreads = blasThreads;
                if (savedThreads != 1) blasSet(1);
            }
        }
        try {
            return call.getAsInt();
        } finally {
            synchronized (Cblas.class) {
                if (--singleUsers == 0 && savedThreads != 1) blasSet(savedThreads);
            }
        }
    }

    /** Sets OpenBLAS's thread count (the caller holds the class lock or is {@link #load}). */
    private static void blasSet(int n) {
        setNumThreads.call(n);
        blasThreads = n;
    }

    private static synchronized void load() {
        if (sgemm != 0) return;
        Loader.load(openblas_nolapack.class);
        long s = address("cblas_sgemm");
        long d = address("cblas_dgemm");
        address("openblas_set_num_threads");
        // as the presets build theirs (the constructor taking a Pointer wraps no function)
        setNumThreads = new org.bytedeco.openblas.presets.openblas_nolapack.SetNumThreads() {
        }.put(Loader.addressof("openblas_set_num_threads"));
        // nativeext's kernels call the GEMM from their own threads: OpenBLAS's would oversubscribe
        blasSet(1);
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
