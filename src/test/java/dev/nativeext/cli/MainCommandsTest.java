package dev.nativeext.cli;

import dev.nativeext.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code nativeext <command>} as a user runs it: a fresh JVM, its output and its exit status. */
class MainCommandsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    private ChildJvm main(String... args) {
        return ChildJvm.of(Main.class, tmp.resolve("children"))
                .jvmArg("-Dnativeext.cache.dir=" + tmp.resolve("cache")).args(args);
    }

    @Test
    void doctorReportsTheCompilerAndTheCacheFolder() {
        ChildJvm.Result r = main("doctor").run(TIMEOUT);
        assertEquals(0, r.exitCode(), r::toString);
        String cc = r.line("C compiler:");
        assertTrue(cc.contains(ChildJvm.compilerOnPath().toString()), () -> "expected the gcc in PATH in: " + cc);
        assertTrue(!cc.contains("NOT FOUND"), cc);
        String cache = r.line("cache folder:");
        assertTrue(cache.contains(tmp.resolve("cache").toAbsolutePath().toString()), cache);
    }

    @Test
    void doctorWithAMissingCompilerSaysWhereItLookedAndHowToFixIt() {
        ChildJvm.Result r = main("doctor").env("CC", "/nonexistent/gcc").run(TIMEOUT);
        assertEquals(1, r.exitCode(), r::toString);
        String cc = r.line("C compiler:");
        assertTrue(cc.contains("NOT FOUND"), cc);
        assertTrue(cc.contains("/nonexistent/gcc"), cc);
        assertTrue(cc.contains("CC="), () -> "expected a hint on pointing to a compiler with CC= in: " + cc);
    }

    @Test
    void exampleBuildsCallsAndHitsTheCacheInAFreshJvm() {
        ChildJvm.Result r = main("example").jvmArg("-Dnativeext.home=" + System.getProperty("user.dir")).run(TIMEOUT);
        assertEquals(0, r.exitCode(), r::toString);
        assertTrue(r.stdout().contains("vm_add(2, 3) = 5"), r::toString);
        assertTrue(r.stdout().contains("cache hit"), r::toString);
        assertTrue(r.stdout().contains("built: 1 source(s) compiled"), () -> "the first build should be cold:\n" + r);
    }
}
