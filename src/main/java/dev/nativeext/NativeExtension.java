package dev.nativeext;

import dev.nativeext.binding.Binding;
import dev.nativeext.binding.BindingResolver;
import dev.nativeext.binding.BindingSourceWriter;
import dev.nativeext.cache.BuildCache;
import dev.nativeext.error.ExtensionBuildException;
import dev.nativeext.header.CFunction;
import dev.nativeext.runtime.BindingClassLoader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A native extension: C headers of exported functions plus C99 sources, compiled into a cached
 * JNI library with a typed Java binding; the JVM's {@code torch.utils.ffi.create_extension}.
 *
 * <pre>{@code
 * public interface MyLib { int add(int a, int b); void scale(long n, float k, FloatPointer x); }
 *
 * MyLib lib = NativeExtension.create("ext.my_lib", List.of("include/my_lib.h"),
 *         List.of("src/my_lib.c"), false, false, "build.gradle").load(MyLib.class);
 * lib.add(2, 3);
 * }</pre>
 *
 * <p><b>Names.</b> {@code name} is dotted, e.g. {@code ext.my_lib}. In plain mode the binding class is
 * the parent package plus the last component in UpperCamelCase ({@code ext.MyLib}); in package mode
 * the whole name is the package ({@code ext.my_lib.MyLib}). The library is {@code libmy_lib*.so}.
 *
 * <p><b>Paths.</b> {@code relativeTo} is the path of the build file (its folder is used) or a folder;
 * headers, sources, include and library folders and extra objects are resolved against it, and
 * absolute paths stay as they are.
 *
 * <p><b>Cache.</b> Built libraries live in a persistent cache keyed on the SHA-256 of every input
 * (headers, sources and the local headers they include, flags, compiler identity and version,
 * JavaCPP's and this project's versions): {@code -Dnativeext.cache.dir}, else
 * {@code $NATIVEEXT_CACHE_DIR}, else {@code $XDG_CACHE_HOME/nativeext}, else {@code ~/.cache/nativeext}.
 * A hit runs no compiler. Builds of one key are serialised across processes by an OS file lock.
 *
 * <p>Thread-safe. Build failures are {@link ExtensionBuildException}s with file:line diagnostics;
 * bad arguments and missing files are {@link IllegalArgumentException}s naming the value.
 */
public final class NativeExtension {

    private static final Map<String, Object> LOADED = new ConcurrentHashMap<>();

    private final ExtensionSpec spec;
    private final BuildPipeline pipeline;
    private volatile BuildReport lastReport;
    private volatile Path library;

    private NativeExtension(ExtensionSpec spec) {
        this.spec = spec;
        this.pipeline = new BuildPipeline(spec);
    }

    /**
     * The create_extension signature.
     *
     * @param name        dotted name, e.g. {@code ext.my_lib}
     * @param headers     headers of exported functions (the declarations to bind)
     * @param sources     C99 sources ({@code .c})
     * @param withCuda    whether the extension uses CUDA
     * @param packageMode the naming of package mode (see the class comment)
     * @param relativeTo  the build file or folder that relative paths are resolved against
     */
    public static NativeExtension create(String name, List<String> headers, List<String> sources, boolean withCuda,
                                         boolean packageMode, String relativeTo) {
        return builder(name).headers(headers).sources(sources).withCuda(withCuda).packageMode(packageMode)
                .relativeTo(relativeTo).create();
    }

    /** A builder for create_extension's keyword arguments. */
    public static Builder builder(String name) {
        ExtensionNames.validate(name);
        return new Builder(name);
    }

    public String name() {
        return spec.name();
    }

    /** Binary name of the static binding class, e.g. {@code ext.MyLib}. */
    public String bindingClassName() {
        return spec.className();
    }

    /** The library's base name, e.g. {@code my_lib} for {@code libmy_lib.so}. */
    public String libraryName() {
        return spec.libraryName();
    }

    public boolean withCuda() {
        return spec.withCuda();
    }

    /** The CUDA architectures built, or {@code null} for an extension without CUDA. */
    public dev.nativeext.toolchain.CudaArchs cudaArchs() {
        return spec.cudaArchs();
    }

    public boolean packageMode() {
        return spec.packageMode();
    }

    /** The functions the headers declare, in order. */
    public List<CFunction> functions() {
        return pipeline.functions();
    }

    /** How the last {@link #build()} or {@link #load} obtained its library; {@code null} before any. */
    public BuildReport lastReport() {
        return lastReport;
    }

    /**
     * Compiles and links the static binding's library, or finds it in the cache, like
     * {@code ffi.build()}. Compile errors are thrown as {@link ExtensionBuildException}.
     */
    public NativeExtension build() {
        BuildPipeline.Library lib = pipeline.library(staticBinding());
        library = lib.library();
        lastReport = lib.report();
        return this;
    }

    /** The static binding's library (building it if needed). */
    public Path libraryPath() {
        if (library == null) build();
        return library;
    }

    /**
     * Builds (or finds) the library for {@code api} and returns an implementation whose methods
     * call the native functions directly. The interface is checked against the headers first:
     * every abstract method must name a declared function with types that can carry its C
     * types (pointers: a JavaCPP pointer of the element type, {@code Pointer}, a direct NIO buffer,
     * a primitive array, a {@code long} address, and {@code String} for {@code const char*}).
     *
     * @throws dev.nativeext.binding.BindingMismatchException naming each mismatching function,
     *         its header line and both signatures
     */
    public <T> T load(Class<T> api) {
        if (api == null) throw new IllegalArgumentException("load: api is null; expected the public interface that mirrors the header");
        long t0 = System.nanoTime();
        Binding b = BindingResolver.forInterface(spec.className() + "$$nativeext", api, functions());
        String key = BuildPipeline.libraryKey(pipeline.extensionKey(), b);
        Object loaded = LOADED.get(key);
        if (loaded != null) {
            lastReport = new BuildReport(BuildReport.Source.JVM, key, null, 0, 0, (System.nanoTime() - t0) / 1e6);
            return api.cast(loaded);
        }
        synchronized (LOADED) {
            loaded = LOADED.get(key);
            if (loaded == null) {
                BuildPipeline.Library lib = pipeline.library(b);
                requireKernelImageOnSomeDevice();
                loaded = instantiate(b, lib, api);
                LOADED.put(key, loaded);
                lastReport = lib.report();
            } else {
                lastReport = new BuildReport(BuildReport.Source.JVM, key, null, 0, 0, (System.nanoTime() - t0) / 1e6);
            }
        }
        return api.cast(loaded);
    }

    /**
     * For a CUDA extension on a machine with usable GPUs: fails now, naming the arch list and the
     * devices' capabilities, if none of them can run the built kernels, instead of CUDA's "no
     * kernel image is available" at the first launch. Machines without a driver are not probed.
     */
    private void requireKernelImageOnSomeDevice() {
        if (!spec.withCuda() || !dev.nativeext.runtime.NvidiaDriver.present() || !dev.nativeext.tensor.Cuda.isAvailable()) return;
        dev.nativeext.tensor.CudaException last = null;
        for (int i = 0; i < dev.nativeext.tensor.Cuda.deviceCount(); i++) {
            try {
                dev.nativeext.tensor.Cuda.requireKernelImage(spec.cudaArchs(), dev.nativeext.tensor.Device.cuda(i), spec.name());
                return;
            } catch (dev.nativeext.tensor.CudaException e) {
                last = e;
            }
        }
        if (last != null) throw last;
    }

    private static Object instantiate(Binding b, BuildPipeline.Library lib, Class<?> api) {
        try {
            byte[] bytes = Files.readAllBytes(lib.classFile());
            Class<?> c = new BindingClassLoader(api.getClassLoader()).define(b.className(), bytes);
            return c.getConstructor().newInstance();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the binding class of " + lib.library(), e);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot instantiate the binding of " + api.getName(), e);
        } catch (UnsatisfiedLinkError | ExceptionInInitializerError e) {
            throw new ExtensionBuildException("cannot load " + lib.library() + ": " + e.getMessage(), e);
        }
    }

    /** The static binding (one {@code public static native} method per function). */
    public Binding staticBinding() {
        return BindingResolver.canonical(spec.className(), functions());
    }

    /**
     * Writes the static binding as Java source under {@code sourceRoot} (package folders
     * included) and returns the file. Its static initialiser loads {@code lib<libraryName>.so}
     * packed next to the class in JavaCPP's layout; see {@code dev.nativeext.runtime.PackagedLibrary}.
     */
    public Path writeBindingSource(Path sourceRoot) {
        Binding b = staticBinding();
        Path file = sourceRoot.resolve(b.className().replace('.', '/') + ".java");
        try {
            Files.createDirectories(file.getParent());
            String text = BindingSourceWriter.write(b, spec.libraryName());
            // Unchanged content keeps its timestamp, so incremental compilers skip it.
            if (!Files.isRegularFile(file) || !Files.readString(file).equals(text)) Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
        return file;
    }

    /**
     * Builds the static binding's library (or takes it from the cache) and copies it to
     * {@code <classesRoot>/<package path>/<platform>/lib<name>.so}, where the class written by
     * {@link #writeBindingSource} looks for it, inside a jar or not. The copy is replaced only
     * when its content differs, so an unchanged rebuild leaves the file untouched.
     *
     * @return the installed file
     */
    public Path installLibrary(Path classesRoot) {
        return install(classesRoot, staticBinding(), libraryPath());
    }

    /**
     * Like {@link #installLibrary(Path)}, for a hand-written class whose {@code static native}
     * methods bind the headers' functions (checked against them): the library gets that class's
     * JNI glue and is installed beside it, in the {@code <platform>-cuda} folder for an extension
     * declared withCuda.
     */
    public Path installLibrary(Path classesRoot, Class<?> nativesClass) {
        Binding b = BindingResolver.forStaticClass(nativesClass, functions());
        BuildPipeline.Library lib = pipeline.library(b);
        lastReport = lib.report();
        return install(classesRoot, b, lib.library());
    }

    private Path install(Path classesRoot, Binding b, Path lib) {
        String pkg = b.packageName().replace('.', '/');
        String platform = dev.nativeext.runtime.Platform.current() + (spec.withCuda() ? "-cuda" : "");
        Path target = classesRoot.resolve(pkg).resolve(platform)
                .resolve(dev.nativeext.runtime.Platform.libraryFileName(spec.libraryName()));
        try {
            Files.createDirectories(target.getParent());
            if (Files.isRegularFile(target) && Files.mismatch(target, lib) == -1) return target;
            Path tmp = Files.createTempFile(target.getParent(), ".nativeext", ".tmp");
            Files.copy(lib, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot install " + lib + " to " + target + ": " + e.getMessage(), e);
        }
    }

    /** Options of {@link NativeExtension}; names follow create_extension's keyword arguments. */
    public static final class Builder {
        private final String name;
        private List<String> headers = List.of();
        private List<String> sources = List.of();
        private boolean withCuda;
        private boolean packageMode;
        private String relativeTo = ".";
        private final List<String> includeDirs = new ArrayList<>();
        private final List<String> libraryDirs = new ArrayList<>();
        private final List<String> libraries = new ArrayList<>();
        private final Map<String, String> defineMacros = new LinkedHashMap<>();
        private final List<String> extraCompileArgs = new ArrayList<>();
        private final List<String> extraLinkArgs = new ArrayList<>();
        private final List<String> extraObjects = new ArrayList<>();
        private String cudaArchs;
        private final List<String> extraCudaArgs = new ArrayList<>();
        private boolean verbose;
        private int jobs;
        private Path cacheDir;

        private Builder(String name) {
            this.name = name;
        }

        public Builder headers(List<String> v) { headers = List.copyOf(entries("headers", v)); return this; }
        public Builder headers(String... v) { return headers(v == null ? null : java.util.Arrays.asList(v)); }
        public Builder sources(List<String> v) { sources = List.copyOf(entries("sources", v)); return this; }
        public Builder sources(String... v) { return sources(v == null ? null : java.util.Arrays.asList(v)); }
        public Builder withCuda(boolean v) { withCuda = v; return this; }
        public Builder packageMode(boolean v) { packageMode = v; return this; }
        /** The build file or folder relative paths are resolved against (default: the working directory). */
        public Builder relativeTo(String v) { relativeTo = v; return this; }
        public Builder includeDirs(List<String> v) { includeDirs.addAll(entries("includeDirs", v)); return this; }
        public Builder libraryDirs(List<String> v) { libraryDirs.addAll(entries("libraryDirs", v)); return this; }
        /** Libraries to link, without {@code lib} and suffix ({@code m} for libm). */
        public Builder libraries(List<String> v) { libraries.addAll(entries("libraries", v)); return this; }
        /** {@code -DNAME=value}; a null value gives {@code -DNAME}. */
        public Builder defineMacro(String macro, String value) {
            checkMacro(macro, value);
            defineMacros.put(macro, value);
            return this;
        }

        public Builder defineMacros(Map<String, String> v) {
            if (v == null) throw new IllegalArgumentException("defineMacros is null; expected a map of macro names to values");
            v.forEach(this::defineMacro);
            return this;
        }

        /**
         * A macro name is a C identifier, and a value holds no line break or NUL: either would
         * reach the compiler as something else than one macro ({@code "=x -o /tmp/y"} is no name).
         */
        private static void checkMacro(String macro, String value) {
            if (macro == null || !macro.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new IllegalArgumentException("macro name " + (macro == null ? "null" : "'" + macro + "'")
                        + " is not a C identifier (letters, digits and '_', not starting with a digit)");
            }
            if (value != null && (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0 || value.indexOf('\0') >= 0)) {
                throw new IllegalArgumentException("value of macro " + macro + " contains a line break or NUL; expected one line");
            }
        }

        /** The list itself, after checking that neither it nor an entry is null. */
        private static List<String> entries(String what, List<String> v) {
            if (v == null) throw new IllegalArgumentException(what + " is null; expected a list (possibly empty)");
            for (int i = 0; i < v.size(); i++) {
                if (v.get(i) == null) throw new IllegalArgumentException(what + "[" + i + "] is null; expected a path or name");
            }
            return v;
        }
        /** Appended after {@code -std=c99}, which always comes first. */
        public Builder extraCompileArgs(List<String> v) { extraCompileArgs.addAll(entries("extraCompileArgs", v)); return this; }
        public Builder extraLinkArgs(List<String> v) { extraLinkArgs.addAll(entries("extraLinkArgs", v)); return this; }
        /** Prebuilt objects or archives linked into the library. */
        public Builder extraObjects(List<String> v) { extraObjects.addAll(entries("extraObjects", v)); return this; }
        /**
         * CUDA architectures, e.g. {@code "8.0;9.0+PTX"} (see {@link dev.nativeext.toolchain.CudaArchs});
         * default {@code -Dnativeext.cuda.archs}, then {@code $NATIVEEXT_CUDA_ARCHS}, then
         * {@value dev.nativeext.toolchain.CudaArchs#DEFAULT}.
         */
        public Builder cudaArchs(String v) { cudaArchs = v; return this; }
        /** Arguments for nvcc, after the defaults. */
        public Builder extraCudaArgs(List<String> v) { extraCudaArgs.addAll(entries("extraCudaArgs", v)); return this; }
        /** Print every compiler command to stderr. */
        public Builder verbose(boolean v) { verbose = v; return this; }
        /** Compilers run at once; default: cores, bounded by free memory ({@code -Dnativeext.jobs}). */
        public Builder jobs(int v) {
            if (v < 1) throw new IllegalArgumentException("jobs must be at least 1, got " + v);
            jobs = v;
            return this;
        }
        /** The cache folder (default: see {@link NativeExtension}). */
        public Builder cacheDir(Path v) { cacheDir = v; return this; }

        public NativeExtension create() {
            String className = ExtensionNames.className(name, packageMode);
            if (headers.isEmpty()) throw new IllegalArgumentException("extension '" + name + "' has no headers: headers declare the functions to bind");
            if (relativeTo == null) throw new IllegalArgumentException("relativeTo is null");
            Path rel = Path.of(relativeTo).toAbsolutePath().normalize();
            Path base = Files.isDirectory(rel) ? rel : rel.getParent() == null ? rel : rel.getParent();
            List<Path> srcs = files("source", sources, base);
            unique("source", srcs, "its functions would be defined twice (\"multiple definition\" at link time)");
            unique("header", files("header", headers, base), "its declarations would be bound twice");
            for (Path s : srcs) {
                String f = s.getFileName().toString();
                if (f.endsWith(".cu") && !withCuda) {
                    throw new IllegalArgumentException("source " + s + " is CUDA: declare the extension withCuda(true)");
                }
                if (!f.endsWith(".c") && !f.endsWith(".cu")) {
                    throw new IllegalArgumentException("source " + s + " is not a C99 source (.c) or a CUDA source (.cu)");
                }
            }
            dev.nativeext.toolchain.CudaArchs archs = !withCuda ? null
                    : cudaArchs != null ? dev.nativeext.toolchain.CudaArchs.parse(cudaArchs)
                    : dev.nativeext.toolchain.CudaArchs.fromEnvironment();
            return new NativeExtension(new ExtensionSpec(name, className, ExtensionNames.libraryName(name),
                    files("header", headers, base), srcs, withCuda, packageMode, base,
                    dirs("include folder", includeDirs, base), dirs("library folder", libraryDirs, base),
                    List.copyOf(libraries), java.util.Collections.unmodifiableMap(new LinkedHashMap<>(defineMacros)), List.copyOf(extraCompileArgs),
                    List.copyOf(extraLinkArgs), files("extra object", extraObjects, base), archs, List.copyOf(extraCudaArgs), verbose,
                    jobs > 0 ? jobs : dev.nativeext.toolchain.Jobs.defaultJobs(),
                    cacheDir != null ? cacheDir : BuildCache.defaultRoot()));
        }

        private static void unique(String what, List<Path> paths, String why) {
            java.util.Set<Path> seen = new java.util.HashSet<>();
            for (Path p : paths) {
                if (!seen.add(p)) throw new IllegalArgumentException(what + " " + p + " is listed twice: " + why);
            }
        }

        private static List<Path> files(String what, List<String> names, Path base) {
            List<Path> out = new ArrayList<>();
            for (String n : names) {
                Path p = resolve(what, n, base);
                if (!Files.isRegularFile(p)) {
                    throw new IllegalArgumentException(what + " '" + n + "' not found (resolved to " + p + ")");
                }
                out.add(p);
            }
            return List.copyOf(out);
        }

        private static List<Path> dirs(String what, List<String> names, Path base) {
            List<Path> out = new ArrayList<>();
            for (String n : names) {
                Path p = resolve(what, n, base);
                if (!Files.isDirectory(p)) {
                    throw new IllegalArgumentException(what + " '" + n + "' not found (resolved to " + p + ")");
                }
                out.add(p);
            }
            return List.copyOf(out);
        }

        private static Path resolve(String what, String n, Path base) {
            if (n == null || n.isBlank()) throw new IllegalArgumentException(what + " path is empty");
            if (n.indexOf('\0') >= 0) throw new IllegalArgumentException(what + " path '" + n.replace("\0", "\\0") + "' contains a NUL character");
            try {
                return base.resolve(n).toAbsolutePath().normalize();
            } catch (java.nio.file.InvalidPathException e) {
                throw new IllegalArgumentException(what + " path '" + n + "' is not a valid path: " + e.getReason());
            }
        }
    }
}
