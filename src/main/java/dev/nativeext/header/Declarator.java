package dev.nativeext.header;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The part of a declaration after the specifiers: pointers, the name, and array or parameter
 * suffixes; a parenthesised inner declarator is what makes a function pointer.
 */
final class Declarator {

    enum Shape { PLAIN, ARRAY, FUNCTION, RETURNS_FUNCTION_POINTER, FUNCTION_POINTER, UNSUPPORTED }

    /** {@code [...]} or {@code (...)} after the name; {@code params} holds the comma-split parameters. */
    record Suffix(Token open, boolean function, List<List<Token>> params, boolean constQualified, List<String> words) {
    }

    private static final Set<String> QUALIFIERS = Set.of("const", "__const", "__const__", "volatile", "__volatile__",
            "restrict", "__restrict", "__restrict__", "_Nonnull", "_Nullable", "__nonnull");
    private static final Set<String> KEYWORDS = Set.of("void", "char", "short", "int", "long", "signed", "unsigned",
            "float", "double", "_Bool", "struct", "union", "enum", "const", "volatile", "static", "extern", "typedef");

    Token start;
    Token name;
    /** One entry per '*', outermost last: whether that pointer itself is const. */
    final List<Boolean> ptrConst = new ArrayList<>();
    final List<String> ptrWords = new ArrayList<>();
    Declarator inner;
    final List<Suffix> suffixes = new ArrayList<>();

    static Declarator parse(Cursor c, Scope scope) {
        Declarator d = new Declarator();
        d.start = c.peek();
        while (c.peekIs("*")) {
            c.next();
            d.ptrWords.add("*");
            boolean isConst = false;
            while (!c.atEnd() && QUALIFIERS.contains(c.peek().text())) {
                String q = c.next().text();
                isConst |= q.startsWith("__const") || q.equals("const");
                d.ptrWords.add(q);
            }
            d.ptrConst.add(isConst);
        }
        if (c.peekIs("(") && nested(c, scope)) {
            Cursor in = new Cursor(c.group("(", ")"));
            d.inner = parse(in, scope);
            if (!in.atEnd()) throw new Cursor.Failure(in.peek(), "unexpected '" + in.peek().text() + "' in declarator");
            if (d.inner.inner == null && d.inner.ptrConst.isEmpty() && d.inner.suffixes.isEmpty()) {
                d.name = d.inner.name; // (name) is just a name, the usual guard against a macro
                d.inner = null;
            }
        } else if (c.peek().isIdent() && !KEYWORDS.contains(c.peek().text())) {
            d.name = c.next();
        }
        while (c.peekIs("[") || c.peekIs("(")) {
            Token open = c.peek();
            boolean function = open.is("(");
            List<Token> inside = function ? c.group("(", ")") : c.group("[", "]");
            List<String> words = new ArrayList<>();
            words.add("[");
            boolean constQualified = false;
            for (Token t : inside) {
                words.add(t.text());
                constQualified |= t.is("const");
            }
            words.add("]");
            d.suffixes.add(new Suffix(open, function, function ? splitParams(inside) : List.of(), constQualified, words));
        }
        return d;
    }

    /** Whether '(' opens an inner declarator ({@code (*cb)}) rather than a parameter list. */
    private static boolean nested(Cursor c, Scope scope) {
        Token next = c.peek(1);
        if (next.is("*") || next.is("^") || next.is("(")) return true;
        return next.isIdent() && !KEYWORDS.contains(next.text()) && !scope.typedefs.containsKey(next.text());
    }

    private static List<List<Token>> splitParams(List<Token> inside) {
        List<List<Token>> params = new ArrayList<>();
        List<Token> cur = new ArrayList<>();
        int depth = 0;
        for (Token t : inside) {
            if (t.kind() == Token.Kind.PUNCT) {
                if (t.is("(") || t.is("[") || t.is("{")) depth++;
                if (t.is(")") || t.is("]") || t.is("}")) depth--;
                if (t.is(",") && depth == 0) {
                    params.add(cur);
                    cur = new ArrayList<>();
                    continue;
                }
            }
            cur.add(t);
        }
        params.add(cur);
        return params;
    }

    /** The declared name, however deep in parentheses; null for an abstract declarator. */
    Token nameTok() {
        return name != null ? name : inner != null ? inner.nameTok() : null;
    }

    Shape shape() {
        if (inner == null) {
            if (suffixes.isEmpty()) return Shape.PLAIN;
            if (suffixes.size() > 1) return Shape.UNSUPPORTED;
            return suffixes.get(0).function() ? Shape.FUNCTION : Shape.ARRAY;
        }
        if (!suffixes.isEmpty() && suffixes.get(0).function()) {
            Shape in = inner.shape();
            return in == Shape.FUNCTION || in == Shape.RETURNS_FUNCTION_POINTER ? Shape.RETURNS_FUNCTION_POINTER : Shape.FUNCTION_POINTER;
        }
        return Shape.UNSUPPORTED;
    }
}
