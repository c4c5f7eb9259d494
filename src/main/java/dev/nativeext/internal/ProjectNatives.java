package dev.nativeext.internal;

import dev.nativeext.ExtensionBuildException;
import dev.nativeext.NativeExtension;
import dev.nativeext.toolchain.ToolLocator;

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
 * Usage: {@code ProjectNatives <project folder> <classes folder>}. Without nvcc the build fails,
 * unless {@code -Dnativeext.ops.cuda=false} says to ship the CPU libraries alone.
 */
public final class ProjectNatives {

    private ProjectNatives() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]).toAbsolutePath();
        Path classes = Path.of(args[1]).toAbsolutePath();
        boolean cuda = Boolean.parseBoolean(System.getProperty("nativeext.ops.cuda", "true"));
        if (cuda && new ToolLocator(null).locateOrNull(ToolLocator.CUDA_COMPILER) == null) {
            System.err.println("nvcc not found, so the CUDA variants of nativeext's ops cannot be built; install the CUDA"
                    + " toolkit (NVCC=/path/to/nvcc), or build with -Dnativeext.ops.cuda=false");
            System.exit(1);
        }
        try {
            for (String op : ops(root)) build(root, classes, op, cuda);
        } catch (ExtensionBuildException e) {
            System.err.println(e.getMessage());
            System.exit(1);
        }
    }

    static List<String> ops(Path root) throws IOException {
        try (Stream<Path> s = Files.list(root.resolve("include"))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("ne_") && n.endsWith(".h"))
                    .map(n -> n.substring(3, n.length() - 2)).filter(n -> !n.equals("status")).sorted().toList();
        }
    }

    private static void build(Path root, Path classes, String op, boolean cuda) throws Exception {
        Class<?> natives = Class.forName("dev.nativeext.ops." + camel(op) + "Native", false, ProjectNatives.class.getClassLoader());
        Properties p = new Properties();
        Path props = root.resolve("src/main/cpp/ne_" + op + ".build.properties");
        if (Files.isRegularFile(props)) {
            try (InputStream in = Files.newInputStream(props)) {
                p.load(in);
            }
        }
        List<String> headers = List.of("include/ne_status.h", "include/ne_" + op + ".h");
        List<String> c = new ArrayList<>(List.of("src/main/cpp/ne_status.c"));
        c.addAll(list(root, "src/main/cpp", "ne_" + op + "_", ".c"));
        install(base(root, op, headers, c, p).create(), classes, natives);
        if (!cuda) return;
        List<String> all = new ArrayList<>(c);
        all.addAll(list(root, "src/main/cuda", "ne_" + op + "_", ".cu"));
        install(base(root, op, headers, all, p).withCuda(true).extraCudaArgs(words(p, "cudaflags")).create(), classes, natives);
    }

    private static NativeExtension.Builder base(Path root, String op, List<String> headers, List<String> sources, Properties p) {
        List<String> cflags = new ArrayList<>(List.of("-Wall", "-Wextra", "-Werror=implicit-function-declaration"));
        cflags.addAll(words(p, "cflags"));
        return NativeExtension.builder("dev.nativeext.ops.nativeext_" + op).headers(headers).sources(sources)
                .relativeTo(root.toString()).extraCompileArgs(cflags).extraLinkArgs(words(p, "ldflags"));
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
