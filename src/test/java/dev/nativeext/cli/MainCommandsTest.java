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

    /** A config value of the wrong type: one line naming the file, line and key; exit status 1. */
    @Test
    void aWrongConfigValueIsOneLineNamingFileAndLineNotAStackTrace() throws Exception {
        Path yaml = java.nio.file.Files.writeString(tmp.resolve("bad.yaml"), "MODEL:\n  RESNETS:\n    NUM_GROUPS: \"abc\"\n");
        ChildJvm.Result r = main("resnet", "--config", yaml.toString()).run(TIMEOUT);
        assertEquals(1, r.exitCode(), r::toString);
        assertEquals("nativeext resnet: " + yaml + ":3: MODEL.RESNETS.NUM_GROUPS expects int (default 1), got str 'abc'", r.stderr().strip());
    }

    /** A weights file that is neither a torch.save zip nor safetensors, and a wrong option: a message each, no trace. */
    @Test
    void aBadCheckpointOrOptionIsAMessageAndAnExitStatus() throws Exception {
        Path pth = java.nio.file.Files.writeString(tmp.resolve("w.pth"), "garbage");
        String config = dev.nativeext.model.Fixtures.fixture("r50_fpn_gn", "config.yaml").toString();
        ChildJvm.Result r = main("resnet", "--config", config, "--weights", pth.toString(), "--size", "32",
                "--out", tmp.resolve("f.png").toString()).run(TIMEOUT);
        assertEquals(1, r.exitCode(), r::toString);
        assertEquals("nativeext resnet: " + pth + ": neither a torch.save file (a zip) nor a safetensors file (7 bytes)", r.stderr().strip());
        r = main("demo", "--workers", "many").run(TIMEOUT);
        assertEquals(2, r.exitCode(), r::toString);
        assertEquals("nativeext demo: --workers many: expects an integer\n" + DemoCommand.USAGE, r.stderr().strip());
    }

    /** An image of the folder that does not decode ends the demo with one line naming it. */
    @Test
    void anImageThatDoesNotDecodeEndsTheDemoWithItsName() throws Exception {
        Path images = java.nio.file.Files.createDirectories(tmp.resolve("images"));
        Path bad = java.nio.file.Files.writeString(images.resolve("bad.jpg"), "garbage");
        ChildJvm.Result r = main("demo", "--images", images.toString(), "--out", tmp.resolve("out").toString(), "--size", "32").run(TIMEOUT);
        assertEquals(1, r.exitCode(), r::toString);
        assertEquals("nativeext demo: sample 0: " + bad + ": not a JPEG or PNG image (no ImageIO reader recognises its header)",
                r.stderr().strip());
    }
}
