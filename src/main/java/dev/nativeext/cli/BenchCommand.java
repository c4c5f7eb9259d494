package dev.nativeext.cli;

import dev.nativeext.NativeExtension;
import org.bytedeco.javacpp.FloatPointer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Build and call timings of the example extension (one header, one source):
 * cold build in a fresh JVM, cache hit in a fresh JVM, repeat in the same JVM, and the cost of
 * a call of {@code int f(int,int)} and of one with two {@code FloatPointer}s. Each fresh-JVM
 * figure is measured inside the child from {@code create} to the end of the first call.
 */
final class BenchCommand {

    private static final int RUNS = Integer.getInteger("bench.runs", 7);

    private BenchCommand() {
    }

    static int run(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("ops")) return OpsBench.run();
        if (args.length > 0 && args[0].equals("gpu")) return OpsBench.runGpu();
        Path dir = Path.of(System.getProperty("nativeext.home", "."), "examples", "vecmath").toAbsolutePath().normalize();
        Path cache = Files.createTempDirectory("nativeext-bench-cache");
        System.out.println("nativeext bench on " + Runtime.getRuntime().availableProcessors() + " cores, Java "
                + System.getProperty("java.version") + "; " + RUNS + " runs each, cache " + cache);
        // One throw-away build so the compiler's version is remembered, as on any machine that built once.
        child("cold", dir, cache, "warmup");

        List<Double> cold = new ArrayList<>();
        List<Double> coldWall = new ArrayList<>();
        List<Double> hit = new ArrayList<>();
        List<Double> hitWall = new ArrayList<>();
        for (int i = 0; i < RUNS; i++) {
            String id = "run" + i + "-" + System.nanoTime();
            JavaProcess.Result c = child("cold", dir, cache, id);
            cold.add(value(c));
            coldWall.add(c.wallMillis());
            JavaProcess.Result h = child("hit", dir, cache, id);
            hit.add(value(h));
            hitWall.add(h.wallMillis());
        }
        JavaProcess.Result repeat = child("repeat", dir, cache, "warmup");
        print("cold build, fresh JVM, create -> first call", cold, "ms");
        print("  (whole process, JVM start included)", coldWall, "ms");
        print("cache hit, fresh JVM, create -> first call", hit, "ms");
        print("  (whole process, JVM start included)", hitWall, "ms");
        System.out.printf(Locale.ROOT, "%-48s %s ms (median of 1000)%n", "repeat in the same JVM, create -> call", repeat.output().strip().replace("ms=", ""));
        calls(dir, cache);
        if (!Boolean.getBoolean("bench.skipAnchor")) {
            Class<?> anchor = JavaCppAnchor.build(dir, Files.createTempDirectory("nativeext-bench-javacpp"));
            JavaCppAnchor.calls(anchor, 100_000_000L);
        }
        dev.nativeext.cache.BuildCache.deleteTree(cache);
        return 0;
    }

    private static JavaProcess.Result child(String mode, Path dir, Path cache, String id) throws Exception {
        JavaProcess.Result r = JavaProcess.run(List.of(), "bench-child", mode, dir.toString(), cache.toString(), id);
        if (r.exitCode() != 0) throw new IllegalStateException("bench child failed:\n" + r.output());
        return r;
    }

    private static double value(JavaProcess.Result r) {
        return r.output().lines().filter(l -> l.startsWith("ms=")).mapToDouble(l -> Double.parseDouble(l.substring(3))).findFirst()
                .orElseThrow(() -> new IllegalStateException("no timing in: " + r.output()));
    }

    private static void print(String what, List<Double> xs, String unit) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        System.out.printf(Locale.ROOT, "%-48s median %.1f %s (min %.1f, max %.1f)%n", what, a[a.length / 2], unit, a[0], a[a.length - 1]);
    }

    private static NativeExtension ext(Path dir, Path cache, String id) {
        return NativeExtension.builder("ext.vecmath").headers("vecmath.h").sources("vecmath.c").relativeTo(dir.toString())
                .defineMacro("NATIVEEXT_BENCH_RUN", id.replaceAll("\\W", "_")).cacheDir(cache).create();
    }

    /** In the child JVM. */
    static int child(String[] args) {
        String mode = args[0];
        Path dir = Path.of(args[1]);
        Path cache = Path.of(args[2]);
        String id = args[3];
        if (mode.equals("repeat")) {
            ext(dir, cache, id).load(ExampleCommand.VecMath.class).vm_add(1, 2);
            double[] t = new double[1000];
            for (int i = 0; i < t.length; i++) {
                long t0 = System.nanoTime();
                ext(dir, cache, id).load(ExampleCommand.VecMath.class).vm_add(1, 2);
                t[i] = (System.nanoTime() - t0) / 1e6;
            }
            Arrays.sort(t);
            System.out.printf(Locale.ROOT, "ms=%.3f%n", t[t.length / 2]);
            return 0;
        }
        long t0 = System.nanoTime();
        NativeExtension ext = ext(dir, cache, id);
        int r = ext.load(ExampleCommand.VecMath.class).vm_add(1, 2);
        double ms = (System.nanoTime() - t0) / 1e6;
        String expected = mode.equals("cold") ? "BUILT" : "DISK";
        if (r != 3 || !ext.lastReport().source().name().equals(expected)) {
            System.out.println("unexpected: result " + r + ", " + ext.lastReport());
            return 1;
        }
        System.out.printf(Locale.ROOT, "ms=%.1f%n", ms);
        return 0;
    }

    private static void calls(Path dir, Path cache) {
        ExampleCommand.VecMath lib = ext(dir, cache, "warmup").load(ExampleCommand.VecMath.class);
        try (FloatPointer x = new FloatPointer(1f); FloatPointer y = new FloatPointer(0f)) {
            long n = 100_000_000L;
            for (int round = 0; round < 3; round++) {
                long t0 = System.nanoTime();
                int acc = 0;
                for (long i = 0; i < n; i++) acc += lib.vm_add((int) i, 1);
                double add = (System.nanoTime() - t0) / (double) n;
                t0 = System.nanoTime();
                for (long i = 0; i < n / 4; i++) lib.vm_saxpy(1, 1e-9f, x, y);
                double saxpy = (System.nanoTime() - t0) / (double) (n / 4);
                if (round == 2) {
                    System.out.printf(Locale.ROOT, "%-48s %.2f ns (loop of %d calls, third round; checksum %d)%n",
                            "call int vm_add(int, int)", add, n, acc);
                    System.out.printf(Locale.ROOT, "%-48s %.2f ns (loop of %d calls, third round)%n",
                            "call vm_saxpy(1, a, FloatPointer, FloatPointer)", saxpy, n / 4);
                }
            }
        }
    }
}
