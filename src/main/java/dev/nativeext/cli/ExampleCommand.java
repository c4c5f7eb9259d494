package dev.nativeext.cli;

import dev.nativeext.NativeExtension;
import org.bytedeco.javacpp.FloatPointer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The main job: builds {@code examples/vecmath} the way a user would, calls it, then loads it
 * again in a fresh JVM to show the cache hit.
 */
final class ExampleCommand {

    /** Mirrors examples/vecmath/vecmath.h; checked against it by {@code load}. */
    public interface VecMath {
        int vm_add(int a, int b);

        void vm_saxpy(long n, float a, FloatPointer x, FloatPointer y);

        double vm_dot(long n, double[] x, double[] y);

        String vm_version();
    }

    private ExampleCommand() {
    }

    static int run(String[] args) throws Exception {
        Path dir = exampleDir(args);
        Path cache = Files.createTempDirectory("nativeext-example-cache");
        System.out.println("nativeext example: " + dir.resolve("vecmath.h") + " + vecmath.c");
        System.out.println("cache folder (fresh, so the first build is cold): " + cache);

        long t0 = System.nanoTime();
        NativeExtension ext = NativeExtension.builder("ext.vecmath").headers("vecmath.h").sources("vecmath.c")
                .relativeTo(dir.toString()).cacheDir(cache).create();
        VecMath lib = ext.load(VecMath.class);
        int sum = lib.vm_add(2, 3);
        double ms = (System.nanoTime() - t0) / 1e6;
        System.out.printf("cold build, create -> first call: %.0f ms (%s)%n", ms, ext.lastReport());
        System.out.println("  library: " + ext.lastReport().library());
        exercise(lib, sum);

        JavaProcess.Result hit = JavaProcess.run(List.of(), "example-call", dir.toString(), cache.toString());
        System.out.print(hit.output().lines().map(l -> "  " + l + "\n").reduce("", String::concat));
        if (hit.exitCode() != 0) return hit.exitCode();
        System.out.printf("fresh JVM (process wall %.0f ms, JVM start included)%n", hit.wallMillis());

        long t1 = System.nanoTime();
        ext.load(VecMath.class).vm_add(1, 1);
        System.out.printf("same JVM again, create -> call: %.2f ms (%s)%n", (System.nanoTime() - t1) / 1e6, ext.lastReport());
        // The demo's cache is its own; a real program keeps using the default one.
        dev.nativeext.cache.BuildCache.deleteTree(cache);
        return 0;
    }

    private static void exercise(VecMath lib, int sum) {
        System.out.println("  vm_add(2, 3) = " + sum);
        try (FloatPointer x = new FloatPointer(1f, 2f, 3f, 4f); FloatPointer y = new FloatPointer(10f, 10f, 10f, 10f)) {
            lib.vm_saxpy(4, 0.5f, x, y);
            System.out.printf("  vm_saxpy(4, 0.5, [1 2 3 4], [10 10 10 10]) -> [%s %s %s %s]%n", y.get(0), y.get(1), y.get(2), y.get(3));
        }
        System.out.println("  vm_dot([1 2 3], [4 5 6]) = " + lib.vm_dot(3, new double[]{1, 2, 3}, new double[]{4, 5, 6}));
        System.out.println("  vm_version() = " + lib.vm_version());
    }

    /** Child process: create -> load -> first call against an existing cache. */
    static int callInFreshJvm(String[] args) {
        long t0 = System.nanoTime();
        NativeExtension ext = NativeExtension.builder("ext.vecmath").headers("vecmath.h").sources("vecmath.c")
                .relativeTo(args[0]).cacheDir(Path.of(args[1])).create();
        int sum = ext.load(VecMath.class).vm_add(2, 3);
        System.out.printf("fresh JVM, create -> first call: %.0f ms (%s), vm_add(2, 3) = %d%n",
                (System.nanoTime() - t0) / 1e6, ext.lastReport(), sum);
        return 0;
    }

    private static Path exampleDir(String[] args) {
        if (args.length > 0) return Path.of(args[0]).toAbsolutePath();
        String home = System.getProperty("nativeext.home", ".");
        Path p = Path.of(home, "examples", "vecmath").toAbsolutePath().normalize();
        if (!Files.isDirectory(p)) throw new IllegalArgumentException("examples/vecmath not found under " + Path.of(home).toAbsolutePath());
        return p;
    }
}
