package dev.nativeext.maven;

import dev.nativeext.BuildReport;
import dev.nativeext.NativeExtension;
import dev.nativeext.runtime.Platform;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Mojo's mapping and behaviour, without Maven: the worker on a project folder in a temp dir. */
class ExtensionWorkerTest {

    @TempDir
    Path project;

    final List<String> infos = new ArrayList<>();
    final List<String> warnings = new ArrayList<>();

    @BeforeEach
    void sources() throws Exception {
        Path c = Files.createDirectories(project.resolve("src/main/c"));
        Files.writeString(c.resolve("adder.h"), "#include <stdint.h>\nint32_t adder_add(int32_t a, int32_t b);\n");
        Files.writeString(c.resolve("adder.c"), "#include \"adder.h\"\n"
                + "int32_t adder_add(int32_t a, int32_t b) { return a + b + ADDER_BIAS; }\n");
        Files.writeString(c.resolve("broken.c"), "#include \"adder.h\"\n\nint32_t adder_add(int32_t a, int32_t b) {\n"
                + "    return a + undeclared_thing;\n}\n");
    }

    ExtensionWorker worker(String nvccMissing) {
        return new ExtensionWorker(project, project.resolve("target/generated-sources/nativeext"),
                project.resolve("target/classes"), project.resolve("target/cache"), false, () -> nvccMissing,
                new ExtensionWorker.Log() {
                    @Override public void info(String m) { infos.add(m); }
                    @Override public void warn(String m) { warnings.add(m); }
                });
    }

    static Extension adder(String source) {
        Extension e = new Extension();
        e.setName("ext.adder_lib");
        e.setRelativeTo("src/main/c");
        e.setHeaders(List.of("adder.h"));
        e.setSources(List.of(source));
        e.setDefineMacros(Map.of("ADDER_BIAS", "0"));
        return e;
    }

    @Test
    void theFieldsMapOntoTheLibrarysBuilder() {
        Extension e = adder("adder.c");
        e.setPackageMode(true);
        e.setSources(List.of("adder.c", "kernel.cu"));
        e.setLibraries(List.of("m"));
        NativeExtension ext = worker(null).builder(e, false).create();
        assertEquals("ext.adder_lib.AdderLib", ext.bindingClassName(), "package mode names the class inside ext.adder_lib");
        assertEquals("adder_lib", ext.libraryName());
        assertFalse(ext.withCuda(), "the CPU variant is built without CUDA");
        assertEquals(List.of("adder_add"), ext.functions().stream().map(f -> f.name()).toList());

        e.setPackageMode(false);
        e.setSources(List.of("adder.c"));
        assertEquals("ext.AdderLib", worker(null).builder(e, false).create().bindingClassName());
    }

    @Test
    void relativeToDefaultsToTheProjectFolderNotTheWorkingDirectory() {
        Extension e = adder("src/main/c/adder.c");
        e.setRelativeTo(null);
        e.setHeaders(List.of("src/main/c/adder.h"));
        assertEquals("adder_lib", worker(null).builder(e, false).create().libraryName());
    }

    @Test
    void buildsWritesTheSourceAndPacksTheLibraryAndAnUnchangedRebuildTouchesNothing() throws Exception {
        List<ExtensionWorker.Installed> first = worker(null).build(adder("adder.c"));
        assertEquals(1, first.size());
        ExtensionWorker.Installed i = first.get(0);
        assertEquals(BuildReport.Source.BUILT, i.report().source());
        assertEquals(project.resolve("target/generated-sources/nativeext/ext/AdderLib.java"), i.source());
        assertTrue(Files.readString(i.source()).contains("public static native int adder_add(int a, int b);"));
        assertEquals(project.resolve("target/classes/ext").resolve(Platform.current()).resolve("libadder_lib.so"), i.library());
        assertTrue(infos.get(0).startsWith("ext.adder_lib [" + Platform.current() + "]: built: 1 source(s) compiled"), infos.get(0));

        long sourceTime = Files.getLastModifiedTime(i.source()).toMillis();
        long libTime = Files.getLastModifiedTime(i.library()).toMillis();
        Thread.sleep(20);
        ExtensionWorker.Installed again = worker(null).build(adder("adder.c")).get(0);
        assertEquals(BuildReport.Source.DISK, again.report().source(), "no compiler ran");
        assertTrue(infos.get(1).contains("cache hit, no compiler ran"), infos.get(1));
        assertEquals(sourceTime, Files.getLastModifiedTime(again.source()).toMillis(), "source untouched");
        assertEquals(libTime, Files.getLastModifiedTime(again.library()).toMillis(), "library untouched");
    }

    @Test
    void aCompileErrorFailsWithTheFirstErrorsFileLineFirst() {
        ExtensionWorker.BuildFailure f = assertThrows(ExtensionWorker.BuildFailure.class, () -> worker(null).build(adder("broken.c")));
        String first = f.getMessage().lines().findFirst().orElseThrow();
        assertTrue(first.startsWith(project.resolve("src/main/c/broken.c") + ":4:"), first);
        assertTrue(first.contains("undeclared_thing"), first);
    }

    @Test
    void aMissingFileNamesTheExtensionAndThePath() {
        ExtensionWorker.BuildFailure f = assertThrows(ExtensionWorker.BuildFailure.class, () -> worker(null).build(adder("absent.c")));
        assertTrue(f.getMessage().startsWith("extension 'ext.adder_lib': source 'absent.c' not found"), f.getMessage());
    }

    @Test
    void aNamelessExtensionIsRefused() {
        Extension e = adder("adder.c");
        e.setName(null);
        assertThrows(ExtensionWorker.BuildFailure.class, () -> worker(null).build(e));
    }

    @Test
    void withCudaWithoutNvccFailsSayingWhatToDo() {
        Extension e = adder("adder.c");
        e.setWithCuda(true);
        ExtensionWorker.BuildFailure f = assertThrows(ExtensionWorker.BuildFailure.class, () -> worker("CUDA compiler not found").build(e));
        assertTrue(f.getMessage().contains("declares withCuda but nvcc is not usable: CUDA compiler not found"), f.getMessage());
        assertTrue(f.getMessage().contains("<cudaOptional>true</cudaOptional>"), f.getMessage());
        assertFalse(Files.exists(project.resolve("target/classes")), "nothing was installed");
    }

    @Test
    void optionalCudaWithoutNvccBuildsTheCpuVariantAndWarns() throws Exception {
        Extension e = adder("adder.c");
        e.setWithCuda(true);
        e.setCudaOptional(true);
        e.setSources(List.of("adder.c", "adder_kernel.cu"));
        List<ExtensionWorker.Installed> out = worker("CUDA compiler not found").build(e);
        assertEquals(List.of(Platform.current()), out.stream().map(ExtensionWorker.Installed::variant).toList());
        assertTrue(Files.isRegularFile(out.get(0).library()));
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).contains("CUDA variant skipped") && warnings.get(0).contains("[adder_kernel.cu]"), warnings.get(0));
        assertFalse(Files.exists(project.resolve("target/classes/ext").resolve(Platform.current() + "-cuda")));
    }

}
