package dev.nativeext.internal;

import dev.nativeext.ExtensionBuildException;
import dev.nativeext.NativeExtension;
import dev.nativeext.toolchain.ToolLocator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Builds nativeext's own natives with nativeext's own pipeline, during the Maven build
 * ({@code process-classes}, as JavaCPP builds its own): every header in {@code include/} bound to
 * the static natives of {@code dev.nativeext.ops.OpsNative}, the C99 sources of
 * {@code src/main/cpp/} into the CPU library, and those plus {@code src/main/cuda/} into the
 * {@code linux-x86_64-cuda} variant. Both land beside the class in the output folder, so the jar
 * carries them and its users need no compiler.
 *
 * <p>Usage: {@code ProjectNatives <project folder> <classes folder>}. Without nvcc the build
 * fails, unless {@code -Dnativeext.ops.cuda=false} says to ship the CPU library alone.
 */
public final class ProjectNatives {

    static final String NATIVES_CLASS = "dev.nativeext.ops.OpsNative";
    static final String LIBRARY = "dev.nativeext.ops.nativeext_ops";

    private ProjectNatives() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]).toAbsolutePath();
        Path classes = Path.of(args[1]).toAbsolutePath();
        Class<?> natives = Class.forName(NATIVES_CLASS, false, ProjectNatives.class.getClassLoader());
        List<String> headers = list(root.resolve("include"), ".h");
        List<String> c = list(root.resolve("src/main/cpp"), ".c");
        List<String> cu = list(root.resolve("src/main/cuda"), ".cu");
        try {
            install(base(root, headers, c).create(), classes, natives);
            if (!Boolean.parseBoolean(System.getProperty("nativeext.ops.cuda", "true"))) {
                System.out.println("[nativeext] -Dnativeext.ops.cuda=false: no CUDA variant built");
                return;
            }
            if (new ToolLocator(null).locateOrNull(ToolLocator.CUDA_COMPILER) == null) {
                throw new IllegalStateException("nvcc not found, so the CUDA variant of nativeext's ops cannot be built;"
                        + " install the CUDA toolkit (NVCC=/path/to/nvcc), or build with -Dnativeext.ops.cuda=false");
            }
            List<String> all = new ArrayList<>(c);
            all.addAll(cu);
            install(base(root, headers, all).withCuda(true).create(), classes, natives);
        } catch (ExtensionBuildException e) {
            System.err.println(e.getMessage());
            System.exit(1);
        }
    }

    private static NativeExtension.Builder base(Path root, List<String> headers, List<String> sources) {
        return NativeExtension.builder(LIBRARY).headers(headers).sources(sources).relativeTo(root.toString())
                .extraCompileArgs(List.of("-Wall", "-Wextra", "-Werror=implicit-function-declaration"));
    }

    private static void install(NativeExtension ext, Path classes, Class<?> natives) throws IOException {
        long t0 = System.nanoTime();
        Path lib = ext.installLibrary(classes, natives);
        if (ext.withCuda()) {
            // Read at run time to check a device's compute capability before the first launch.
            Files.writeString(lib.resolveSibling("nativeext_ops.archs"), ext.cudaArchs().toString());
        }
        System.out.printf("[nativeext] %s -> %s: %s (%.1f s)%n", ext.withCuda() ? "ops, CUDA variant" : "ops, CPU",
                classes.relativize(lib), ext.lastReport(), (System.nanoTime() - t0) / 1e9);
    }

    private static List<String> list(Path dir, String suffix) throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(suffix)).sorted()
                    .map(n -> dir.getFileName().toString().equals("include") ? "include/" + n
                            : dir.getParent().getFileName() + "/" + dir.getFileName() + "/" + n)
                    .map(n -> n.startsWith("main/") ? "src/" + n : n)
                    .toList();
        }
    }
}
