package dev.nativeext;

import dev.nativeext.error.ExtensionBuildException;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The builder rejects what cannot work before anything runs, and a build that fails says why.
 * Before: NullPointerExceptions for null entries and load(null); a 5,000-character name, a
 * source listed twice and a macro name "=x -o /tmp/y" reached the compiler or linker (link
 * failures with zero diagnostics); "java.x" compiled and then failed ("Prohibited package name");
 * a C function named new made writeBindingSource emit code javac rejects; a NUL in a name was
 * "an invalid path"; failed builds left their folders in the cache's tmp/.
 */
class ExtensionInputsTest {

    @TempDir
    Path dir;

    @BeforeEach
    void sources() throws IOException {
        Files.writeString(dir.resolve("e.h"), "#include <stdint.h>\nint32_t e_add(int32_t a, int32_t b);\n");
        Files.writeString(dir.resolve("e.c"), "#include \"e.h\"\nint32_t e_add(int32_t a, int32_t b) { return a + b; }\n");
    }

    private NativeExtension.Builder builder(String name) {
        return NativeExtension.builder(name).headers("e.h").sources("e.c").relativeTo(dir.toString()).cacheDir(dir.resolve("cache"));
    }

    private static void rejects(String part, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), () -> "'" + e.getMessage() + "' should contain '" + part + "'");
    }

    @Test
    void nullsAreNamed() {
        rejects("headers[1] is null", () -> builder("ext.n").headers(Arrays.asList("e.h", null)));
        rejects("sources is null", () -> builder("ext.n").sources((List<String>) null));
        rejects("libraries[0] is null", () -> builder("ext.n").libraries(Arrays.asList((String) null)));
        rejects("macro name null", () -> builder("ext.n").defineMacro(null, "1"));
        rejects("api is null", () -> builder("ext.n").create().load(null));
        rejects("extension name is empty", () -> NativeExtension.builder(null));
    }

    @Test
    void namesThatCannotWorkAreRejectedUpFront() {
        rejects("at most", () -> builder("ext." + "a".repeat(5000)));
        rejects("reserved to the JDK", () -> builder("java.x").create());
        rejects("is not a Java identifier", () -> builder("ext.a\0b"));
        rejects("is not a C identifier", () -> builder("ext.m").defineMacro("=x -o /tmp/y", "1"));
        rejects("is not a C identifier", () -> builder("ext.m").defineMacro("1ABC", null));
        rejects("line break", () -> builder("ext.m").defineMacro("OK", "1\n#include </etc/passwd>"));
        rejects("listed twice", () -> builder("ext.twice").sources("e.c", "./e.c").create());
        rejects("NUL", () -> builder("ext.p").sources("e\0.c").create());
    }

    @Test
    void aCFunctionNamedAfterAJavaKeywordIsBoundWithAnUnderscore() throws IOException {
        Files.writeString(dir.resolve("k.h"), "#include <stdint.h>\nint32_t new(int32_t x);\nint32_t plain(int32_t x);\n");
        Files.writeString(dir.resolve("k.c"), "#include \"k.h\"\nint32_t new(int32_t x) { return x + 1; }\nint32_t plain(int32_t x) { return x; }\n");
        NativeExtension ext = NativeExtension.builder("kw.keywords").headers("k.h").sources("k.c").relativeTo(dir.toString())
                .cacheDir(dir.resolve("cache")).create();
        Path src = ext.writeBindingSource(dir.resolve("gen"));
        assertTrue(Files.readString(src).contains(" new_(int x)"), Files.readString(src));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "a JDK runs the tests");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = javac.run(null, null, err, "-d", dir.resolve("classes").toString(), "-cp", System.getProperty("java.class.path"),
                src.toString());
        assertEquals(0, rc, err::toString);
        ext.build();
        assertTrue(Files.isRegularFile(ext.libraryPath()));
    }

    @Test
    void declarationsExcludedByConditionalsAreNotBoundSoTheBuildLinks() throws IOException {
        Files.writeString(dir.resolve("c.h"), """
                #include <stdint.h>
                #ifdef __cplusplus
                extern "C" {
                #endif
                int32_t c_add(int32_t a, int32_t b);
                #if 0
                int32_t never_defined(void); this isn't C
                #endif
                #if defined(LEVEL) && LEVEL > 1
                int32_t only_at_level_2(void);
                #endif
                #ifdef __cplusplus
                }
                #endif
                """);
        Files.writeString(dir.resolve("c.c"), "#include \"c.h\"\nint32_t c_add(int32_t a, int32_t b) { return a + b; }\n");
        NativeExtension ext = NativeExtension.builder("cond.c_ext").headers("c.h").sources("c.c").relativeTo(dir.toString())
                .defineMacro("LEVEL", "1").cacheDir(dir.resolve("cache")).create().build();
        assertEquals(List.of("c_add"), ext.staticBinding().methods().stream().map(m -> m.javaName()).toList());
    }

    @Test
    void aFailedLinkHasDiagnosticsAndLeavesNoBuildFolder() throws IOException {
        Files.writeString(dir.resolve("d.c"), "#include \"e.h\"\nint32_t e_add(int32_t a, int32_t b) { return a - b; }\n");
        ExtensionBuildException e = assertThrows(ExtensionBuildException.class,
                () -> builder("ext.dup").sources("e.c", "d.c").create().build());
        assertTrue(e.diagnostics().get(0).message().contains("multiple definition of 'e_add'"), e.diagnostics().toString());
        assertTrue(Files.isRegularFile(e.log()), "the log is kept: " + e.log());
        try (Stream<Path> left = Files.list(dir.resolve("cache").resolve("v1").resolve("tmp"))) {
            assertEquals(List.of(), left.toList(), "the failed build's folder is removed");
        }
    }

    @Test
    void aFailedCompileLeavesNoBuildFolder() throws IOException {
        Files.writeString(dir.resolve("bad.c"), "#include \"e.h\"\nint32_t e_add(int32_t a, int32_t b) { return a + ; }\n");
        assertThrows(ExtensionBuildException.class, () -> builder("ext.bad").sources("bad.c").create().build());
        try (Stream<Path> left = Files.list(dir.resolve("cache").resolve("v1").resolve("tmp"))) {
            assertEquals(List.of(), left.toList());
        }
    }
}
