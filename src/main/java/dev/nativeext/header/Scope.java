package dev.nativeext.header;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What earlier declarations made known: typedef names, export macros and the functions seen so
 * far. One scope spans all headers of a parse, in order, like one translation unit.
 */
final class Scope {

    /**
     * A resolved type: a scalar or struct base under {@code depth} pointers. Bit k of
     * {@code constMask} says level k is const (level 0 = the base, level k = the k-th pointer).
     * {@code problem} is set for types that can be named but never bound (long double...);
     * {@code reported} says that problem was already reported where the typedef was declared.
     */
    record Ty(CScalar scalar, String struct, int depth, long constMask, boolean function, String problem, boolean reported) {

        static Ty of(CScalar s) {
            return new Ty(s, null, 0, 0, false, null, false);
        }

        static Ty struct(String name) {
            return new Ty(null, name, 0, 0, false, null, false);
        }

        static Ty problem(String why, boolean reported) {
            return new Ty(CScalar.VOID, null, 0, 0, false, why, reported);
        }

        static Ty functionType() {
            return new Ty(CScalar.VOID, null, 0, 0, true, null, false);
        }

        Ty constTop() {
            return new Ty(scalar, struct, depth, constMask | (1L << depth), function, problem, reported);
        }

        Ty pointer(boolean isConst) {
            return new Ty(scalar, struct, depth + 1, constMask | (isConst ? 1L << (depth + 1) : 0), function, problem, reported);
        }

        boolean constPointee() {
            return depth > 0 && (constMask & (1L << (depth - 1))) != 0;
        }

        CType toCType(String spelling) {
            return new CType(struct == null ? scalar : null, struct, depth, constPointee(), spelling);
        }
    }

    private static final Map<String, Ty> PREDEFINED = new HashMap<>();

    static {
        for (CScalar s : List.of(CScalar.INT8, CScalar.UINT8, CScalar.INT16, CScalar.UINT16,
                CScalar.INT32, CScalar.UINT32, CScalar.INT64, CScalar.UINT64)) {
            PREDEFINED.put(s.cSpelling(), Ty.of(s));
        }
        // bool is a typedef-like name (stdbool.h macro), so a header may still define its own.
        PREDEFINED.put("bool", Ty.of(CScalar.BOOL));
        PREDEFINED.put("size_t", Ty.of(CScalar.UINT64));
        PREDEFINED.put("uintptr_t", Ty.of(CScalar.UINT64));
        PREDEFINED.put("ssize_t", Ty.of(CScalar.INT64));
        PREDEFINED.put("ptrdiff_t", Ty.of(CScalar.INT64));
        PREDEFINED.put("intptr_t", Ty.of(CScalar.INT64));
        for (String wide : List.of("__int128_t", "__uint128_t", "__float128", "_Float128", "_Float16", "__fp16", "__bf16")) {
            PREDEFINED.put(wide, Ty.problem("unsupported type '" + wide + "'", false));
        }
    }

    /** Words that carry no type information in a declaration (calling conventions, GNU markers). */
    static final Set<String> NOISE_WORDS = Set.of("__extension__", "__cdecl", "__stdcall", "__fastcall", "_Noreturn", "__noreturn__");

    /** Words introducing a parenthesised annotation that is skipped together with its parentheses. */
    static final Set<String> ANNOTATIONS = Set.of("__attribute__", "__attribute", "__declspec", "__asm__", "__asm", "asm");

    final Map<String, Ty> typedefs = new HashMap<>(PREDEFINED);
    final Set<String> ignorableMacros = new HashSet<>();
    final Map<String, CFunction> functions = new HashMap<>();

    /** Remembers export macros ({@code #define API __attribute__((visibility("default")))}); other directives are skipped. */
    void directive(String text) {
        List<Token> toks = Lexer.tokenizeFragment(text);
        if (toks.size() < 2 || !toks.get(0).isIdent() || !toks.get(1).isIdent()) return;
        String name = toks.get(1).text();
        switch (toks.get(0).text()) {
            case "undef" -> ignorableMacros.remove(name);
            case "define" -> {
                Token after = toks.get(2);
                boolean functionLike = after.is("(") && after.line() == toks.get(1).line()
                        && after.column() == toks.get(1).column() + name.length();
                if (!functionLike && isIgnorable(toks.subList(2, toks.size() - 1))) {
                    ignorableMacros.add(name);
                } else {
                    ignorableMacros.remove(name);
                }
            }
            default -> { }
        }
    }

    private boolean isIgnorable(List<Token> body) {
        int i = 0;
        while (i < body.size()) {
            Token t = body.get(i);
            if (ANNOTATIONS.contains(t.text()) && i + 1 < body.size() && body.get(i + 1).is("(")) {
                int depth = 0;
                i++;
                do {
                    if (body.get(i).is("(")) depth++;
                    if (body.get(i).is(")")) depth--;
                    i++;
                } while (depth > 0 && i < body.size());
                if (depth != 0) return false;
            } else if (t.is("extern") || ignorableMacros.contains(t.text()) || NOISE_WORDS.contains(t.text())) {
                // extern is harmless in an export macro: the declaration stays a declaration.
                i++;
            } else {
                return false;
            }
        }
        return true;
    }
}
