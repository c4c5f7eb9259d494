package dev.nativeext;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * A returned {@code const char*} may point into an argument: into a String's UTF-8 copy or into a
 * pinned array. The glue must read it before it releases the arguments. Before the fix every
 * call here returned garbage and the 4 MiB one killed the JVM (SIGSEGV in UTF8::unicode_length).
 */
class GlueLifetimeTest {

    @TempDir
    static Path dir;
    static Strings lib;

    public interface Strings {
        String skip_ws(String s);
        String pick(String a, String b, int which);
        String skip_ws_bytes(byte[] s);
        String tail_of(byte[] s, int from, String label);
    }

    @BeforeAll
    static void build() throws IOException {
        Files.writeString(dir.resolve("strs.h"), """
                #include <stdint.h>
                const char* skip_ws(const char* s);
                const char* pick(const char* a, const char* b, int32_t which);
                const char* skip_ws_bytes(const char* s);
                const char* tail_of(char* s, int32_t from, const char* label);
                """);
        Files.writeString(dir.resolve("strs.c"), """
                #include "strs.h"
                const char* skip_ws(const char* s) { while (*s == ' ') s++; return s; }
                const char* pick(const char* a, const char* b, int32_t which) { return which == 0 ? a : which == 1 ? b : 0; }
                const char* skip_ws_bytes(const char* s) { while (*s == ' ') s++; return s; }
                const char* tail_of(char* s, int32_t from, const char* label) { (void) label; s[0] = 'X'; return s + from; }
                """);
        lib = NativeExtension.builder("glue.strs").headers("strs.h").sources("strs.c").relativeTo(dir.toString())
                .cacheDir(dir.resolve("cache")).create().load(Strings.class);
    }

    @Test
    void aResultPointingIntoAStringArgumentIsReadBeforeTheArgumentIsReleased() {
        assertEquals("abc", lib.skip_ws("   abc"));
        String big = " ".repeat(1024) + "x".repeat(4 << 20);
        for (int i = 0; i < 4; i++) assertEquals(4 << 20, lib.skip_ws(big).length());
        assertEquals("second", lib.pick("first", "second", 1));
        assertEquals("first", lib.pick("first", "second", 0));
        assertNull(lib.pick("first", "second", 2));
        assertEquals("", lib.skip_ws(""));
    }

    @Test
    void aResultPointingIntoAPinnedArrayIsCopiedBeforeTheArrayIsReleased() {
        byte[] s = ("  hello" + "\0").getBytes(StandardCharsets.US_ASCII);
        assertEquals("hello", lib.skip_ws_bytes(s));
        byte[] big = new byte[(4 << 20) + 2];
        java.util.Arrays.fill(big, (byte) 'y');
        big[0] = ' ';
        big[big.length - 1] = 0;
        for (int i = 0; i < 4; i++) assertEquals(big.length - 2, lib.skip_ws_bytes(big).length());
        byte[] w = ("abcdef" + "\0").getBytes(StandardCharsets.US_ASCII);
        assertEquals("def", lib.tail_of(w, 3, "label"));
        assertEquals('X', (char) w[0], "a non-const array is still copied back");
    }
}
