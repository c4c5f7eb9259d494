package dev.nativeext;

import dev.nativeext.binding.Binding;
import dev.nativeext.binding.BindingClassWriter;
import dev.nativeext.binding.JniGlueWriter;
import dev.nativeext.cache.BuildCache;
import dev.nativeext.cache.Hasher;
import dev.nativeext.cache.IncludeScanner;
import dev.nativeext.cache.KeyLock;
import dev.nativeext.error.Diagnostic;
import dev.nativeext.error.ExtensionBuildException;
import dev.nativeext.header.CFunction;
import dev.nativeext.header.HeaderParser;
import dev.nativeext.runtime.Platform;
import dev.nativeext.toolchain.CudaToolkit;
import dev.nativeext.toolchain.DiagnosticParser;
import dev.nativeext.toolchain.ObjectCompiler;
import dev.nativeext.toolchain.ProcessRunner;
import dev.nativeext.toolchain.Tool;
import dev.nativeext.toolchain.ToolLocator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The steps from an {@link ExtensionSpec} to a library in the cache: parse the headers, compute
 * the key, then, only on a miss and under the key's lock, compile the sources (each object cached
 * on its own), write and compile the JNI glue, link, and publish atomically.
 */
final class BuildPipeline {

    static final String CLASS_FILE = "binding.class";
    /** Bumped whenever generated glue or class files change shape, so that old entries are not reused. */
    static final int GENERATOR_FORMAT = 6;
    private static final Duration LOCK_TIMEOUT = Duration.ofSeconds(Long.getLong("nativeext.lock.timeoutSeconds", 600));
    private static final Map<String, List<CFunction>> PARSED = new ConcurrentHashMap<>();

    /** A library ready to load, with the report of how it was obtained. */
    record Library(String key, Path library, Path classFile, BuildReport report) {
    }

    private final ExtensionSpec spec;
    private final BuildCache cache;
    private final ToolLocator tools;
    private final Consumer<String> log;
    private String extensionKey;
    private List<CFunction> functions;

    BuildPipeline(ExtensionSpec spec) {
        this.spec = spec;
        this.cache = new BuildCache(spec.cacheRoot());
        this.tools = new ToolLocator(cache.toolsDir());
        this.log = spec.verbose() ? s -> System.err.println("[nativeext] " + s) : s -> { };
    }

    BuildCache cache() {
        return cache;
    }

    /** The functions the headers declare; parsed once per header content in this JVM. */
    synchronized List<CFunction> functions() {
        if (functions == null) {
            Hasher h = new Hasher();
            spec.headers().forEach(p -> h.putFile("header", p));
            Map<String, String> macros = new java.util.LinkedHashMap<>();
            if (spec.withCuda()) macros.put("WITH_CUDA", null);
            macros.putAll(spec.defineMacros());
            macros.forEach((k, v) -> h.put("macro", k + "=" + v));
            h.put("compileArgs", spec.extraCompileArgs());
            functions = PARSED.computeIfAbsent(h.hex(), k -> HeaderParser.parse(spec.headers(), macros, spec.extraCompileArgs()));
        }
        return functions;
    }

    Tool cCompiler() {
        return tools.locate(ToolLocator.C_COMPILER);
    }

    /** The CUDA toolkit; only asked for by extensions declared withCuda, so C builds never need nvcc. */
    private CudaToolkit cuda() {
        return spec.withCuda() ? CudaToolkit.locate(tools) : null;
    }

    private boolean hasCudaSources() {
        return spec.sources().stream().anyMatch(p -> p.getFileName().toString().endsWith(".cu"));
    }

    /** Everything that decides the compiled output, hashed. */
    synchronized String extensionKey() {
        if (extensionKey != null) return extensionKey;
        Tool cc = cCompiler();
        Hasher h = new Hasher()
                .put("nativeext", Versions.nativeext())
                .put("javacpp", Versions.javacpp())
                .put("platform", Platform.current())
                .put("java", System.getProperty("java.specification.version"))
                .put("cc", cc.identity())
                .put("cflags", cCompileArgs())
                .put("linkArgs", linkArgs())
                .put("withCuda", Boolean.toString(spec.withCuda()));
        if (spec.withCuda()) h.put("nvcc", cuda().nvcc().identity()).put("cudaArgs", cudaCompileArgs());
        for (Path p : spec.headers()) {
            h.putFile("header", p);
            for (Path inc : IncludeScanner.closure(p, spec.includeDirs())) h.putFile("header.include", inc);
        }
        for (Path p : spec.sources()) {
            h.putFile("source", p);
            for (Path inc : IncludeScanner.closure(p, includeSearchPath())) h.putFile("source.include", inc);
        }
        for (Path p : spec.extraObjects()) h.putFile("extraObject", p);
        extensionKey = h.hex();
        return extensionKey;
    }

    static String libraryKey(String extensionKey, Binding b) {
        return new Hasher().put("extension", extensionKey).put("format", Integer.toString(GENERATOR_FORMAT))
                .put("binding", b.signatureText()).hex();
    }

    private List<Path> includeSearchPath() {
        List<Path> dirs = new ArrayList<>(spec.includeDirs());
        for (Path h : spec.headers()) if (!dirs.contains(h.getParent())) dirs.add(h.getParent());
        return dirs;
    }

    /** Compiler arguments for C sources: {@code -std=c99} first, as create_extension did. */
    List<String> cCompileArgs() {
        List<String> a = new ArrayList<>(List.of("-std=c99", "-O3", "-fPIC"));
        if (spec.withCuda()) a.add("-DWITH_CUDA");
        commonPreprocessorArgs(a);
        if (spec.withCuda()) a.add("-I" + cuda().includeDir());
        a.addAll(spec.extraCompileArgs());
        return a;
    }

    private void commonPreprocessorArgs(List<String> a) {
        spec.defineMacros().forEach((k, v) -> a.add(v == null ? "-D" + k : "-D" + k + "=" + v));
        for (Path d : includeSearchPath()) a.add("-I" + d);
    }

    /**
     * nvcc arguments for {@code .cu} sources: the arch list's {@code -gencode}s, position
     * independent host code, {@code WITH_CUDA}, the same macros and include folders as C.
     */
    List<String> cudaCompileArgs() {
        List<String> a = new ArrayList<>(List.of("-std=c++17", "-O3", "-Xcompiler", "-fPIC", "-DWITH_CUDA"));
        a.addAll(spec.cudaArchs().nvccArgs());
        commonPreprocessorArgs(a);
        a.addAll(spec.extraCudaArgs());
        return a;
    }

    private List<String> linkArgs() {
        List<String> a = new ArrayList<>();
        for (Path d : spec.libraryDirs()) {
            a.add("-L" + d);
            a.add("-Wl,-rpath," + d);
        }
        for (String l : spec.libraries()) a.add("-l" + l);
        if (spec.withCuda()) a.addAll(cuda().linkArgs());
        // --no-undefined: a function the header declares but no source defines fails here, not
        // at the first call. -Bsymbolic: the glue calls the user's functions directly, not
        // through the PLT (as JavaCPP links too).
        a.add("-Wl,--no-undefined");
        a.add("-Wl,-Bsymbolic");
        a.addAll(spec.extraLinkArgs());
        return a;
    }

    /**
     * The library of {@code binding}: from the cache when its entry verifies, else built under
     * the key's lock (another process may have built it meanwhile: looked up again once locked).
     */
    Library library(Binding binding) {
        long t0 = System.nanoTime();
        String key = libraryKey(extensionKey(), binding);
        BuildCache.Expect expect = expect(key, binding);
        BuildCache.Entry hit = cache.lookup(key, expect);
        if (hit != null) return fromEntry(key, hit, BuildReport.Source.DISK, 0, 0, t0);
        log.accept("cache miss for " + spec.name() + " (key " + key.substring(0, 12) + ")");
        try (KeyLock lock = cache.lock(key, LOCK_TIMEOUT)) {
            if (cache.check(key, expect) == BuildCache.State.CORRUPT) {
                log.accept("discarding damaged cache entry " + cache.entryDir(key));
                cache.discard(key);
            }
            hit = cache.lookup(key, expect);
            if (hit != null) return fromEntry(key, hit, BuildReport.Source.DISK, 0, 0, t0);
            return build(key, binding, t0);
        }
    }

    /**
     * What this pipeline's entry for {@code key} must hold: the library (the file it will
     * {@code System.load}), the glue and, for an interface binding, the class, each with its
     * checksum line; and the fields it wrote, with the values it would write.
     */
    private BuildCache.Expect expect(String key, Binding binding) {
        String libFile = libraryFileName(key);
        java.util.Set<String> files = new java.util.HashSet<>(List.of(libFile, "glue.c"));
        if (binding.api() != null) files.add(CLASS_FILE);
        return new BuildCache.Expect(files, Map.of("library", libFile, "name", spec.name(), "class", binding.className(),
                "nativeext", Versions.nativeext()));
    }

    private String libraryFileName(String key) {
        return Platform.libraryFileName(spec.libraryName() + "_" + key.substring(0, 16));
    }

    private Library fromEntry(String key, BuildCache.Entry e, BuildReport.Source source, int compiled, int reused, long t0) {
        Path lib = e.file(e.manifest().get("library"));
        Path cls = Files.isRegularFile(e.file(CLASS_FILE)) ? e.file(CLASS_FILE) : null;
        return new Library(key, lib, cls, new BuildReport(source, key, lib, compiled, reused, (System.nanoTime() - t0) / 1e6));
    }

    /**
     * Builds in a private folder, which a failure removes (its logs are kept under the cache's
     * {@code logs/}, named in the exception): a broken source must not leave a folder per attempt.
     */
    private Library build(String key, Binding binding, long t0) {
        Path work = cache.newWorkDir(key);
        try {
            return buildIn(work, key, binding, t0);
        } catch (RuntimeException | Error e) {
            cache.removeWorkDir(work);
            throw e;
        }
    }

    private Library buildIn(Path work, String key, Binding binding, long t0) {
        Tool cc = cCompiler();
        ObjectCompiler compiler = new ObjectCompiler(cache, spec.jobs(), log);
        ObjectCompiler.Recipe c = new ObjectCompiler.Recipe(cc, cCompileArgs(), includeSearchPath());
        ObjectCompiler.Recipe cu = hasCudaSources()
                ? new ObjectCompiler.Recipe(cuda().nvcc(), cudaCompileArgs(), includeSearchPath()) : null;
        List<ObjectCompiler.Unit> units = new ArrayList<>();
        int cached = 0;
        for (Path s : spec.sources()) {
            ObjectCompiler.Unit u = new ObjectCompiler.Unit(s, s.getFileName().toString().endsWith(".cu") ? cu : c);
            if (cache.object(ObjectCompiler.objectKey(u)) != null) cached++;
            units.add(u);
        }
        List<Path> objects = new ArrayList<>(compiler.compile(units, work));
        objects.add(compileGlue(cc, binding, work, compiler));
        objects.addAll(spec.extraObjects());

        String libFile = libraryFileName(key);
        link(cc, objects, work.resolve(libFile), compiler);

        List<String> files = new ArrayList<>(List.of(libFile, "glue.c"));
        if (binding.api() != null) {
            // The class embeds the library's final path, known before publishing.
            Path finalLib = cache.entryDir(key).resolve(libFile);
            write(work.resolve(CLASS_FILE), BindingClassWriter.write(binding, finalLib.toString()));
            files.add(CLASS_FILE);
        }
        Map<String, String> info = new LinkedHashMap<>();
        info.put("library", libFile);
        info.put("name", spec.name());
        info.put("class", binding.className());
        info.put("compiler", cc.identity());
        info.put("nativeext", Versions.nativeext());
        if (spec.withCuda()) info.put("cudaArchs", spec.cudaArchs().toString());
        BuildCache.Entry e = cache.publish(key, work, info, files);
        if (cache.lookup(key, expect(key, binding)) == null) {
            throw new IllegalStateException("the cache entry " + e.dir() + " just published does not verify; this is a nativeext bug");
        }
        log.accept("published " + e.dir());
        return fromEntry(key, e, BuildReport.Source.BUILT, units.size() - cached, cached, t0);
    }

    private Path compileGlue(Tool cc, Binding binding, Path work, ObjectCompiler compiler) {
        Path glue = work.resolve("glue.c");
        write(glue, JniGlueWriter.write(binding).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Path jniInclude = jniInclude();
        List<String> cmd = cc.command();
        cmd.addAll(List.of("-std=c99", "-O3", "-fPIC", "-I" + jniInclude, "-I" + jniInclude.resolve("linux"),
                "-c", glue.toString(), "-o", work.resolve("glue.o").toString()));
        log.accept(String.join(" ", cmd));
        ProcessRunner.Result r = ProcessRunner.run(cmd, work, work.resolve("glue.log"));
        if (!r.ok()) {
            throw new ExtensionBuildException("the generated JNI glue " + glue + " did not compile; this is a nativeext bug,"
                    + " please report it with the header", DiagnosticParser.parse(r.output(), work), compiler.keepLogOf(r.log()));
        }
        return work.resolve("glue.o");
    }

    private void link(Tool cc, List<Path> objects, Path out, ObjectCompiler compiler) {
        List<String> cmd = cc.command();
        cmd.add("-shared");
        cmd.add("-o");
        cmd.add(out.toString());
        objects.forEach(o -> cmd.add(o.toString()));
        cmd.addAll(linkArgs());
        log.accept(String.join(" ", cmd));
        ProcessRunner.Result r = ProcessRunner.run(cmd, out.getParent(), out.resolveSibling("link.log"));
        if (!r.ok()) {
            List<Diagnostic> d = new ArrayList<>(DiagnosticParser.parse(r.output(), out.getParent()));
            if (d.stream().noneMatch(Diagnostic::isError)) {
                // Never a failure without a diagnostic: the linker's last words, as printed.
                String last = r.output().lines().filter(l -> !l.isBlank() && !l.contains("ld returned")).reduce((a, b) -> b)
                        .orElse("no output (exit status " + r.exitCode() + ")");
                d.add(0, Diagnostic.error(null, 0, 0, "linking failed: " + last));
            }
            throw new ExtensionBuildException("linking " + spec.name() + " failed", d, compiler.keepLogOf(r.log()));
        }
    }

    static Path jniInclude() {
        List<Path> tried = new ArrayList<>();
        for (String home : new String[]{System.getProperty("java.home"), System.getenv("JAVA_HOME")}) {
            if (home == null) continue;
            Path inc = Path.of(home, "include");
            tried.add(inc);
            if (Files.isRegularFile(inc.resolve("jni.h"))) return inc;
        }
        throw new ExtensionBuildException("jni.h not found (looked in " + tried + "): building an extension needs a full JDK;"
                + " run on a JDK or set JAVA_HOME to one", List.of(), null);
    }

    private static void write(Path p, byte[] bytes) {
        try {
            Files.write(p, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
