package dev.nativeext;

import dev.nativeext.binding.BoundMethod;
import dev.nativeext.error.Diagnostic;
import dev.nativeext.error.ExtensionBuildException;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One folder per case under src/test/resources/fixtures: ext.h, ext.c and expect.properties,
 * which says whether the build succeeds (and the binding's signatures) or which error, where.
 */
class FixtureTest {

    static final Path FIXTURES = Path.of("src/test/resources/fixtures").toAbsolutePath();

    @TempDir
    static Path cache;

    static Stream<String> cases() throws IOException {
        try (Stream<Path> s = Files.list(FIXTURES)) {
            return s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void fixture(String name) throws IOException {
        Path dir = FIXTURES.resolve(name);
        Properties expect = new Properties();
        try (InputStream in = Files.newInputStream(dir.resolve("expect.properties"))) {
            expect.load(in);
        }
        NativeExtension.Builder b = NativeExtension.builder("fixtures." + name).headers("ext.h").sources("ext.c")
                .relativeTo(dir.toString()).cacheDir(cache);
        if (expect.getProperty("outcome").equals("ok")) {
            NativeExtension ext = b.create().build();
            assertTrue(Files.isRegularFile(ext.libraryPath()));
            Map<String, String> sigs = ext.staticBinding().methods().stream()
                    .collect(Collectors.toMap(BoundMethod::javaName, BoundMethod::javaSignature));
            assertEquals(Integer.parseInt(expect.getProperty("functions")), sigs.size());
            for (String key : expect.stringPropertyNames()) {
                if (key.startsWith("signature.")) {
                    assertEquals(expect.getProperty(key), sigs.get(key.substring("signature.".length())), key);
                }
            }
            return;
        }
        ExtensionBuildException e = assertThrows(ExtensionBuildException.class, () -> b.create().build());
        Diagnostic first = e.firstError();
        assertNotNull(first, "no diagnostic parsed from: " + e.getMessage());
        assertTrue(first.message().contains(expect.getProperty("message")), "first error: " + first + "\nall: " + e.getMessage());
        if (expect.containsKey("file")) {
            assertEquals(dir.resolve(expect.getProperty("file")), first.file(), first.toString());
            assertEquals(Integer.parseInt(expect.getProperty("line")), first.line(), first.toString());
        }
        if (e.log() != null) assertTrue(Files.isRegularFile(e.log()), "log kept at " + e.log());
    }

    static <T> Map<String, T> index(List<T> xs, Function<T, String> k) {
        return xs.stream().collect(Collectors.toMap(k, x -> x));
    }
}
