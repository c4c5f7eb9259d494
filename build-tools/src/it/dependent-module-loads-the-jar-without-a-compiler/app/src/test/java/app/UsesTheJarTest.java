package app;

import org.junit.jupiter.api.Test;
import shared.VecMath;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A module that only depends on the jar calls the extension; nothing is compiled here. */
class UsesTheJarTest {

    @Test
    void callsTheExtensionPackedInTheDependencysJar() throws Exception {
        String where = VecMath.class.getResource("linux-x86_64/libvec_math.so").toString();
        assertTrue(where.startsWith("jar:"), "the library comes from the jar: " + where);
        assertEquals(14, VecMath.vm_add(3, 4));
        assertTrue(Files.list(Path.of(System.getProperty("nativeext.cache.dir"), "v1", "packaged")).findAny().isPresent(),
                "the library was extracted from the jar");
        assertEquals("/nonexistent", System.getenv("PATH"), "no compiler on the PATH");
    }
}
