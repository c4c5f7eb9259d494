package dev.nativeext.toolchain;

import dev.nativeext.error.Diagnostic;
import dev.nativeext.error.ExtensionBuildException;
import dev.nativeext.cache.BuildCache;
import dev.nativeext.cache.Hasher;
import dev.nativeext.cache.IncludeScanner;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Compiles sources to objects, each cached on its own (key: compiler identity, the exact
 * arguments, the source and every local header it includes), with at most {@code jobs} compilers
 * running at once. Failures of all sources are collected and thrown together, errors first.
 */
public final class ObjectCompiler {

    /** One compiler invocation: the tool, its arguments before {@code -c}, and the include folders it searches. */
    public record Recipe(Tool tool, List<String> args, List<Path> includeDirs) {
        public Recipe {
            args = List.copyOf(args);
            includeDirs = List.copyOf(includeDirs);
        }
    }

    /** A source to compile and how. */
    public record Unit(Path source, Recipe recipe) {
    }

    private final BuildCache cache;
    private final int jobs;
    private final Consumer<String> log;

    public ObjectCompiler(BuildCache cache, int jobs, Consumer<String> log) {
        this.cache = cache;
        this.jobs = Math.max(1, jobs);
        this.log = log;
    }

    /** The cache key of a unit's object; stable across processes. */
    public static String objectKey(Unit u) {
        Hasher h = new Hasher()
                .put("tool", u.recipe().tool().identity())
                .put("args", u.recipe().args())
                .putFile("source", u.source());
        int i = 0;
        for (Path inc : IncludeScanner.closure(u.source(), u.recipe().includeDirs())) h.putFile("include" + i++, inc);
        return h.hex();
    }

    /** Objects for every unit, in order; compiles only what the cache lacks. */
    public List<Path> compile(List<Unit> units, Path workDir) {
        List<Path> objects = new ArrayList<>(units.size());
        List<Integer> missing = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < units.size(); i++) {
            String key = objectKey(units.get(i));
            keys.add(key);
            Path cached = cache.object(key);
            objects.add(cached);
            if (cached == null) missing.add(i);
        }
        if (missing.isEmpty()) return objects;

        List<Diagnostic> errors = new ArrayList<>();
        List<Path> failedLogs = new ArrayList<>();
        if (missing.size() == 1 || jobs == 1) {
            for (int i : missing) {
                Outcome o = compileOne(units.get(i), keys.get(i), workDir);
                record(o, i, objects, errors, failedLogs);
            }
        } else {
            ExecutorService pool = Executors.newFixedThreadPool(Math.min(jobs, missing.size()), r -> {
                Thread t = new Thread(r, "nativeext-compile");
                t.setDaemon(true);
                return t;
            });
            try {
                List<Future<Outcome>> futures = new ArrayList<>();
                for (int i : missing) {
                    Unit u = units.get(i);
                    String key = keys.get(i);
                    futures.add(pool.submit(() -> compileOne(u, key, workDir)));
                }
                for (int j = 0; j < missing.size(); j++) {
                    record(futures.get(j).get(), missing.get(j), objects, errors, failedLogs);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while compiling", e);
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof RuntimeException re) throw re;
                throw new IllegalStateException(c);
            } finally {
                pool.shutdownNow();
            }
        }
        if (!failedLogs.isEmpty()) {
            Path log = keepLog(failedLogs);
            errors.sort(java.util.Comparator.comparingInt(d -> d.severity().ordinal()));
            throw new ExtensionBuildException("compilation failed (" + failedLogs.size() + " of " + units.size()
                    + " source(s))", errors, log);
        }
        return objects;
    }

    private record Outcome(Path object, List<Diagnostic> diagnostics, Path log) {
    }

    private static void record(Outcome o, int i, List<Path> objects, List<Diagnostic> errors, List<Path> failedLogs) {
        if (o.object() != null) {
            objects.set(i, o.object());
        } else {
            errors.addAll(o.diagnostics());
            failedLogs.add(o.log());
        }
    }

    private Outcome compileOne(Unit u, String key, Path workDir) {
        String stem = u.source().getFileName().toString().replace('.', '_');
        Path out = workDir.resolve(stem + "-" + key.substring(0, 12) + ".o");
        Path logFile = workDir.resolve(stem + "-" + key.substring(0, 12) + ".log");
        List<String> cmd = u.recipe().tool().command();
        cmd.addAll(u.recipe().args());
        cmd.add("-c");
        cmd.add(u.source().toString());
        cmd.add("-o");
        cmd.add(out.toString());
        log.accept(String.join(" ", cmd));
        ProcessRunner.Result r = ProcessRunner.run(cmd, workDir, logFile);
        List<Diagnostic> diags = DiagnosticParser.parse(r.output(), workDir);
        if (!r.ok() || !Files.isRegularFile(out)) {
            if (diags.stream().noneMatch(Diagnostic::isError)) {
                diags = new ArrayList<>(diags);
                diags.add(0, Diagnostic.error(u.source(), 0, 0, u.recipe().tool().role() + " exited with status "
                        + r.exitCode() + ": " + lastLine(r.output())));
            }
            return new Outcome(null, diags, logFile);
        }
        return new Outcome(cache.publishObject(key, out), diags, logFile);
    }

    private static String lastLine(String s) {
        String[] lines = s.strip().split("\\R");
        return lines.length == 0 ? "" : lines[lines.length - 1];
    }

    /** Copies the failed tools' output into the cache's log folder, which outlives the build folder. */
    private Path keepLog(List<Path> logs) {
        try {
            Files.createDirectories(cache.logsDir());
            Path kept = Files.createTempFile(cache.logsDir(), "compile-", ".log");
            StringBuilder all = new StringBuilder();
            for (Path l : logs) all.append("==== ").append(l.getFileName()).append('\n').append(Files.readString(l));
            Files.writeString(kept, all);
            return kept;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Same log keeping, for the linker, which is not a per-source step. */
    public Path keepLogOf(Path log) {
        return keepLog(List.of(log));
    }
}
