package dev.nativeext.header;

import dev.nativeext.Diagnostic;
import dev.nativeext.ExtensionBuildException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mutated headers (characters inserted, deleted, replaced, C and preprocessor fragments spliced
 * in, deep nesting) are parsed or diagnosed at a position inside the header, within a time bound,
 * and nothing else is thrown (no StackOverflowError, no RuntimeException of the parser's own).
 */
class HeaderFuzzTest {

    private static final Path H = Path.of("fuzz.h");

    private static final String SEED = """
            #ifndef FUZZ_H
            #define FUZZ_H
            #include <stdint.h>
            #define API __attribute__((visibility("default")))
            #ifdef __cplusplus
            extern "C" {
            #endif
            typedef struct fz_ctx fz_ctx;
            typedef enum { FZ_A = 1, FZ_B = 2 } fz_kind;
            /* create a context */
            API fz_ctx* fz_new(int64_t n, const float* init);
            API int32_t fz_run(fz_ctx* c, float* out, int64_t n, double scale);
            API const char* fz_name(void);
            #if defined(FZ_EXTRA) && FZ_EXTRA > 1
            API void fz_extra(uint8_t* bytes, size_t len);
            #elif 0
            this isn't C "at all
            #else
            API void fz_free(fz_ctx* c); // release
            #endif
            #ifdef __cplusplus
            }
            #endif
            #endif
            """;

    private static final List<String> FRAGMENTS = List.of("(", ")", "{", "}", "[", "]", ";", ",", "*", "\"", "'", "/*", "*/", "//",
            "\\\n", "\n#if 1\n", "\n#if 0\n", "\n#else\n", "\n#endif\n", "\n#elif X\n", "\n#ifdef Y\n", "\n#define X 2\n",
            "\n#if (1\n", "\n#if 1/0\n", "\n#define F(x) x\n#if F(1)\n", "__attribute__((", "extern \"C\" {", "typedef ",
            "struct s { int a; };", "int f(int (*cb)(int));", "...", "unsigned long long", "const", "#", "\0", "\u00e9",
            "(".repeat(3000), "[".repeat(3000), "{".repeat(3000), "\n#if 1".repeat(400), "int g(" + "(".repeat(300) + "int" + ")".repeat(300) + ");");

    @Provide
    Arbitrary<String> mutated() {
        Arbitrary<Tuple.Tuple3<Integer, Integer, Integer>> edit = Combinators.combine(
                Arbitraries.integers().between(0, 3), Arbitraries.integers().between(0, SEED.length()),
                Arbitraries.integers().between(0, FRAGMENTS.size() - 1)).as(Tuple::of);
        return edit.list().ofMinSize(1).ofMaxSize(8).map(edits -> {
            StringBuilder s = new StringBuilder(SEED);
            for (var e : edits) {
                int at = Math.min(e.get2(), s.length());
                String frag = FRAGMENTS.get(e.get3());
                switch (e.get1()) {
                    case 0 -> s.insert(at, frag);
                    case 1 -> s.delete(at, Math.min(s.length(), at + 1 + e.get3()));
                    case 2 -> s.replace(at, Math.min(s.length(), at + 1), frag);
                    default -> s.insert(at, (char) ('!' + e.get3() % 90));
                }
            }
            return s.toString();
        });
    }

    @Property(tries = 400, seed = "20261204")
    void aMutatedHeaderIsParsedOrDiagnosedAtAPositionInIt(@ForAll("mutated") String text) {
        long lines = text.lines().count() + 2;
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            try {
                HeaderParser.parse(H, text, java.util.Map.of("FZ_EXTRA", "2"));
            } catch (ExtensionBuildException e) {
                assertTrue(!e.diagnostics().isEmpty(), "a failure has diagnostics");
                for (Diagnostic d : e.diagnostics()) {
                    assertTrue(H.equals(d.file()) && d.line() >= 1 && d.line() <= lines,
                            () -> "diagnostic outside the header: " + d + "\n" + text);
                }
            }
        }, () -> "parsing took more than 10 s:\n" + text);
    }
}
