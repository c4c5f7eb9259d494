package dev.nativeext.ops;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * How nativeext's CPU kernels run: the number of threads (default: all cores;
 * {@code -Dnativeext.threads}) and the SIMD variant (default: the best this CPU has;
 * {@code -Dnativeext.cpu.isa=baseline|avx2|avx512}). Results are bit-identical for any thread
 * count. Both are passed to every kernel call, so a test can run each variant; a variant this CPU
 * lacks runs the best one it has instead, so ask {@link #supported()} which ones really run.
 * <p>
 * {@link Isa#AMX} ({@code -Dnativeext.cpu.isa=amx}) concerns conv2d only: its float32 GEMM and
 * pointwise paths multiply on AMX tiles (float32 accuracy, other bits than the AVX-512 fma chain)
 * where {@link #amxUsable()}; {@code AUTO} does the same for the shapes where AMX is the faster.
 * Every other op treats {@code AMX} as {@code AUTO}. {@code AVX512} gives conv2d's former bits.
 */
public final class CpuOptions {

    /** The SIMD variants; the codes are those of {@code src/main/cpp/ne_parallel.h}. */
    public enum Isa {
        AUTO(0), BASELINE(1), AVX2(2), AVX512(3),
        /** conv2d's AMX route (see the class comment); the best SIMD variant for every other op. */
        AMX(4);

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
        if (v == null) throw new IllegalArgumentException("isa must not be null");
        isa = v;
    }

    /**
     * The SIMD variants this CPU runs, best last: always {@code BASELINE}, then {@code AVX2}
     * (with FMA) and {@code AVX512} (AVX-512F) where the CPU and OS have them.
     */
    public static Set<Isa> supported() {
        Set<Isa> s = EnumSet.of(Isa.BASELINE);
        int best = BestIsa.CODE;
        for (Isa v : Isa.values()) if (v.code() > Isa.BASELINE.code() && v.code() <= best) s.add(v);
        if (amxUsable()) s.add(Isa.AMX);
        return Collections.unmodifiableSet(s);
    }

    /**
     * Whether this process may use AMX (the CPU has AMX-BF16 and Linux grants the tile state):
     * then {@link Isa#AMX} and {@code AUTO} run conv2d's float32 GEMM and pointwise products on
     * AMX tiles. Asked once, from the C code.
     */
    public static boolean amxUsable() {
        return Amx.USABLE;
    }

    /** Whether {@code v} runs as itself here ({@code AUTO} always does). */
    public static boolean supports(Isa v) {
        return v == Isa.AUTO || supported().contains(v);
    }

    private static final class Amx {
        static final boolean USABLE = Conv2dNative.ne_conv2d_amx_usable_cpu() != 0;
    }

    /** Asked once, from the C dispatcher itself, so that Java and C never disagree. */
    private static final class BestIsa {
        static final int CODE = RoiAlignNative.ne_cpu_isa_best();
    }
}
