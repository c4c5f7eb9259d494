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
        double[][] ms = interleavedMillis(warmup, rounds, perRound, runners);
        double[][] out = new double[runners.size()][];
        for (int c = 0; c < runners.size(); c++) out[c] = minMedian(ms[c]);
        return out;
    }

    /** {min, median} of timings. */
    public static double[] minMedian(double[] ms) {
        double[] v = ms.clone();
        Arrays.sort(v);
        return new double[] {v[0], median(v)};
    }

    /**
     * The timings behind {@link #interleavedMinMedianMillis}: per runner, its {@code rounds x
     * perRound} times in milliseconds in the order run (round r's passes at {@code [r * perRound,
     * (r + 1) * perRound)}), for statistics that pair two runners' passes of the same round.
     */
    public static double[][] interleavedMillis(int warmup, int rounds, int perRound, List<? extends Runnable> runners) {
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
        return ms;
    }

    /**
     * The median over the rounds of {@code a}'s fastest pass in a round divided by {@code b}'s in
     * the same round ({@link #interleavedMillis}' layout, {@code perRound} passes a round): a
     * speed ratio of two runners that pairs passes from the same spell of a shared host, where
     * the ratio of the two overall minima pairs each runner's single luckiest pass, which may come
     * from different spells.
     */
    public static double medianRoundRatio(double[] a, double[] b, int perRound) {
        if (a.length != b.length || perRound < 1 || a.length % perRound != 0)
            throw new IllegalArgumentException("timings of " + a.length + " and " + b.length + " passes, " + perRound + " a round");
        double[] ratios = new double[a.length / perRound];
        for (int r = 0; r < ratios.length; r++) {
            double ma = Double.MAX_VALUE, mb = Double.MAX_VALUE;
            for (int i = r * perRound; i < (r + 1) * perRound; i++) {
                ma = Math.min(ma, a[i]);
                mb = Math.min(mb, b[i]);
            }
            ratios[r] = ma / mb;
        }
        Arrays.sort(ratios);
        return median(ratios);
    }

    /** The median of sorted values. */
    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
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
