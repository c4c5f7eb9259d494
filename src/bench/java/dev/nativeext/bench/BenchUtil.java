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
        for (int i = 0; i < warmup; i++) r.run();
        double[] ms = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            r.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return new double[]{ms[0], reps % 2 == 1 ? ms[reps / 2] : (ms[reps / 2 - 1] + ms[reps / 2]) / 2};
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
