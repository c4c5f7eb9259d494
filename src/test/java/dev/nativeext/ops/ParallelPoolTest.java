package dev.nativeext.ops;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The thread pool of src/main/cpp/ne_parallel.h, hammered from C (src/test/native/parallel/
 * parallel_check.c): the fixed partition for 1..8 threads and more, thousands of calls, several
 * callers at once, nested calls, statuses, balanced loops (every item in exactly one call, grains,
 * the caller taking items from the back of a slow worker's range), and a library using the pool loaded and unloaded again
 * and again (its workers must be gone after dlclose). Built with the flags of the op libraries
 * ({@code -std=c99 -Wall -Wextra}, warnings as errors), and once more under ThreadSanitizer where
 * gcc can build with it. The same pool under real ops, called from several Java threads, is
 * {@link ParallelOpsTest}.
 */
class ParallelPoolTest {

    static final Path ROOT = Path.of("").toAbsolutePath();
    static final Path SRC = ROOT.resolve("src/test/native/parallel");
    static final Path OUT = ROOT.resolve("target/parallel-check");

    @BeforeAll
    static void needsGcc() throws IOException {
        Assumptions.assumeTrue(onPath("gcc"), "gcc is needed to build the pool's C test");
        Files.createDirectories(OUT);
    }

    @Test
    void poolPassesItsChecks() throws Exception {
        String out = buildAndRun("plain", List.of("-O2", "-Werror"));
        assertTrue(out.contains("all checks passed"), out);
    }

    @Test
    void poolPassesItsChecksUnderThreadSanitizer() throws Exception {
        Path probe = OUT.resolve("tsan-probe.c");
        Files.writeString(probe, "int main(void) { return 0; }\n");
        Result r = exec(List.of("gcc", "-fsanitize=thread", probe.toString(), "-o", OUT.resolve("tsan-probe").toString()));
        List<String> run = noAslr();
        Assumptions.assumeTrue(r.rc == 0 && exec(with(run, OUT.resolve("tsan-probe").toString())).rc == 0,
                "gcc cannot build or run with -fsanitize=thread here: " + r.output);
        String out = buildAndRun("tsan", List.of("-O1", "-g", "-fsanitize=thread"), run);
        assertTrue(!out.contains("ThreadSanitizer"), "ThreadSanitizer reported:\n" + out);
    }

    /**
     * The prefix that runs a program without address-space randomisation ({@code setarch <arch> -R}),
     * or none where setarch cannot. With the randomised layout of recent kernels, ThreadSanitizer
     * sometimes finds its shadow region taken at start-up and exits ("failed to allocate ...",
     * measured 1 run in 30 here; 0 in 30 with -R): a failure of the tool, not of the pool.
     */
    private static List<String> noAslr() throws IOException, InterruptedException {
        String arch = System.getProperty("os.arch").equals("amd64") ? "x86_64" : System.getProperty("os.arch");
        List<String> prefix = List.of("setarch", arch, "-R");
        return onPath("setarch") && exec(with(prefix, "true")).rc == 0 ? prefix : List.of();
    }

    private static List<String> with(List<String> prefix, String... cmd) {
        List<String> all = new ArrayList<>(prefix);
        all.addAll(List.of(cmd));
        return all;
    }

    private static String buildAndRun(String name, List<String> flags) throws Exception {
        return buildAndRun(name, flags, List.of());
    }

    private static String buildAndRun(String name, List<String> flags, List<String> runPrefix) throws Exception {
        Path lib = OUT.resolve("libunload-" + name + ".so");
        Path exe = OUT.resolve("parallel-check-" + name);
        List<String> base = new ArrayList<>(List.of("gcc", "-std=c99", "-Wall", "-Wextra", "-pthread", "-I", ROOT.resolve("src/main/cpp").toString()));
        base.addAll(flags);
        List<String> so = new ArrayList<>(base);
        so.addAll(List.of("-fPIC", "-shared", SRC.resolve("unload_lib.c").toString(), "-o", lib.toString()));
        check(exec(so), "build unload_lib.c");
        List<String> main = new ArrayList<>(base);
        main.addAll(List.of(SRC.resolve("parallel_check.c").toString(), "-o", exe.toString(), "-ldl"));
        check(exec(main), "build parallel_check.c");
        Result r = exec(with(runPrefix, exe.toString(), lib.toString()));
        Assumptions.assumeFalse(r.rc != 0 && r.output.contains("ThreadSanitizer failed to allocate"),
                () -> "ThreadSanitizer could not map its shadow memory at start-up (a tool limitation on this kernel):\n" + r.output);
        assertEquals(0, r.rc, () -> "parallel_check (" + name + ") failed (exit " + r.rc + "):\n" + r.output);
        return r.output;
    }

    private static void check(Result r, String what) {
        assertEquals(0, r.rc, () -> what + " failed:\n" + r.output);
    }

    record Result(int rc, String output) {
    }

    private static Result exec(List<String> cmd) throws IOException, InterruptedException {
        Path log = Files.createTempFile(OUT, "proc", ".log");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(ROOT.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().put("LC_ALL", "C");
            Process p = pb.start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                return new Result(-1, "timed out after 120 s: " + String.join(" ", cmd));
            }
            return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) return true;
        }
        return false;
    }
}
