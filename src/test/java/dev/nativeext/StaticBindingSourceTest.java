package dev.nativeext;

import dev.nativeext.runtime.Platform;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The build-time form: the static binding written as Java source, compiled by javac, with the
 * library packed beside it in JavaCPP's layout ({@code <package>/linux-x86_64/lib<name>.so}).
 */
class StaticBindingSourceTest {

    @TempDir
    Path tmp;

    @Test
    void theWrittenSourceCompilesAndLoadsItsPackedLibrary() throws Exception {
        NativeExtension ext = NativeExtension.builder("fixtures.ok_pointers").headers("ext.h").sources("ext.c")
                .relativeTo(FixtureTest.FIXTURES.resolve("ok_pointers").toString()).cacheDir(tmp.resolve("cache"))
                .packageMode(true).create().build();
        Path src = ext.writeBindingSource(tmp.resolve("src"));
        assertEquals(tmp.resolve("src/fixtures/ok_pointers/OkPointers.java"), src);
        String text = Files.readString(src);
        assertTrue(text.contains("public static native int okp_strlen(java.lang.String s);"), text);
        assertTrue(text.contains("ext.h:"), "each method names its header line");

        Path classes = tmp.resolve("classes");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int rc = javac.run(null, null, null, "-d", classes.toString(), "-cp", System.getProperty("java.class.path"), src.toString());
        assertEquals(0, rc);
        Path packed = ext.installLibrary(classes);
        assertEquals(classes.resolve("fixtures/ok_pointers").resolve(Platform.current()).resolve(Platform.libraryFileName("ok_pointers")), packed);
        long modified = Files.getLastModifiedTime(packed).toMillis();
        Thread.sleep(20);
        ext.installLibrary(classes);
        assertEquals(modified, Files.getLastModifiedTime(packed).toMillis(), "an unchanged install leaves the file alone");

        try (URLClassLoader loader = new URLClassLoader(new URL[]{classes.toUri().toURL()}, getClass().getClassLoader())) {
            Class<?> c = loader.loadClass("fixtures.ok_pointers.OkPointers");
            Method strlen = c.getMethod("okp_strlen", String.class);
            assertEquals(4, strlen.invoke(null, "four"));
            assertEquals("ok_pointers", c.getMethod("okp_name").invoke(null));
        }
    }

    @Test
    void aMissingPackedLibraryNamesWhatWasLookedFor() {
        UnsatisfiedLinkError e = org.junit.jupiter.api.Assertions.assertThrows(UnsatisfiedLinkError.class,
                () -> dev.nativeext.runtime.PackagedLibrary.extract(StaticBindingSourceTest.class, "absent"));
        assertTrue(e.getMessage().contains("dev/nativeext/" + Platform.current() + "/libabsent.so"), e.getMessage());
    }
}
