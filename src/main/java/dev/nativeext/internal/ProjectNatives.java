package dev.nativeext.internal;

import dev.nativeext.error.ExtensionBuildException;
import dev.nativeext.NativeExtension;
import dev.nativeext.runtime.Platform;
import dev.nativeext.toolchain.ToolLocator;
import dev.nativeext.toolchain.ToolNotFoundException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * Builds nativeext's own op libraries with nativeext's own pipeline during the Maven build
 * ({@code process-classes}, as JavaCPP builds its own), one library per op, found by convention:
 *
 * <pre>
 * include/ne_&lt;op&gt;.h               the op's exported functions (with include/ne_status.h)
 * src/main/cpp/ne_&lt;op&gt;_*.c          its C99 sources (plus src/main/cpp/ne_status.c)
 * src/main/cuda/ne_&lt;op&gt;_*.cu        its CUDA sources (the -cuda variant only)
 * src/main/cpp/ne_&lt;op&gt;.build.properties   optional: cflags, ldflags, cudaflags (space-separated)
 * dev.nativeext.ops.&lt;Op&gt;Native      the static natives, checked against the headers
 * </pre>
 *
 * The CPU library lands in {@code <classes>/dev/nativeext/ops/linux-x86_64/libnativeext_<op>.so}
 * and the CUDA variant in {@code linux-x86_64-cuda/}, with the arch list it was built for.
 * Usage: {@code ProjectNatives <project folder> <classes folder>}.
 *
 * <p>{@code -Dnativeext.ops.cuda}: {@code true} (the default) builds the CUDA variants where nvcc
 * is found and, where it is not, builds the CPU libraries alone with one warning naming what was
 * skipped and how to get nvcc; {@code required} fails the build without nvcc, and so does
 * {@code true} on CI ({@code CI=true}, as CI services set it; {@code .ci/run} also passes
 * {@code required}), so that every CI run compiles every {@code .cu}; {@code false} builds the CPU
 * libraries alone.
 */
public final class ProjectNatives {

    private ProjectNatives() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]).toAbsolutePath();
        Path classes = Path.of(args[1]).toAbsolutePath();
        String nvccMissing = null;
        try {
            new ToolLocator(null).locate(ToolLocator.CUDA_COMPILER);
        } catch (ToolNotFoundException e) {
            nvccMissing = e.getMessage();
        }
        CudaPlan plan = CudaPlan.of(System.getProperty("nativeext.ops.cuda", "true"), "true".equalsIgnoreCase(System.getenv("CI")),
                nvccMissing);
        if (plan.message() != null) System.err.println(plan.message());
        if (plan.action() == CudaPlan.Action.FAIL) System.exit(1);
        boolean cuda = plan.action() == CudaPlan.Action.BUILD;
        try {
            for (String op : ops(root)) build(root, classes, op, cuda);
        } catch (ExtensionBuildException e) {
            System.err.println(e.getMessage());
            System.exit(1);
        }
    }

    /** What to do about the CUDA variants, and the one message that says so (null: nothing to say). */
    record CudaPlan(Action action, String message) {

        enum Action { BUILD, CPU_ONLY, SKIP_WITH_WARNING, FAIL }

        /**
         * @param setting     {@code -Dnativeext.ops.cuda}: true, required or false
         * @param ci          whether this is a CI run ({@code CI=true})
         * @param nvccMissing null when nvcc was found, else the locator's message (where it looked)
         */
        static CudaPlan of(String setting, boolean ci, String nvccMissing) {
            String s = setting == null ? "true" : setting.strip().toLowerCase(Locale.ROOT);
            if (!s.equals("true") && !s.equals("false") && !s.equals("required")) {
                return new CudaPlan(Action.FAIL, "-Dnativeext.ops.cuda must be true, required or false, got '" + setting + "'");
            }
            if (s.equals("false")) return new CudaPlan(Action.CPU_ONLY, null);
            if (nvccMissing == null) return new CudaPlan(Action.BUILD, null);
            String what = "the CUDA variants of nativeext's ops (dev/nativeext/ops/" + Platform.current()
                    + "-cuda/libnativeext_*.so)";
            String how = "install the CUDA toolkit (https://developer.nvidia.com/cuda-downloads; it puts nvcc in"
                    + " /usr/local/cuda/bin) or point to nvcc with NVCC=/path/to/nvcc";
            if (s.equals("required") || ci) {
                return new CudaPlan(Action.FAIL, "nvcc not found, and " + (s.equals("required") ? "-Dnativeext.ops.cuda=required"
                        : "CI=true") + " requires " + what + ": " + how + ". (" + nvccMissing + ")");
            }
            return new CudaPlan(Action.SKIP_WITH_WARNING, "WARNING: nvcc not found: skipped " + what + "; the CPU libraries"
                    + " are built and the tests that compile CUDA show as skipped. To build them, " + how
                    + "; -Dnativeext.ops.cuda=false silences this. (" + nvccMissing + ")");
        }
    }

    public static List<String> ops(Path root) throws IOException {
        try (Stream<Path> s = Files.list(root.resolve("include"))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("ne_") && n.endsWith(".h"))
                    .map(n -> n.substring(3, n.length() - 2)).filter(n -> !n.equals("status")).sorted().toList();
        }
    }

    /**
     * One op's files and flags by the convention above, paths relative to the project folder;
     * {@code cSources} starts with ne_status.c. Also read by the CUDA emulation test, so that both
     * agree on what an op is made of.
     */
    public record OpSources(String op, List<String> headers, List<String> cSources, List<String> cudaSources,
                            List<String> cflags, List<String> ldflags, List<String> cudaflags) {

        public static OpSources of(Path root, String op) throws IOException {
            Properties p = new Properties();
            Path props = root.resolve("src/main/cpp/ne_" + op + ".build.properties");
            if (Files.isRegularFile(props)) {
                try (InputStream in = Files.newInputStream(props)) {
                    p.load(in);
                }
            }
            List<String> c = new ArrayList<>(List.of("src/main/cpp/ne_status.c"));
            c.addAll(list(root, "src/main/cpp", "ne_" + op + "_", ".c"));
            return new OpSources(op, List.of("include/ne_status.h", "include/ne_" + op + ".h"), List.copyOf(c),
                    list(root, "src/main/cuda", "ne_" + op + "_", ".cu"), words(p, "cflags"), words(p, "ldflags"),
                    words(p, "cudaflags"));
        }
    }

    private static void build(Path root, Path classes, String op, boolean cuda) throws Exception {
        Class<?> natives = Class.forName("dev.nativeext.ops." + camel(op) + "Native", false, ProjectNatives.class.getClassLoader());
        OpSources src = OpSources.of(root, op);
        install(base(root, src, src.cSources()).create(), classes, natives);
        if (!cuda) return;
        List<String> all = new ArrayList<>(src.cSources());
        all.addAll(src.cudaSources());
        install(base(root, src, all).withCuda(true).extraCudaArgs(src.cudaflags()).create(), classes, natives);
    }

    private static NativeExtension.Builder base(Path root, OpSources src, List<String> sources) {
        List<String> cflags = new ArrayList<>(List.of("-Wall", "-Wextra", "-Werror=implicit-function-declaration"));
        cflags.addAll(src.cflags());
        return NativeExtension.builder("dev.nativeext.ops.nativeext_" + src.op()).headers(src.headers()).sources(sources)
                .relativeTo(root.toString()).extraCompileArgs(cflags).extraLinkArgs(src.ldflags());
    }

    private static void install(NativeExtension ext, Path classes, Class<?> natives) throws IOException {
        long t0 = System.nanoTime();
        Path lib = ext.installLibrary(classes, natives);
        if (ext.withCuda()) {
            // Read at run time to check a device's compute capability before the first launch.
            Files.writeString(lib.resolveSibling(ext.libraryName() + ".archs"), ext.cudaArchs().toString());
        }
        System.out.printf(Locale.ROOT, "[nativeext] %s%s -> %s: %s (%.1f s)%n", ext.libraryName(), ext.withCuda() ? " (CUDA)" : "",
                classes.relativize(lib), ext.lastReport(), (System.nanoTime() - t0) / 1e9);
    }

    private static List<String> list(Path root, String dir, String prefix, String suffix) throws IOException {
        Path d = root.resolve(dir);
        if (!Files.isDirectory(d)) return List.of();
        try (Stream<Path> s = Files.list(d)) {
            return s.map(x -> x.getFileName().toString()).filter(n -> n.startsWith(prefix) && n.endsWith(suffix)).sorted()
                    .map(n -> dir + "/" + n).toList();
        }
    }

    private static List<String> words(Properties p, String key) {
        String v = p.getProperty(key, "").strip();
        return v.isEmpty() ? List.of() : List.of(v.split("\\s+"));
    }

    static String camel(String op) {
        StringBuilder s = new StringBuilder();
        for (String w : op.split("_")) if (!w.isEmpty()) s.append(Character.toUpperCase(w.charAt(0))).append(w.substring(1));
        return s.toString();
    }
}
