package dev.nativeext.header;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.nativeext.error.Diagnostic;
import dev.nativeext.error.ExtensionBuildException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class HeaderParserTest {

    private static final Path T = Path.of("t.h");

    // ---------------------------------------------------------------- helpers

    private static Path fixture(String name) {
        try {
            return Path.of(HeaderParserTest.class.getResource("/headers/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new AssertionError("missing fixture " + name, e);
        }
    }

    private static Map<String, CFunction> byName(List<CFunction> fs) {
        Map<String, CFunction> m = new LinkedHashMap<>();
        for (CFunction f : fs) m.put(f.name(), f);
        return m;
    }

    private static List<String> names(List<CFunction> fs) {
        return fs.stream().map(CFunction::name).collect(Collectors.toList());
    }

    private static CType param(CFunction f, int i) {
        return f.parameters().get(i).type();
    }

    private static List<Diagnostic> errors(String text) {
        ExtensionBuildException e = assertThrows(ExtensionBuildException.class, () -> HeaderParser.parse(T, text));
        assertTrue(e.getMessage().startsWith("cannot bind " + e.diagnostics().size() + " declaration(s) in the headers"), e.getMessage());
        assertTrue(e.diagnostics().stream().allMatch(Diagnostic::isError));
        return e.diagnostics();
    }

    private static List<Diagnostic> errors(Path header) {
        ExtensionBuildException e = assertThrows(ExtensionBuildException.class, () -> HeaderParser.parse(List.of(header)));
        return e.diagnostics();
    }

    /** The only error of {@code text}, checked for place and for words of its message. */
    private static void assertOnlyError(String text, int line, int column, String... words) {
        List<Diagnostic> ds = errors(text);
        assertEquals(1, ds.size(), () -> "expected one error, got " + ds);
        assertError(ds.get(0), line, column, words);
    }

    private static void assertError(Diagnostic d, int line, int column, String... words) {
        assertEquals(line + ":" + column, d.line() + ":" + d.column(), d::toString);
        for (String w : words) assertTrue(d.message().contains(w), () -> "'" + w + "' not in: " + d);
    }

    private static void assertType(CType t, CScalar scalar, String struct, int depth, boolean constPointee, String spelling) {
        assertEquals(scalar, t.scalar(), t::spelling);
        assertEquals(struct, t.structName(), t::spelling);
        assertEquals(depth, t.pointerDepth(), t::spelling);
        assertEquals(constPointee, t.constPointee(), t::spelling);
        assertEquals(spelling, t.spelling());
    }

    // ---------------------------------------------------------------- what is understood

    @Test
    void everyScalarSpelling() {
        Object[][] expected = {
            {"f_void", CScalar.VOID, "void"}, {"f_char", CScalar.CHAR, "char"},
            {"f_schar", CScalar.INT8, "signed char"}, {"f_uchar", CScalar.UINT8, "unsigned char"},
            {"f_short", CScalar.INT16, "short"}, {"f_short_int", CScalar.INT16, "short int"},
            {"f_sshort", CScalar.INT16, "signed short"}, {"f_ushort", CScalar.UINT16, "unsigned short"},
            {"f_int", CScalar.INT32, "int"}, {"f_signed", CScalar.INT32, "signed"},
            {"f_signed_int", CScalar.INT32, "signed int"}, {"f_unsigned", CScalar.UINT32, "unsigned"},
            {"f_unsigned_int", CScalar.UINT32, "unsigned int"}, {"f_long", CScalar.INT64, "long"},
            {"f_long_int", CScalar.INT64, "long int"}, {"f_llong", CScalar.INT64, "long long"},
            {"f_llong_int", CScalar.INT64, "long long int"}, {"f_slong", CScalar.INT64, "signed long"},
            {"f_ulong", CScalar.UINT64, "unsigned long"}, {"f_ullong", CScalar.UINT64, "unsigned long long"},
            {"f_float", CScalar.FLOAT, "float"}, {"f_double", CScalar.DOUBLE, "double"},
            {"f_Bool", CScalar.BOOL, "_Bool"}, {"f_bool", CScalar.BOOL, "bool"},
            {"f_int8", CScalar.INT8, "int8_t"}, {"f_int16", CScalar.INT16, "int16_t"},
            {"f_int32", CScalar.INT32, "int32_t"}, {"f_int64", CScalar.INT64, "int64_t"},
            {"f_uint8", CScalar.UINT8, "uint8_t"}, {"f_uint16", CScalar.UINT16, "uint16_t"},
            {"f_uint32", CScalar.UINT32, "uint32_t"}, {"f_uint64", CScalar.UINT64, "uint64_t"},
            {"f_size", CScalar.UINT64, "size_t"}, {"f_uintptr", CScalar.UINT64, "uintptr_t"},
            {"f_ssize", CScalar.INT64, "ssize_t"}, {"f_ptrdiff", CScalar.INT64, "ptrdiff_t"},
            {"f_intptr", CScalar.INT64, "intptr_t"}, {"f_long_unsigned", CScalar.UINT64, "long unsigned"},
        };
        Path h = fixture("scalars.h");
        List<CFunction> fs = HeaderParser.parse(List.of(h));
        assertEquals(expected.length, fs.size());
        for (int i = 0; i < expected.length; i++) {
            CFunction f = fs.get(i);
            assertEquals(expected[i][0], f.name());
            assertType(f.returnType(), (CScalar) expected[i][1], null, 0, false, (String) expected[i][2]);
            assertTrue(f.parameters().isEmpty());
            assertEquals(i + 3, f.line(), f.name());
            assertEquals(h, f.file());
        }
    }

    @Test
    void guardedHeaderWithExportMacrosCommentsAndMultiLineDeclarations() {
        List<CFunction> fs = HeaderParser.parse(List.of(fixture("guarded.h")));
        // the functions inside comments are not there
        assertEquals(List.of("add", "scale", "make_buffer", "no_names", "no_params"), names(fs));
        Map<String, CFunction> m = byName(fs);

        CFunction add = m.get("add");
        assertEquals(27, add.line());
        assertEquals("int add(int a, int b)", add.signature());

        CFunction scale = m.get("scale");
        assertEquals(29, scale.line());
        assertType(scale.returnType(), CScalar.FLOAT, null, 0, false, "float");
        assertEquals(List.of("in", "out", "n"), scale.parameters().stream().map(CParameter::name).collect(Collectors.toList()));
        assertType(param(scale, 0), CScalar.FLOAT, null, 1, true, "const float*");
        assertType(param(scale, 1), CScalar.FLOAT, null, 1, false, "float*");
        assertType(param(scale, 2), CScalar.UINT64, null, 0, false, "size_t");

        CFunction buffer = m.get("make_buffer");
        assertType(buffer.returnType(), CScalar.VOID, null, 1, false, "void*");

        CFunction noNames = m.get("no_names");
        assertEquals("int no_names(int arg0, float* arg1, const char* arg2)", noNames.signature());
        assertTrue(param(noNames, 2).isCString());

        assertTrue(m.get("no_params").parameters().isEmpty());
    }

    @Test
    void unguardedExternCBlocksAndSingleLinkageSpecs() {
        List<CFunction> fs = HeaderParser.parse(List.of(fixture("unguarded.h")));
        assertEquals(List.of("inside_block", "single_linkage", "second_block"), names(fs));
        assertEquals(List.of(2, 4, 7), fs.stream().map(CFunction::line).collect(Collectors.toList()));
        assertType(fs.get(1).returnType(), CScalar.DOUBLE, null, 0, false, "double");
    }

    @Test
    void structsEnumsAndTypedefs() {
        Map<String, CFunction> m = byName(HeaderParser.parse(List.of(fixture("types.h"))));
        assertEquals(List.of("engine_create", "engine_destroy", "point_norm", "engine_of", "size_area", "paint",
                "typed", "opaque_unknown_tag", "deep"), List.copyOf(m.keySet()));

        assertType(m.get("engine_create").returnType(), null, "engine", 1, false, "struct engine*");
        assertType(param(m.get("engine_destroy"), 0), null, "engine", 1, false, "struct engine*");
        assertType(param(m.get("point_norm"), 0), null, "point", 1, true, "const struct point*");

        CFunction engineOf = m.get("engine_of");
        assertType(engineOf.returnType(), null, "engine", 1, false, "engine_t*");
        assertType(param(engineOf, 0), null, "session", 1, false, "session_handle");

        CFunction area = m.get("size_area");
        assertType(param(area, 0), null, "size2d", 1, true, "const size2d*");
        assertType(param(area, 1), CScalar.INT64, null, 1, false, "long long*");

        CFunction paint = m.get("paint");
        assertEquals(22, paint.line());
        assertType(paint.returnType(), CScalar.INT32, null, 0, false, "status_t");
        assertType(param(paint, 0), CScalar.INT32, null, 0, false, "enum color");
        assertType(param(paint, 1), CScalar.INT32, null, 0, false, "color_t");

        CFunction typed = m.get("typed");
        assertType(param(typed, 0), CScalar.FLOAT, null, 0, false, "real");
        assertType(param(typed, 1), CScalar.FLOAT, null, 1, false, "fptr");
        // x points at a const fptr (float* const): the outermost pointee is const
        assertType(param(typed, 2), CScalar.FLOAT, null, 2, true, "const fptr*");
        assertType(param(typed, 3), CScalar.FLOAT, null, 1, true, "cfptr");
        assertType(param(typed, 4), CScalar.UINT64, null, 0, false, "id_type");

        assertType(param(m.get("opaque_unknown_tag"), 0), null, "never_declared", 1, false, "struct never_declared*");

        CFunction deep = m.get("deep");
        assertType(param(deep, 0), CScalar.FLOAT, null, 2, false, "float**");
        assertType(param(deep, 1), CScalar.CHAR, null, 2, false, "const char**");
        assertType(param(deep, 2), CScalar.CHAR, null, 2, true, "char* const*");
        assertType(param(deep, 3), CScalar.VOID, null, 1, false, "void*");
    }

    @Test
    void arrayParametersQualifiersAndAttributes() {
        Map<String, CFunction> m = byName(HeaderParser.parse(List.of(fixture("arrays.h"))));
        CFunction fill = m.get("fill");
        assertType(param(fill, 0), CScalar.FLOAT, null, 1, false, "float*");
        assertType(param(fill, 1), CScalar.FLOAT, null, 1, false, "float*");
        assertType(param(fill, 2), CScalar.FLOAT, null, 1, true, "const float*");
        assertType(param(fill, 3), CScalar.INT32, null, 0, false, "int");
        assertEquals(List.of("x", "y", "z", "n"), fill.parameters().stream().map(CParameter::name).collect(Collectors.toList()));

        CFunction q = m.get("qualified");
        assertType(param(q, 0), CScalar.FLOAT, null, 1, true, "const float* restrict");
        assertType(param(q, 1), CScalar.FLOAT, null, 1, true, "float const* __restrict");
        assertType(param(q, 2), CScalar.FLOAT, null, 1, false, "float* const");
        assertType(param(q, 3), CScalar.INT32, null, 1, false, "volatile int* __restrict__");

        assertEquals("int attributed(int x)", m.get("attributed").signature());
        assertType(param(m.get("spaced"), 0), CScalar.FLOAT, null, 1, true, "const float*");
    }

    @Test
    void laterHeadersSeeEarlierTypedefsAndMacros() {
        List<CFunction> fs = HeaderParser.parse(List.of(fixture("base.h"), fixture("uses_base.h")));
        assertEquals(1, fs.size());
        CFunction f = fs.get(0);
        assertEquals(fixture("uses_base.h"), f.file());
        assertType(f.returnType(), null, "widget", 1, false, "widget_t*");
        assertType(param(f, 0), CScalar.INT32, null, 0, false, "widget_id");

        // alone, the second header knows neither the macro nor the typedefs
        List<Diagnostic> ds = errors(fixture("uses_base.h"));
        assertEquals(2, ds.size(), ds::toString);
        assertError(ds.get(0), 1, 1, "unknown type 'WIDGET_API'", "widget_get");
        assertError(ds.get(1), 1, 33, "unknown type 'widget_id'", "widget_get");
        assertEquals(fixture("uses_base.h"), ds.get(0).file());
    }

    @Test
    void exportMacroKindsAndUndef() {
        List<CFunction> fs = HeaderParser.parse(T, """
                #define A1 __attribute__((visibility("default"))) extern
                #define A2 A1 __declspec(dllimport)
                #define NOT_EMPTY(x) x
                A2 int f(int x);
                A1 A2 void g(void);
                """);
        assertEquals(List.of("f", "g"), names(fs));
        assertOnlyError("""
                #define API
                #undef API
                API int f(int x);
                """, 3, 1, "unknown type 'API'", "'f'");
        assertOnlyError("#define VERSION 3\nVERSION int f(void);\n", 2, 1, "unknown type 'VERSION'");
    }

    @Test
    void oddButValidDeclarations() {
        Map<String, CFunction> m = byName(HeaderParser.parse(T, """
                int
                  spread
                  (
                  int
                  x
                  );
                int (parenthesised)(void);
                int renamed(int x, int y) __attribute__((nonnull(1))) __asm__("real_renamed");
                typedef unsigned int bool;
                bool own_bool(bool b);
                union u;
                void takes_union(union u* p);
                ;
                enum e { A = sizeof(int) & 1 };
                int takes_enum(enum e v);
                #define MULTI \\
                   int hidden(void);
                int shown(void);
                """));
        assertEquals(List.of("spread", "parenthesised", "renamed", "own_bool", "takes_union", "takes_enum", "shown"),
                List.copyOf(m.keySet()));
        assertEquals(1, m.get("spread").line());
        assertType(param(m.get("own_bool"), 0), CScalar.UINT32, null, 0, false, "bool");
        assertType(param(m.get("takes_union"), 0), null, "u", 1, false, "union u*");
        assertType(param(m.get("takes_enum"), 0), CScalar.INT32, null, 0, false, "enum e");
    }

    // ---------------------------------------------------------------- errors

    @Test
    void everyBadDeclarationOfAHeaderIsReported() {
        List<Diagnostic> ds = errors(fixture("bad_many.h"));
        assertEquals(8, ds.size(), ds::toString);
        assertError(ds.get(0), 2, 34, "variadic function 'printf_like' cannot be bound");
        assertError(ds.get(1), 3, 26, "function pointer parameter 'cb' of 'set_callback' is not supported");
        assertError(ds.get(2), 5, 1, "'helper' is static/inline, not exported");
        assertError(ds.get(3), 6, 25, "'defined_here' is defined here; headers hold declarations of exported functions only");
        assertError(ds.get(4), 9, 5, "'counter' is a variable; headers hold exported functions only");
        assertError(ds.get(5), 10, 1, "unknown type 'unknown_t' in declaration of 'make'");
        assertError(ds.get(6), 11, 1, "unsupported type 'long double'", "'precise'");
        assertError(ds.get(7), 13, 14, "struct passed by value: bind it through a pointer", "'v'", "'length'", "'vec'");
        assertTrue(ds.stream().allMatch(d -> d.file().equals(fixture("bad_many.h"))));
    }

    @Test
    void oneBadDeclarationBetweenGoodOnesIsOneError() {
        List<Diagnostic> ds = errors(fixture("one_error.h"));
        assertEquals(1, ds.size(), ds::toString);
        assertError(ds.get(0), 2, 24, "variadic function 'broken'");
    }

    @Test
    void twoBadDeclarationsAreBothReported() {
        List<Diagnostic> ds = errors("""
                void ok1(void);
                void cb(void (*handler)(int));
                void ok2(void);
                long double bad(void);
                """);
        assertEquals(2, ds.size(), ds::toString);
        assertError(ds.get(0), 2, 16, "function pointer parameter 'handler' of 'cb'");
        assertError(ds.get(1), 4, 1, "unsupported type 'long double'", "'bad'");
    }

    @Test
    void functionPointers() {
        assertOnlyError("void (*get_handler(int sig))(int);\n", 1, 8, "function pointer return of 'get_handler'");
        assertOnlyError("void g(int (*)(void));\n", 1, 12, "function pointer parameter 'arg0' of 'g'");
        assertOnlyError("void g(int cmp(int));\n", 1, 12, "function pointer parameter 'cmp' of 'g'");
        List<Diagnostic> ds = errors("""
                typedef void (*cb_t)(int);
                typedef int fn_t(int);
                void on(cb_t cb);
                cb_t get_cb(void);
                void on_fn(fn_t* f);
                fn_t declared_by_typedef;
                """);
        assertEquals(4, ds.size(), ds::toString);
        assertError(ds.get(0), 3, 9, "function pointer parameter 'cb' of 'on'");
        assertError(ds.get(1), 4, 1, "function pointer return of 'get_cb'");
        assertError(ds.get(2), 5, 12, "function pointer parameter 'f' of 'on_fn'");
        assertError(ds.get(3), 6, 6, "'declared_by_typedef'", "function typedef");
    }

    @Test
    void staticInlineAndDefinitions() {
        assertOnlyError("static int helper(int x);\n", 1, 1, "'helper' is static/inline");
        assertOnlyError("inline int twice(int x) { return 2 * x; }\nint after(void);\n", 1, 1, "'twice' is static/inline");
        assertOnlyError("int f(void)\n{\n  { return 0; }\n}\nint g(void);\n", 2, 1, "'f' is defined here");
    }

    @Test
    void variables() {
        List<Diagnostic> ds = errors("""
                static int counter;
                extern int ext_var;
                int table[4];
                int (*fp)(void);
                struct point { float x; } origin;
                """);
        assertEquals(5, ds.size(), ds::toString);
        String[] names = {"counter", "ext_var", "table", "fp", "origin"};
        int[][] at = {{1, 12}, {2, 12}, {3, 5}, {4, 7}, {5, 27}};
        for (int i = 0; i < names.length; i++) {
            assertError(ds.get(i), at[i][0], at[i][1], "'" + names[i] + "' is a variable");
        }
    }

    @Test
    void unknownAndUnsupportedTypes() {
        assertOnlyError("foo_t make(int x);\n", 1, 1, "unknown type 'foo_t' in declaration of 'make'");
        assertOnlyError("void take(int a, foo_t* b);\n", 1, 18, "unknown type 'foo_t' in declaration of 'take'");
        assertOnlyError("typedef foo_t bar_t;\nbar_t g(void);\n", 1, 9, "unknown type 'foo_t' in typedef 'bar_t'");
        assertOnlyError("__int128 big(void);\n", 1, 1, "unsupported type '__int128'", "'big'");
        assertOnlyError("void c(double _Complex z);\n", 1, 8, "unsupported type 'double _Complex'", "'c'");
        assertOnlyError("void w(__uint128_t z);\n", 1, 8, "unsupported type '__uint128_t'", "'w'");
        assertOnlyError("typedef long double ld_t;\nvoid h(ld_t* x);\n", 2, 8, "unsupported type 'long double'", "ld_t", "'h'");
        assertOnlyError("struct p { int a; };\nstruct p origin_of(void);\n", 2, 1, "struct passed by value", "'origin_of'");
        assertOnlyError("typedef struct { int a; } pair;\nvoid put(pair p);\n", 2, 10, "struct passed by value", "'p'", "'put'");
        assertOnlyError("void v(void x);\n", 1, 8, "parameter 'x' of 'v' has type void");
        assertOnlyError("unsigned float u(void);\n", 1, 1, "invalid type 'unsigned float'", "'u'");
        assertOnlyError("void m(float x[4][4]);\n", 1, 14, "parameter 'x' of 'm'");
    }

    @Test
    void cxxConstructs() {
        assertOnlyError("class Foo { int x; };\nint ok(void);\n", 1, 1, "C++ is not supported: 'class'");
        assertOnlyError("namespace ns { int f(void); }\nint ok(void);\n", 1, 1, "C++ is not supported: 'namespace'");
        assertOnlyError("template <typename T> T id(T x);\n", 1, 1, "C++ is not supported: 'template'", "'id'");
        assertOnlyError("void by_ref(int& x);\n", 1, 16, "C++ is not supported: '&'", "'by_ref'");
        assertOnlyError("int ns::scoped(void);\n", 1, 7, "C++ is not supported: '::'", "'scoped'");
        assertOnlyError("extern \"C++\" int cpp(void);\n", 1, 8, "C++ is not supported");
    }

    @Test
    void unbalancedAndUnterminated() {
        assertOnlyError("void f(int x;\nint ok(void);\n", 1, 7, "unbalanced '('");
        assertOnlyError("int f(int x));\nint ok(void);\n", 1, 13, "unbalanced ')'");
        assertOnlyError("int ok(void);\n}\nint ok2(void);\n", 2, 1, "unbalanced '}'");
        assertOnlyError("struct s { int a;\n", 1, 10, "unbalanced '{'");
        assertOnlyError("int f(void) {\n  return 0;\n", 1, 13, "unbalanced '{'");
        assertOnlyError("extern \"C\" {\nint f(void);\n", 1, 12, "unbalanced '{'", "extern \"C\"");
        assertOnlyError("int ok(void);\nint f(void)\n", 2, 11, "missing ';' at end of file");
        List<Diagnostic> ds = errors(fixture("unterminated.h"));
        assertEquals(1, ds.size(), ds::toString);
        assertError(ds.get(0), 2, 1, "unterminated comment");
    }

    @Test
    void duplicateFunctionNamesTheFirstLine() {
        assertOnlyError("int f(void);\nint g(void);\nint f(int x);\n", 3, 5, "duplicate function 'f'", "t.h:1");
    }

    @Test
    void commentsAndStringsDoNotConfuseLocations() {
        List<Diagnostic> ds = errors("/* a\n * b */ int /* c */ x; // d\n\tint y;\n");
        assertEquals(2, ds.size(), ds::toString);
        assertError(ds.get(0), 2, 21, "'x'");
        assertError(ds.get(1), 3, 6, "'y'");
    }

    @Test
    void unreadableHeaderIsADiagnostic() {
        Path missing = Path.of("does/not/exist.h");
        ExtensionBuildException e = assertThrows(ExtensionBuildException.class, () -> HeaderParser.parse(List.of(missing)));
        assertEquals(1, e.diagnostics().size());
        assertEquals(missing, e.diagnostics().get(0).file());
        assertTrue(e.diagnostics().get(0).message().contains("cannot read header"));
    }

    @Test
    void emptyHeaderDeclaresNothing() {
        assertTrue(HeaderParser.parse(T, "// nothing\n#pragma once\n").isEmpty());
        assertTrue(HeaderParser.parse(List.of()).isEmpty());
        CFunction f = HeaderParser.parse(T, "void f(void);").get(0);
        assertNull(f.returnType().structName());
        assertFalse(f.returnType().isPointer());
        if (!f.returnType().isVoid()) fail("void return expected");
    }
}
