package dev.nativeext;

import dev.nativeext.toolchain.ToolLocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every input that is part of the key causes a rebuild when it changes, and nothing else does.
 * {@code build()} is used (not {@code load}), so each check goes to the disk cache.
 */
class CacheKeyTest {

    @TempDir
    Path dir;
    @TempDir
    Path cache;

    @BeforeEach
    void sources() throws IOException {
        Files.writeString(dir.resolve("k.h"), "int k_value(int x);\n");
        Files.writeString(dir.resolve("util.h"), "#define K_OFFSET 1\n");
        Files.writeString(dir.resolve("k.c"), "#include \"k.h\"\n#include \"util.h\"\nint k_value(int x) { return x + K_OFFSET; }\n");
    }

    @AfterEach
    void resetCompiler() {
        System.clearProperty("nativeext.cc");
        ToolLocator.forgetLocatedTools();
    }

    private BuildReport build(UnaryOperator<NativeExtension.Builder> options) {
        NativeExtension ext = options.apply(NativeExtension.builder("keys.k").headers("k.h").sources("k.c")
                .relativeTo(dir.toString()).cacheDir(cache)).create().build();
        return ext.lastReport();
    }

    private BuildReport build() {
        return build(b -> b);
    }

    @Test
    void anUnchangedBuildIsAHit() {
        BuildReport first = build();
        assertEquals(BuildReport.Source.BUILT, first.source());
        assertEquals(1, first.objectsCompiled());
        BuildReport second = build();
        assertEquals(BuildReport.Source.DISK, second.source());
        assertEquals(first.key(), second.key());
        assertEquals(first.library(), second.library());
    }

    @Test
    void theHeaderIsPartOfTheKey() throws IOException {
        String k0 = build().key();
        Files.writeString(dir.resolve("k.h"), "/* edited */\nint k_value(int x);\n");
        BuildReport r = build();
        assertEquals(BuildReport.Source.BUILT, r.source());
        assertNotEquals(k0, r.key());
        assertEquals(1, r.objectsCompiled(), "k.c includes k.h, so its object is rebuilt too");
    }

    @Test
    void theSourceIsPartOfTheKey() throws IOException {
        build();
        Files.writeString(dir.resolve("k.c"), Files.readString(dir.resolve("k.c")) + "/* edited */\n");
        BuildReport r = build();
        assertEquals(BuildReport.Source.BUILT, r.source());
        assertEquals(1, r.objectsCompiled());
    }

    @Test
    void aLocalHeaderTheSourceIncludesIsPartOfTheKey() throws IOException {
        build();
        Files.writeString(dir.resolve("util.h"), "#define K_OFFSET 2\n");
        BuildReport r = build();
        assertEquals(BuildReport.Source.BUILT, r.source(), "an edited included header must not serve a stale library");
        assertEquals(1, r.objectsCompiled());
    }

    @Test
    void aHeaderIncludedThroughAMacroIsPartOfTheKey() throws IOException {
        Files.writeString(dir.resolve("each.h"), "#include KERNEL\n");
        Files.writeString(dir.resolve("kern.h"), "#define K_KERN 1\n");
        Files.writeString(dir.resolve("util.h"), "#define KERNEL \"kern.h\"\n#include \"each.h\"\n#define K_OFFSET K_KERN\n");
        build();
        Files.writeString(dir.resolve("kern.h"), "#define K_KERN 2\n");
        BuildReport r = build();
        assertEquals(BuildReport.Source.BUILT, r.source(), "an edited header named by a computed #include must not serve a stale library");
        assertEquals(1, r.objectsCompiled());
    }

    @Test
    void macrosAndCompileArgumentsArePartOfTheKey() {
        build();
        assertEquals(BuildReport.Source.BUILT, build(b -> b.defineMacro("K_EXTRA", "1")).source());
        assertEquals(BuildReport.Source.DISK, build(b -> b.defineMacro("K_EXTRA", "1")).source());
        assertEquals(BuildReport.Source.BUILT, build(b -> b.extraCompileArgs(List.of("-O1"))).source());
        assertEquals(BuildReport.Source.DISK, build(b -> b.includeDirs(List.of("."))).source(),
                "the headers' folder is searched already; naming it again changes nothing");
        try {
            Files.createDirectories(dir.resolve("inc"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertEquals(BuildReport.Source.BUILT, build(b -> b.includeDirs(List.of("inc"))).source());
    }

    @Test
    void linkArgumentsRelinkWithoutRecompiling() {
        build();
        BuildReport r = build(b -> b.extraLinkArgs(List.of("-Wl,-O1")));
        assertEquals(BuildReport.Source.BUILT, r.source());
        assertEquals(0, r.objectsCompiled());
        assertEquals(1, r.objectsReused(), "the object of k.c is unchanged and comes from the object cache");
        assertEquals(BuildReport.Source.BUILT, build(b -> b.libraries(List.of("m"))).source());
    }

    @Test
    void theCompilerIsPartOfTheKeyAndAHitRunsNoCompiler() throws IOException {
        Path calls = dir.resolve("calls.log");
        Path cc = dir.resolve("logging-gcc");
        Files.writeString(cc, "#!/bin/sh\necho \"$@\" >> '" + calls + "'\nexec gcc \"$@\"\n");
        Files.setPosixFilePermissions(cc, PosixFilePermissions.fromString("rwxr-xr-x"));

        String withGcc = build().key();
        System.setProperty("nativeext.cc", cc.toString());
        ToolLocator.forgetLocatedTools();
        BuildReport r = build();
        assertEquals(BuildReport.Source.BUILT, r.source(), "another compiler, another key");
        assertNotEquals(withGcc, r.key());
        assertTrue(Files.readString(calls).contains("--version"));

        Files.writeString(calls, "");
        ToolLocator.forgetLocatedTools();
        assertEquals(BuildReport.Source.DISK, build().source());
        assertEquals("", Files.readString(calls), "a cache hit starts no process, not even 'cc --version'");
    }
}
