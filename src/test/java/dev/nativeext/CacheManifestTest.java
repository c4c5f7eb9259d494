package dev.nativeext;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cache manifest is never trusted. Before the fix a manifest without the library's checksum
 * line plus a truncated library gave SIGBUS in the dynamic loader (flipped bytes: SIGSEGV), and an
 * empty or random manifest, or one without {@code library=}, a NullPointerException on every
 * later load, never rebuilt. Now every damage to any field is a miss: the entry is discarded and
 * rebuilt, and nothing unverified reaches System.load.
 */
class CacheManifestTest {

    @TempDir
    Path tmp;

    private Path example() throws IOException {
        Path src = Files.createDirectories(tmp.resolve("src"));
        Path example = Path.of(System.getProperty("user.dir"), "examples", "vecmath");
        for (String f : List.of("vecmath.h", "vecmath.c")) Files.copy(example.resolve(f), src.resolve(f));
        return src;
    }

    private static NativeExtension ext(Path src, Path cache) {
        return NativeExtension.builder("ext.vecmath").headers("vecmath.h").sources("vecmath.c").relativeTo(src.toString())
                .cacheDir(cache).create();
    }

    private static Path manifest(Path cache, String key) {
        return cache.resolve("v1").resolve("libs").resolve(key).resolve("manifest.properties");
    }

    private static String library(Path manifest) throws IOException {
        return Files.readAllLines(manifest).stream().filter(l -> l.startsWith("library=")).findFirst().orElseThrow().substring(8);
    }

    /** Each way of damaging the manifest (and, where it says so, the library). */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"empty", "random", "no-library-field", "empty-library-field", "library-is-a-path",
            "library-names-glue", "no-library-checksum+truncated", "no-library-checksum+flipped", "checksum-garbage",
            "checksum-uppercase-of-another", "no-glue-checksum", "name-changed", "unparseable-escape", "extra-file-traversal"})
    void aDamagedManifestIsACacheMissAndTheEntryIsRebuilt(String damage) throws IOException {
        Path src = example(), cache = tmp.resolve("cache");
        NativeExtension first = ext(src, cache).build();
        String key = first.lastReport().key();
        Path m = manifest(cache, key);
        Path lib = m.resolveSibling(library(m));
        String text = Files.readString(m);
        List<String> lines = text.lines().collect(Collectors.toList());
        switch (damage) {
            case "empty" -> Files.writeString(m, "");
            case "random" -> {
                byte[] junk = new byte[512];
                new Random(9).nextBytes(junk);
                Files.write(m, junk);
            }
            case "no-library-field" -> write(m, lines.stream().filter(l -> !l.startsWith("library=")));
            case "empty-library-field" -> write(m, lines.stream().map(l -> l.startsWith("library=") ? "library=" : l));
            case "library-is-a-path" -> write(m, lines.stream().map(l -> l.startsWith("library=") ? "library=../../x.so" : l));
            case "library-names-glue" -> write(m, lines.stream().map(l -> l.startsWith("library=") ? "library=glue.c" : l));
            case "no-library-checksum+truncated" -> {
                write(m, lines.stream().filter(l -> !l.startsWith("sha256." + lib.getFileName())));
                byte[] b = Files.readAllBytes(lib);
                Files.write(lib, java.util.Arrays.copyOf(b, b.length / 3));
            }
            case "no-library-checksum+flipped" -> {
                write(m, lines.stream().filter(l -> !l.startsWith("sha256." + lib.getFileName())));
                byte[] b = Files.readAllBytes(lib);
                for (int i = 64; i < b.length; i += 97) b[i] ^= 0x5A;
                Files.write(lib, b);
            }
            case "checksum-garbage" -> write(m, lines.stream().map(l -> l.startsWith("sha256." + lib.getFileName()) ? l.substring(0, l.indexOf('=') + 1) + "zz" : l));
            case "checksum-uppercase-of-another" -> write(m, lines.stream().map(l -> l.startsWith("sha256." + lib.getFileName())
                    ? l.substring(0, l.indexOf('=') + 1) + "A".repeat(64) : l));
            case "no-glue-checksum" -> write(m, lines.stream().filter(l -> !l.startsWith("sha256.glue.c")));
            case "name-changed" -> write(m, lines.stream().map(l -> l.startsWith("name=") ? "name=ext.other" : l));
            case "unparseable-escape" -> Files.writeString(m, text + "\nbad=\\u12\n");
            case "extra-file-traversal" -> Files.writeString(m, text + "\nsha256.../../../../etc/passwd=" + "0".repeat(64) + "\n");
            default -> throw new AssertionError(damage);
        }
        NativeExtension again = ext(src, cache).build();
        assertEquals(BuildReport.Source.BUILT, again.lastReport().source(), damage + ": rebuilt, not loaded");
        NativeExtension third = ext(src, cache).build();
        assertEquals(BuildReport.Source.DISK, third.lastReport().source(), damage + ": the rebuilt entry verifies");
        assertTrue(Files.size(third.libraryPath()) > 1000);
    }

    private static void write(Path m, java.util.stream.Stream<String> lines) throws IOException {
        Files.writeString(m, lines.collect(Collectors.joining("\n", "", "\n")), StandardCharsets.ISO_8859_1);
    }

    /** The crash itself, in a fresh JVM that loads (System.load) what the cache holds. */
    @Test
    void aTruncatedLibraryWithoutItsChecksumLineIsRebuiltBeforeAnyLoad() throws IOException {
        Path src = example(), cache = tmp.resolve("cache");
        Map<String, String> built = ChildJvm.of(BuildChild.class, tmp.resolve("children")).args(cache.toString(), src.toString())
                .run(Duration.ofMinutes(3)).result();
        assertEquals("5", built.get("sum"), built::toString);
        Path m = manifest(cache, built.get("key"));
        Path lib = m.resolveSibling(library(m));
        write(m, Files.readAllLines(m).stream().filter(l -> !l.startsWith("sha256." + lib.getFileName())));
        byte[] b = Files.readAllBytes(lib);
        Files.write(lib, java.util.Arrays.copyOf(b, b.length / 3));
        ChildJvm.Result r = ChildJvm.of(BuildChild.class, tmp.resolve("children")).args(cache.toString(), src.toString())
                .run(Duration.ofMinutes(3));
        assertEquals(0, r.exitCode(), r::toString);
        assertEquals("BUILT", r.result().get("source"), r::toString);
        assertEquals("5", r.result().get("sum"), r::toString);
    }
}
