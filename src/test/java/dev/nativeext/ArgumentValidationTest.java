package dev.nativeext;

import dev.nativeext.toolchain.ToolLocator;
import dev.nativeext.toolchain.ToolNotFoundException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Names, paths and tools: each failure is an exception that names the value. */
class ArgumentValidationTest {

    @TempDir
    Path dir;

    private NativeExtension.Builder valid(String name) throws IOException {
        Files.writeString(dir.resolve("a.h"), "int a(int x);\n");
        Files.writeString(dir.resolve("a.c"), "int a(int x) { return x; }\n");
        return NativeExtension.builder(name).headers("a.h").sources("a.c").relativeTo(dir.toString()).cacheDir(dir.resolve("cache"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "..", "a..b", ".a", "a.", "a/b", "a\\b", "ext.class", "ext.int", "1abc", "ext.my-lib", "ext.my lib"})
    void invalidNamesAreRejectedNamingTheValue(String name) throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> valid(name).create());
        assertTrue(e.getMessage().contains("extension name"), e.getMessage());
        if (!name.isBlank()) assertTrue(e.getMessage().contains("'" + name + "'") || e.getMessage().contains("'"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({
            "ext.my_lib, false, ext.MyLib",
            "ext.my_lib, true, ext.my_lib.MyLib",
            "_ext.my_lib, false, _ext.MyLib",
            "a.b.c, false, a.b.C",
            "a.b.c, true, a.b.c.C",
            "solo, false, Solo",
            "solo, true, solo.Solo",
    })
    void namesMapToClassesAsDocumented(String name, boolean packageMode, String className) throws IOException {
        NativeExtension ext = valid(name).packageMode(packageMode).create();
        assertEquals(className, ext.bindingClassName());
        assertEquals(name.substring(name.lastIndexOf('.') + 1), ext.libraryName());
    }

    @Test
    void missingFilesNameTheValueAndWhereItWasLookedFor() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> valid("ext.a").sources("a.c", "nope.c").create());
        assertTrue(e.getMessage().contains("source 'nope.c' not found (resolved to " + dir.resolve("nope.c")), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> valid("ext.a").headers("missing.h").create());
        assertTrue(e.getMessage().contains("header 'missing.h'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> valid("ext.a").includeDirs(List.of("no_dir")).create());
        assertTrue(e.getMessage().contains("include folder 'no_dir'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> valid("ext.a").headers(List.of()).create());
        assertTrue(e.getMessage().contains("has no headers"), e.getMessage());
    }

    @Test
    void relativeToIsABuildFileOrAFolder() throws IOException {
        Path buildFile = dir.resolve("build.gradle");
        Files.writeString(buildFile, "");
        NativeExtension viaFile = valid("ext.a").relativeTo(buildFile.toString()).create();
        NativeExtension viaDir = valid("ext.a").relativeTo(dir.toString()).create();
        assertEquals(viaFile.functions(), viaDir.functions());
        NativeExtension absolute = valid("ext.a").relativeTo("/").headers(dir.resolve("a.h").toString())
                .sources(dir.resolve("a.c").toString()).create();
        assertEquals(1, absolute.functions().size(), "absolute paths stay absolute");
    }

    @Test
    void otherSourceKindsAreRejected() throws IOException {
        Files.writeString(dir.resolve("a.cpp"), "");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> valid("ext.a").sources("a.cpp").create());
        assertTrue(e.getMessage().contains("a.cpp is not a C99 source"), e.getMessage());
    }

    @Test
    void aMissingCompilerNamesTheToolWhereItLookedAndHowToPointToOne() throws IOException {
        NativeExtension ext = valid("ext.a").create();
        System.setProperty("nativeext.cc", "/nonexistent/bin/gcc");
        ToolLocator.forgetLocatedTools();
        try {
            ToolNotFoundException e = assertThrows(ToolNotFoundException.class, ext::build);
            assertTrue(e.getMessage().contains("C compiler not found"), e.getMessage());
            assertTrue(e.getMessage().contains("/nonexistent/bin/gcc"), e.getMessage());
            assertTrue(e.getMessage().contains("CC=/path/to/gcc"), e.getMessage());
        } finally {
            System.clearProperty("nativeext.cc");
            ToolLocator.forgetLocatedTools();
        }
    }

    @Test
    void dashStdC99ComesFirstAndUserArgumentsFollow() throws IOException {
        Path calls = dir.resolve("calls.log");
        Path cc = dir.resolve("cc.sh");
        Files.writeString(cc, "#!/bin/sh\necho \"$@\" >> '" + calls + "'\nexec gcc \"$@\"\n");
        cc.toFile().setExecutable(true);
        System.setProperty("nativeext.cc", cc.toString());
        ToolLocator.forgetLocatedTools();
        try {
            valid("ext.a").defineMacro("A_FLAG", "7").defineMacro("B_FLAG", null).extraCompileArgs(List.of("-Wall")).create().build();
        } finally {
            System.clearProperty("nativeext.cc");
            ToolLocator.forgetLocatedTools();
        }
        String compile = Files.readAllLines(calls).stream().filter(l -> l.contains("a.c")).findFirst().orElseThrow();
        assertTrue(compile.startsWith("-std=c99 "), compile);
        assertTrue(compile.contains("-DA_FLAG=7 -DB_FLAG "), compile);
        assertTrue(compile.indexOf("-Wall") > compile.indexOf("-DA_FLAG"), compile);
    }
}
