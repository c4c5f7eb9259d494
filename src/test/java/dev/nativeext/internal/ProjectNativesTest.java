package dev.nativeext.internal;

import dev.nativeext.ChildJvm;
import dev.nativeext.internal.ProjectNatives.CudaPlan;
import dev.nativeext.internal.ProjectNatives.CudaPlan.Action;
import dev.nativeext.runtime.Platform;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A build without nvcc: the CPU libraries with one warning, except on CI, where it fails. */
class ProjectNativesTest {

    static final String MISSING = "CUDA compiler not found: NVCC='/nonexistent/nvcc' names ...";

    @Test
    void withNvccTheCudaVariantsAreBuiltSilently() {
        assertEquals(new CudaPlan(Action.BUILD, null), CudaPlan.of("true", false, null));
        assertEquals(new CudaPlan(Action.BUILD, null), CudaPlan.of("required", true, null));
        assertEquals(new CudaPlan(Action.CPU_ONLY, null), CudaPlan.of("false", true, MISSING));
    }

    @Test
    void withoutNvccOneWarningNamesWhatWasSkippedAndHowToGetIt() {
        CudaPlan p = CudaPlan.of(null, false, MISSING);
        assertEquals(Action.SKIP_WITH_WARNING, p.action());
        assertTrue(p.message().startsWith("WARNING: nvcc not found: skipped the CUDA variants of nativeext's ops"), p.message());
        assertTrue(p.message().contains("install the CUDA toolkit"), p.message());
        assertTrue(p.message().contains("NVCC=/path/to/nvcc"), p.message());
        assertTrue(p.message().contains(MISSING), "where it looked: " + p.message());
    }

    @Test
    void withoutNvccOnCiOrWhenRequiredTheBuildFails() {
        CudaPlan ci = CudaPlan.of("true", true, MISSING);
        assertEquals(Action.FAIL, ci.action());
        assertTrue(ci.message().startsWith("nvcc not found, and CI=true requires the CUDA variants"), ci.message());
        CudaPlan required = CudaPlan.of("required", false, MISSING);
        assertEquals(Action.FAIL, required.action());
        assertTrue(required.message().contains("-Dnativeext.ops.cuda=required requires"), required.message());
        assertEquals(Action.FAIL, CudaPlan.of("maybe", false, null).action());
    }

    /** The real thing, in a fresh JVM whose NVCC points nowhere (so PATH and /usr/local/cuda are not searched). */
    @Test
    void aBuildWithNvccHiddenShipsTheCpuLibrariesAndOnCiFails(@TempDir Path dir) {
        Path root = Path.of("").toAbsolutePath();
        Path classes = dir.resolve("classes");
        ChildJvm.Result r = ChildJvm.of(ProjectNatives.class, dir.resolve("local")).env("NVCC", "/nonexistent/nvcc")
                .env("CI", "false").args(root.toString(), classes.toString()).run(Duration.ofMinutes(5));
        assertEquals(0, r.exitCode(), r::toString);
        assertEquals(1, r.stderr().lines().filter(l -> l.contains("WARNING")).count(), r::toString);
        assertTrue(r.stderr().contains("WARNING: nvcc not found: skipped the CUDA variants"), r::toString);
        Path ops = classes.resolve("dev/nativeext/ops");
        for (String op : new String[] {"nms", "roi_align", "elementwise"}) {
            assertTrue(Files.isRegularFile(ops.resolve(Platform.current() + "/libnativeext_" + op + ".so")), op);
        }
        assertFalse(Files.exists(ops.resolve(Platform.current() + "-cuda")), "no CUDA variant without nvcc");

        ChildJvm.Result ci = ChildJvm.of(ProjectNatives.class, dir.resolve("ci")).env("NVCC", "/nonexistent/nvcc")
                .env("CI", "true").args(root.toString(), dir.resolve("classes-ci").toString()).run(Duration.ofMinutes(1));
        assertEquals(1, ci.exitCode(), ci::toString);
        assertTrue(ci.stderr().contains("nvcc not found, and CI=true requires"), ci::toString);
    }
}
