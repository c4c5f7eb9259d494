package dev.nativeext;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Starts a test main class in a fresh JVM with this JVM's class path. Output goes to files under
 * a work folder (never a pipe that could fill up), and the child's {@code java.io.tmpdir} and
 * JavaCPP cache are pointed into that folder so that nothing is left outside it.
 */
public final class ChildJvm {

    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final String mainClass;
    private final Path workDir;
    private final List<String> jvmArgs = new ArrayList<>();
    private final List<String> args = new ArrayList<>();
    private final Map<String, String> env = new LinkedHashMap<>();
    private final List<String> unsetEnv = new ArrayList<>(List.of("CC", "NATIVEEXT_CACHE_DIR"));

    private ChildJvm(String mainClass, Path workDir) {
        this.mainClass = mainClass;
        this.workDir = workDir;
    }

    /** A child running {@code mainClass}; {@code workDir} holds its output, temp files and JavaCPP cache. */
    public static ChildJvm of(String mainClass, Path workDir) {
        return new ChildJvm(mainClass, workDir);
    }

    public static ChildJvm of(Class<?> mainClass, Path workDir) {
        return of(mainClass.getName(), workDir);
    }

    public ChildJvm jvmArg(String a) { jvmArgs.add(a); return this; }
    public ChildJvm args(String... a) { args.addAll(List.of(a)); return this; }
    public ChildJvm env(String k, String v) { env.put(k, v); unsetEnv.remove(k); return this; }

    /** The output of a finished child. */
    public record Result(int exitCode, String stdout, String stderr, long pid, double millis) {
        /** The first stdout line starting with {@code prefix}, or a failure showing everything. */
        public String line(String prefix) {
            return stdout.lines().filter(l -> l.startsWith(prefix)).findFirst()
                    .orElseGet(() -> fail("no line starting with '" + prefix + "' in the child's output:\n" + this));
        }

        /** {@code key=value} words of the {@code RESULT} line. */
        public Map<String, String> result() {
            Map<String, String> m = new LinkedHashMap<>();
            for (String w : line("RESULT ").substring("RESULT ".length()).split(" ")) {
                int eq = w.indexOf('=');
                if (eq > 0) m.put(w.substring(0, eq), w.substring(eq + 1));
            }
            return m;
        }

        @Override
        public String toString() {
            return "exit " + exitCode + " (pid " + pid + ", " + Math.round(millis) + " ms)\n--- stdout ---\n" + stdout
                    + "--- stderr ---\n" + stderr;
        }
    }

    /** A started child. */
    public final class Running {
        private final Process process;
        private final Path out;
        private final Path err;
        private final long t0;

        private Running(Process process, Path out, Path err, long t0) {
            this.process = process;
            this.out = out;
            this.err = err;
            this.t0 = t0;
        }

        public Process process() {
            return process;
        }

        /** Waits for the child to exit; on timeout kills it and fails the test with its output. */
        public Result await(Duration timeout) {
            try {
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly().waitFor();
                    fail("child " + mainClass + " did not finish within " + timeout + ":\n" + result(-1));
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            return result(process.exitValue());
        }

        /** Kills the child (SIGKILL) and waits for it to be gone. */
        public Result kill() {
            process.destroyForcibly();
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            return result(process.exitValue());
        }

        /** Closes the child's stdin (children that wait for it then exit). */
        public void closeStdin() {
            try {
                process.getOutputStream().close();
            } catch (IOException ignored) {
                // already gone
            }
        }

        private Result result(int code) {
            return new Result(code, read(out), read(err), process.pid(), (System.nanoTime() - t0) / 1e6);
        }
    }

    public Running start() {
        try {
            Files.createDirectories(workDir);
            Path tmp = Files.createDirectories(workDir.resolve("tmp"));
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add("-Djava.io.tmpdir=" + tmp);
            cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + workDir.resolve("javacpp-cache"));
            cmd.addAll(jvmArgs);
            cmd.add(mainClass);
            cmd.addAll(args);
            int n = COUNTER.incrementAndGet();
            String base = mainClass.substring(mainClass.lastIndexOf('.') + 1) + "-" + n;
            Path out = workDir.resolve(base + ".out");
            Path err = workDir.resolve(base + ".err");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
            unsetEnv.forEach(pb.environment()::remove);
            pb.environment().putAll(env);
            return new Running(pb.start(), out, err, System.nanoTime());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@link #start()} then {@link Running#await}. */
    public Result run(Duration timeout) {
        return start().await(timeout);
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    // ---- shared helpers ----------------------------------------------------------------------

    /** The first {@code gcc}, else {@code cc}, in PATH: what {@code ToolLocator} finds with CC unset. */
    public static Path compilerOnPath() {
        for (String name : List.of("gcc", "cc")) {
            for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
                if (dir.isEmpty()) continue;
                Path p = Path.of(dir, name);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) return p;
            }
        }
        return fail("no gcc or cc in PATH; these tests need a C compiler");
    }

    /** Writes an executable shell script. */
    public static Path script(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text, StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Polls {@code condition} every 20 ms; false when {@code timeout} passed first. */
    public static boolean waitFor(BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) return true;
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return condition.getAsBoolean();
    }
}
