package dev.nativeext.header;

import dev.nativeext.error.Diagnostic;
import dev.nativeext.error.ExtensionBuildException;
import dev.nativeext.testing.Gen;
import dev.nativeext.testing.SeededCases;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mutated headers (characters inserted, deleted, replaced, C and preprocessor fragments spliced
 * in, deep nesting) are parsed or diagnosed at a position inside the header, within a time bound,
 * and nothing else is thrown (no StackOverflowError, no RuntimeException of the parser's own).
 * The 400 mutated headers are drawn by {@link SeededCases} from a fixed seed; a failing one names
 * its seed, its edits and its text.
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

    /** One edit of the seed header: its kind (insert, delete, replace, insert a character), position and fragment. */
    record Edit(int kind, int at, int fragment) {
    }

    /** A mutated header: the edits, in order, and the text they make of the seed header. */
    record Mutation(List<Edit> edits, String text) {
        @Override
        public String toString() {
            return edits + "\n" + text;
        }
    }

    private static Mutation mutated(Gen g) {
        int n = g.size(1, 8);
        List<Edit> edits = new java.util.ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            edits.add(new Edit(g.ints(0, 3), g.ints(0, SEED.length()), g.ints(0, FRAGMENTS.size() - 1)));
        }
        StringBuilder s = new StringBuilder(SEED);
        for (Edit e : edits) {
            int at = Math.min(e.at(), s.length());
            String frag = FRAGMENTS.get(e.fragment());
            switch (e.kind()) {
                case 0 -> s.insert(at, frag);
                case 1 -> s.delete(at, Math.min(s.length(), at + 1 + e.fragment()));
                case 2 -> s.replace(at, Math.min(s.length(), at + 1), frag);
                default -> s.insert(at, (char) ('!' + e.fragment() % 90));
            }
        }
        return new Mutation(List.copyOf(edits), s.toString());
    }

    @TestFactory
    Stream<DynamicTest> aMutatedHeaderIsParsedOrDiagnosedAtAPositionInIt() {
        return SeededCases.of(20261204, 400, HeaderFuzzTest::mutated, m -> {
            String text = m.text();
            long lines = text.lines().count() + 2;
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                try {
                    HeaderParser.parse(H, text, java.util.Map.of("FZ_EXTRA", "2"));
                } catch (ExtensionBuildException e) {
                    assertTrue(!e.diagnostics().isEmpty(), "a failure has diagnostics");
                    for (Diagnostic d : e.diagnostics()) {
                        assertTrue(H.equals(d.file()) && d.line() >= 1 && d.line() <= lines, () -> "diagnostic outside the header: " + d);
                    }
                }
            }, "parsing took more than 10 s");
        });
    }
}
