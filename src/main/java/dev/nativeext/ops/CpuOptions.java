package dev.nativeext.ops;

import java.util.Locale;

/**
 * How nativeext's CPU kernels run: the number of threads (default: all cores;
 * {@code -Dnativeext.threads}) and the SIMD variant (default: the best this CPU has;
 * {@code -Dnativeext.cpu.isa=baseline|avx2|avx512}). Results are bit-identical for any thread
 * count. Both are passed to every kernel call, so a test can run each variant.
 */
public final class CpuOptions {

    /** The SIMD variants; the codes are those of {@code src/main/cpp/ne_parallel.h}. */
    public enum Isa {
        AUTO(0), BASELINE(1), AVX2(2), AVX512(3);

        private final int code;

        Isa(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }
    }

    private static volatile int threads = Integer.getInteger("nativeext.threads", Runtime.getRuntime().availableProcessors());
    private static volatile Isa isa = Isa.valueOf(System.getProperty("nativeext.cpu.isa", "auto").toUpperCase(Locale.ROOT));

    private CpuOptions() {
    }

    public static int threads() {
        return threads;
    }

    public static void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("threads must be at least 1, got " + n);
        threads = n;
    }

    public static Isa isa() {
        return isa;
    }

    public static void setIsa(Isa v) {
        isa = v;
    }
}
