package dev.nativeext.bench;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** Timing, memory and ONNX Runtime helpers shared by the benchmarks. */
public final class BenchUtil {

    private BenchUtil() {}

    /**
     * Runs {@code r} {@code warmup} times untimed (JIT, caches, ORT arena growth), then
     * {@code reps} times timed one by one; returns the median in milliseconds. The median, not
     * the mean, so that one GC pause or scheduler hiccup does not move the figure.
     */
    public static double medianMillis(int warmup, int reps, Runnable r) {
        return minMedianMillis(warmup, reps, r)[1];
    }

    /**
     * {min, median} in milliseconds of {@code reps} timed runs after {@code warmup} untimed ones:
     * the minimum is the figure least disturbed by other load on a shared machine, the median the
     * typical one.
     */
    public static double[] minMedianMillis(int warmup, int reps, Runnable r) {
        if (reps < 1) throw new IllegalArgumentException("reps: expected >= 1, got " + reps);
        return interleavedMinMedianMillis(warmup, 1, reps, List.of(r))[0];
    }

    /**
     * {min, median} in milliseconds per runner, of {@code rounds x perRound} timed runs each after
     * {@code warmup} untimed ones, the runners taking turns round by round (a, a, b, b, c, c, a, a,
     * ..., with a pause before each turn: {@link #settle}): on a shared machine whose speed drifts over seconds, every contender then meets the
     * same slow and fast spells, where one long block each gave the one that ran in the quiet
     * spell a better minimum.
     */
    public static double[][] interleavedMinMedianMillis(int warmup, int rounds, int perRound, List<? extends Runnable> runners) {
        if (rounds < 1 || perRound < 1) throw new IllegalArgumentException("rounds, perRound: expected >= 1, got " + rounds + ", " + perRound);
        for (Runnable r : runners)
            for (int i = 0; i < warmup; i++) r.run();
        double[][] ms = new double[runners.size()][rounds * perRound];
        for (int round = 0; round < rounds; round++) {
            for (int c = 0; c < runners.size(); c++) {
                if (runners.size() > 1) settle();
                for (int i = 0; i < perRound; i++) {
                    long t0 = System.nanoTime();
                    runners.get(c).run();
                    ms[c][round * perRound + i] = (System.nanoTime() - t0) / 1e6;
                }
            }
        }
        double[][] out = new double[runners.size()][];
        for (int c = 0; c < runners.size(); c++) {
            double[] v = ms[c];
            Arrays.sort(v);
            int n = v.length;
            out[c] = new double[] {v[0], n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2};
        }
        return out;
    }

    /**
     * A pause between two contenders' turns: the thread pools of ONNX Runtime and OpenCV (and
     * nativeext's) spin for a while after their last task before they block, and a spinning pool
     * took one of the two cores from whoever ran next (nativeext after OpenCV on two threads:
     * median 25-28 ms against a 22-23 ms minimum).
     */
    private static void settle() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The process's peak resident set so far (VmHWM of /proc/self/status), in MiB; NaN where that
     * file does not exist (not Linux). It covers the JVM heap and native memory (ORT, kernels).
     */
    public static double peakRssMb() {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) return Double.NaN;
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmHWM:")) {
                    // "VmHWM:   123456 kB"
                    String kb = line.substring(6).trim().split("\\s+")[0];
                    return Long.parseLong(kb) / 1024.0;
                }
            }
            return Double.NaN;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * An ORT CPU session for a serialized model: {@code threads} intra-op threads, one inter-op
     * thread, sequential execution and all graph optimizations, so that its thread count matches
     * the native kernel's it is compared with. The caller closes it.
     */
    public static OrtSession ortSession(byte[] model, int threads) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(threads);
            opts.setInterOpNumThreads(1);
            opts.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            // ORT's own per-node timings (a JSON trace per session, named <prefix><threads>_<date>.json):
            // where it is faster than nativeext layer by layer (compare bin/bench-resnet profile)
            String trace = System.getenv("NATIVEEXT_ORT_PROFILE");
            if (trace != null) opts.enableProfiling(trace + threads);
            return env.createSession(model, opts);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime could not load the model: " + e.getMessage(), e);
        }
    }

    /** Prints one line: the title, the cores the JVM sees, the Java version and the VM. */
    public static void header(PrintStream out, String title) {
        out.println("== " + title + " | cores=" + Runtime.getRuntime().availableProcessors()
                + " | java=" + System.getProperty("java.version")
                + " (" + System.getProperty("java.vm.name") + ")"
                + " | os.arch=" + System.getProperty("os.arch"));
    }
}
