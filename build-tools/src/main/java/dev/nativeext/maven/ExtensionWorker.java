package dev.nativeext.maven;

import dev.nativeext.BuildReport;
import dev.nativeext.error.Diagnostic;
import dev.nativeext.error.ExtensionBuildException;
import dev.nativeext.NativeExtension;
import dev.nativeext.runtime.Platform;
import dev.nativeext.toolchain.ToolLocator;
import dev.nativeext.toolchain.ToolNotFoundException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What {@code nativeext:build} does, without Maven: maps each {@link Extension} onto
 * {@link NativeExtension.Builder}, builds it (or takes it from the library's cache), writes the
 * static binding's source and installs the library beside the class in JavaCPP's layout:
 * {@code <package path>/<platform>/lib<name>.so}, and {@code <platform>-cuda/} for the CUDA variant.
 *
 * <p>A {@code withCuda} extension gives two variants: the CPU one (its {@code .c} sources, without
 * {@code WITH_CUDA}) in {@code <platform>/} and the CUDA one (every source, built with nvcc) in
 * {@code <platform>-cuda/}. The generated class loads the CUDA variant where the NVIDIA driver is
 * installed and the CPU one elsewhere, either one when it is the only one, and
 * {@code -Dnativeext.cuda.variant=true|false} forces the choice (see {@code PackagedLibrary}).
 * Without nvcc the CUDA variant fails the build, or, when the extension is {@code cudaOptional},
 * is skipped with a warning.
 *
 * <p>Files are written only when their content changes, so an unchanged rebuild touches nothing
 * and (the library's cache hitting) runs no compiler.
 *
 * @since 0.1.0
 */
public final class ExtensionWorker {

    /** Where messages go (Maven's log in the plugin). */
    public interface Log {
        void info(String message);

        void warn(String message);
    }

    /** A build failed; the message starts with the first error's {@code file:line:column}. */
    public static final class BuildFailure extends Exception {
        public BuildFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** One installed variant. */
    public record Installed(String extension, String variant, BuildReport report, Path library, Path source) {
    }

    private final Path baseDir;
    private final Path generatedSources;
    private final Path classesDir;
    private final Path cacheDir;
    private final boolean verbose;
    private final Supplier<String> nvccMissing;
    private final Log log;

    /**
     * @param baseDir          the project folder: default {@code relativeTo}, and what a relative one resolves against
     * @param generatedSources where binding sources go (a compile source root)
     * @param classesDir       where the natives go (the classes folder that ends up in the jar)
     * @param cacheDir         the extension cache, or {@code null} for the library's default
     * @param verbose          print every compiler command
     * @param nvccMissing      {@code null} when nvcc is usable, else why not; see {@link #locateNvcc()}
     * @param log              where messages go
     */
    public ExtensionWorker(Path baseDir, Path generatedSources, Path classesDir, Path cacheDir, boolean verbose,
                           Supplier<String> nvccMissing, Log log) {
        this.baseDir = baseDir.toAbsolutePath().normalize();
        this.generatedSources = generatedSources;
        this.classesDir = classesDir;
        this.cacheDir = cacheDir;
        this.verbose = verbose;
        this.nvccMissing = nvccMissing;
        this.log = log;
    }

    /** The default nvcc probe: {@code null} when nvcc is found ({@code NVCC}, {@code -Dnativeext.nvcc}, PATH, /usr/local/cuda/bin), else the reason. */
    public static String locateNvcc() {
        try {
            new ToolLocator(null).locate(ToolLocator.CUDA_COMPILER);
            return null;
        } catch (ToolNotFoundException e) {
            return e.getMessage();
        }
    }

    /** Builds and installs every extension, in order; stops at the first failure. */
    public List<Installed> buildAll(List<Extension> extensions) throws BuildFailure {
        List<Installed> out = new ArrayList<>();
        for (Extension e : extensions) out.addAll(build(e));
        return out;
    }

    /** Builds and installs one extension: its CPU variant and, when it declares CUDA, its CUDA variant. */
    public List<Installed> build(Extension e) throws BuildFailure {
        String name = e.getName();
        if (name == null || name.isBlank()) throw new BuildFailure("an <extension> has no <name> (e.g. ext.my_lib)", null);
        List<Installed> out = new ArrayList<>();
        if (e.isWithCuda()) {
            String missing = nvccMissing.get();
            if (missing != null && !e.isCudaOptional()) {
                throw new BuildFailure("extension '" + name + "' declares withCuda but nvcc is not usable: " + missing
                        + ". Install the CUDA toolkit, or set <cudaOptional>true</cudaOptional> to build the CPU variant only.", null);
            }
            out.add(variant(e, false));
            if (missing != null) {
                log.warn(name + ": CUDA variant skipped (cudaOptional): nvcc is not usable, so " + cudaSources(e)
                        + " were not compiled and " + Platform.current() + "-cuda/ was not packed; only the CPU variant is. ("
                        + missing + ")");
            } else {
                out.add(variant(e, true));
            }
        } else {
            out.add(variant(e, false));
        }
        return out;
    }

    /** The builder for one variant: the POM's fields, paths resolved against the project folder. */
    public NativeExtension.Builder builder(Extension e, boolean cuda) {
        NativeExtension.Builder b = NativeExtension.builder(e.getName())
                .headers(e.getHeaders())
                .sources(cuda ? e.getSources() : e.getSources().stream().filter(s -> !s.endsWith(".cu")).toList())
                .withCuda(cuda)
                .packageMode(e.isPackageMode())
                .relativeTo(relativeTo(e))
                .includeDirs(e.getIncludeDirs()).libraryDirs(e.getLibraryDirs()).libraries(e.getLibraries())
                .defineMacros(macros(e.getDefineMacros()))
                .extraCompileArgs(e.getExtraCompileArgs()).extraLinkArgs(e.getExtraLinkArgs())
                .extraObjects(e.getExtraObjects())
                .verbose(verbose);
        if (cacheDir != null) b.cacheDir(cacheDir);
        if (cuda) {
            if (e.getCudaArchs() != null && !e.getCudaArchs().isBlank()) b.cudaArchs(e.getCudaArchs().trim());
            b.extraCudaArgs(e.getExtraCudaArgs());
        }
        return b;
    }

    private Installed variant(Extension e, boolean cuda) throws BuildFailure {
        String platform = Platform.current() + (cuda ? "-cuda" : "");
        NativeExtension ext;
        try {
            ext = builder(e, cuda).create().build();
        } catch (ExtensionBuildException x) {
            throw new BuildFailure(failureMessage(e.getName(), platform, x), x);
        } catch (IllegalArgumentException x) {
            throw new BuildFailure("extension '" + e.getName() + "': " + x.getMessage(), x);
        }
        Path source = ext.writeBindingSource(generatedSources);
        Path lib = ext.installLibrary(classesDir);
        BuildReport r = ext.lastReport();
        log.info(e.getName() + " [" + platform + "]: " + r + " -> " + classesDir.relativize(lib));
        return new Installed(e.getName(), platform, r, lib, source);
    }

    /** First error's {@code file:line:column: error: message} first, then the library's full message. */
    static String failureMessage(String name, String platform, ExtensionBuildException x) {
        Diagnostic first = x.firstError();
        String head = first != null ? first + "\n" : "";
        return head + "extension '" + name + "' [" + platform + "] failed to build: " + x.getMessage();
    }

    private String relativeTo(Extension e) {
        String r = e.getRelativeTo();
        return (r == null || r.isBlank() ? baseDir : baseDir.resolve(r)).normalize().toString();
    }

    private static Map<String, String> macros(Map<String, String> m) {
        Map<String, String> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, v == null || v.isBlank() ? null : v.trim()));
        return out;
    }

    private static List<String> cudaSources(Extension e) {
        return e.getSources().stream().filter(s -> s.endsWith(".cu")).toList();
    }
}
