package dev.nativeext.header;

import dev.nativeext.error.Diagnostic;
import dev.nativeext.error.ExtensionBuildException;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Preprocessor conditionals decide what is bound. Before the fix, declarations inside
 * {@code #if 0}, {@code #ifdef __cplusplus} or a false {@code #if defined(X) && X > 1} were bound
 * (so build() failed to link: undefined reference), non-C text inside {@code #if 0} was a parse
 * error, and 5,000 nested parentheses threw StackOverflowError.
 */
class ConditionalsTest {

    private static final Path T = Path.of("t.h");

    private static List<String> names(String text) {
        return names(text, Map.of());
    }

    private static List<String> names(String text, Map<String, String> macros) {
        return HeaderParser.parse(T, text, macros).stream().map(CFunction::name).collect(Collectors.toList());
    }

    private static List<Diagnostic> errors(String text) {
        return assertThrows(ExtensionBuildException.class, () -> HeaderParser.parse(T, text)).diagnostics();
    }

    @Test
    void ifZeroExcludesDeclarationsAndNonCText() {
        assertEquals(List.of("kept", "also_kept"), names("""
                int kept(void);
                #if 0
                int dropped(void);
                This isn't C at all: don't "parse { me (
                #endif
                int also_kept(void);
                """));
    }

    @Test
    void ifdefCplusplusIsFalseForC() {
        assertEquals(List.of("f"), names("""
                #ifdef __cplusplus
                extern "C" {
                namespace ns { int g(); }
                #endif
                int f(int x);
                #ifdef __cplusplus
                }
                #endif
                """));
        assertEquals(List.of("c_only"), names("""
                #ifndef __cplusplus
                int c_only(void);
                #else
                int cpp_only(void);
                #endif
                """));
    }

    @Test
    void definedAndIntegerExpressionsUseTheHeadersAndTheExtensionsMacros() {
        String h = """
                #if defined(X) && X > 1
                int big(void);
                #elif defined X
                int small(void);
                #else
                int none(void);
                #endif
                """;
        assertEquals(List.of("none"), names(h));
        assertEquals(List.of("small"), names(h, Map.of("X", "1")));
        assertEquals(List.of("big"), names(h, Map.of("X", "2")));
        assertEquals(List.of("big"), names("#define X (1 << 4) + 0x10\n" + h));
        assertEquals(List.of("small"), names("#define Y 1\n#define X Y\n" + h));
        assertEquals(List.of("none"), names("#define X 5\n#undef X\n" + h));
        assertEquals(List.of("a", "d"), names("""
                #if __STDC_VERSION__ >= 199901L && !defined(__cplusplus) && (3 * 4 % 5 == 2) && -1 < 0 && (1 ? 2 : 0)
                int a(void);
                #endif
                #if UNKNOWN_MACRO || 0x0 || 010 != 8
                int b(void);
                #elif __has_include(<nothing.h>)
                int c(void);
                #else
                int d(void);
                #endif
                """));
    }

    @Test
    void nestedConditionalsInsideExcludedRegionsStayExcluded() {
        assertEquals(List.of("out"), names("""
                #if 0
                #  if 1
                int in1(void);
                #  else
                int in2(void);
                #  endif
                #elif 1
                int out(void);
                #else
                int in3(void);
                #endif
                """));
    }

    @Test
    void defineInsideAnExcludedRegionDefinesNothing() {
        assertEquals(List.of("without"), names("""
                #if 0
                #define API __attribute__((visibility("default")))
                #define FLAG 1
                #endif
                #ifdef FLAG
                int with(void);
                #else
                int without(void);
                #endif
                """));
    }

    @Test
    void commentsAndContinuationsDoNotConfuseTheConditionals() {
        assertEquals(List.of("yes", "after"), names("""
                /* #if 0 in a comment is no directive
                #endif */
                #if 1 /* a comment */ && \\
                    2
                int yes(void);  // #else
                #endif
                int after(void);
                """));
    }

    @Test
    void lineNumbersAreKeptInDiagnosticsAfterExcludedLines() {
        List<Diagnostic> d = errors("""
                #if 0
                int a(void);
                int b(void);
                #endif
                int ok(void)
                int broken(
                """);
        assertTrue(d.get(0).line() >= 5, d.toString());
    }

    @Test
    void unbalancedDirectivesAndBadExpressionsAreDiagnosedAtTheirLine() {
        assertEquals(3, errors("int a(void);\n\n#endif\n").get(0).line());
        assertEquals(2, errors("int a(void);\n#if 1\nint b(void);\n").get(0).line());
        Diagnostic e = errors("#if 1 / 0\n#endif\nint a(void);\n").get(0);
        assertEquals(1, e.line());
        assertTrue(e.message().contains("division by zero"), e.message());
        e = errors("#define F(x) x\n#if F(1)\n#endif\n").get(0);
        assertTrue(e.message().contains("F(...)"), e.message());
        assertTrue(errors("#else\n").get(0).message().contains("#else without #if"));
    }

    @Test
    void deepNestingIsADiagnosticNotAStackOverflow() {
        String parens = "int f(" + "(".repeat(5000) + "int" + ")".repeat(5000) + ");\nint g(void);\n";
        List<Diagnostic> d = errors(parens);
        assertTrue(d.get(0).message().contains("nested deeper than"), d.toString());
        String ifs = "#if 1\n".repeat(5000) + "int f(void);\n" + "#endif\n".repeat(5000);
        assertTrue(errors(ifs).get(0).message().contains("nesting deeper than"));
        String expr = "#if " + "(".repeat(5000) + "1" + ")".repeat(5000) + "\n#endif\nint f(void);\n";
        assertTrue(errors(expr).get(0).message().contains("deeper than"));
        String braces = "struct s " + "{ struct t ".repeat(3000) + ";\nint g(void);\n";
        assertTrue(errors(braces).stream().anyMatch(x -> x.message().contains("deeper than")), errors(braces).toString());
    }
}
