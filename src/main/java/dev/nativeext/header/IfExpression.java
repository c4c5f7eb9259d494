package dev.nativeext.header;

import dev.nativeext.error.Diagnostic;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The value of an {@code #if}/{@code #elif} expression, as cpp computes it: {@code defined X} and
 * {@code defined(X)}, object-like macros expanded (each at most once per chain), other identifiers
 * 0, {@code __has_*(...)} 0, integer and character literals, and C's operators with their
 * precedence in intmax_t (long) arithmetic. A problem (division by zero, a function-like macro,
 * nesting past {@link Conditionals#MAX_DEPTH}) is one diagnostic, and the condition is false.
 */
final class IfExpression {

    private IfExpression() {
    }

    /** Thrown inside the evaluator; becomes one diagnostic, and the expression counts as false. */
    private static final class Bad extends RuntimeException {
        Bad(String message) {
            super(message, null, false, false);
        }
    }

    static long evaluate(Map<String, Conditionals.Macro> macros, Path file, int line, String expression, List<Diagnostic> errors) {
        try {
            List<Token> toks = expand(macros, Lexer.tokenizeFragment(expression), new HashSet<>(), 0);
            if (toks.isEmpty()) throw new Bad("#if with no expression");
            Eval e = new Eval(toks);
            long v = e.conditional(0);
            if (e.i < toks.size()) throw new Bad("unexpected '" + toks.get(e.i).text() + "'");
            return v;
        } catch (Bad b) {
            errors.add(Diagnostic.error(file, line, 1, "cannot evaluate #if " + expression + ": " + b.getMessage()));
            return 0;
        }
    }

    /** Replaces {@code defined X}, macros (recursively, each at most once per chain) and other identifiers (0). */
    private static List<Token> expand(Map<String, Conditionals.Macro> macros, List<Token> in, Set<String> expanding, int depth) {
        if (depth > Conditionals.MAX_DEPTH) throw new Bad("macros expand deeper than " + Conditionals.MAX_DEPTH + " levels");
        List<Token> out = new ArrayList<>();
        for (int i = 0; i < in.size(); i++) {
            Token t = in.get(i);
            if (t.kind() == Token.Kind.EOF) break;
            if (!t.isIdent()) {
                out.add(t);
                continue;
            }
            if (t.text().equals("defined")) {
                boolean paren = i + 1 < in.size() && in.get(i + 1).is("(");
                int k = paren ? i + 2 : i + 1;
                if (k >= in.size() || !in.get(k).isIdent()) throw new Bad("'defined' needs a macro name");
                if (paren && (k + 1 >= in.size() || !in.get(k + 1).is(")"))) throw new Bad("'defined(' is not closed");
                out.add(number(t, macros.containsKey(in.get(k).text()) ? 1 : 0));
                i = paren ? k + 1 : k;
                continue;
            }
            Conditionals.Macro m = macros.get(t.text());
            boolean call = i + 1 < in.size() && in.get(i + 1).is("(");
            if (m != null && !m.functionLike() && !expanding.contains(t.text())) {
                expanding.add(t.text());
                out.addAll(expand(macros, Lexer.tokenizeFragment(m.body()), expanding, depth + 1));
                expanding.remove(t.text());
            } else if (call && (m != null && m.functionLike() || !t.text().startsWith("__has_"))) {
                throw new Bad("function-like macro " + t.text() + "(...) is not supported in #if"
                        + (m == null ? " (and is not defined)" : "; use an object-like macro"));
            } else if (call) {
                // __has_include(...), __has_attribute(...): 0, with the parentheses.
                int close = HeaderParser.matching(in, i + 1, "(", ")");
                if (close < 0) throw new Bad("'" + t.text() + "(' is not closed");
                out.add(number(t, 0));
                i = close;
            } else {
                out.add(number(t, 0));
            }
        }
        return out;
    }

    private static Token number(Token at, long v) {
        return new Token(Token.Kind.NUMBER, Long.toString(v), at.line(), at.column());
    }

    /** Recursive descent over C's precedence levels, in intmax_t (long) arithmetic. */
    private static final class Eval {
        final List<Token> t;
        int i;

        Eval(List<Token> t) {
            this.t = t;
        }

        boolean at(String s) {
            return i < t.size() && t.get(i).kind() == Token.Kind.PUNCT && t.get(i).is(s);
        }

        long conditional(int depth) {
            if (depth > Conditionals.MAX_DEPTH) throw new Bad("nested deeper than " + Conditionals.MAX_DEPTH + " levels");
            long c = binary(0, depth);
            if (!at("?")) return c;
            i++;
            long a = conditional(depth + 1);
            if (!at(":")) throw new Bad("'?' without ':'");
            i++;
            long b = conditional(depth + 1);
            return c != 0 ? a : b;
        }

        private static final String[][] LEVELS = {{"||"}, {"&&"}, {"|"}, {"^"}, {"&"}, {"==", "!="}, {"<", ">", "<=", ">="},
                {"<<", ">>"}, {"+", "-"}, {"*", "/", "%"}};

        long binary(int level, int depth) {
            if (level == LEVELS.length) return unary(depth);
            long v = binary(level + 1, depth);
            while (true) {
                String op = null;
                for (String o : LEVELS[level]) if (at(o)) op = o;
                if (op == null) return v;
                i++;
                long r = binary(level + 1, depth);
                v = switch (op) {
                    case "||" -> (v != 0 || r != 0) ? 1 : 0;
                    case "&&" -> (v != 0 && r != 0) ? 1 : 0;
                    case "|" -> v | r;
                    case "^" -> v ^ r;
                    case "&" -> v & r;
                    case "==" -> v == r ? 1 : 0;
                    case "!=" -> v != r ? 1 : 0;
                    case "<" -> v < r ? 1 : 0;
                    case ">" -> v > r ? 1 : 0;
                    case "<=" -> v <= r ? 1 : 0;
                    case ">=" -> v >= r ? 1 : 0;
                    case "<<" -> r < 0 || r > 63 ? 0 : v << r;
                    case ">>" -> r < 0 || r > 63 ? (v < 0 ? -1 : 0) : v >> r;
                    case "+" -> v + r;
                    case "-" -> v - r;
                    case "*" -> v * r;
                    case "/" -> {
                        if (r == 0) throw new Bad("division by zero");
                        yield r == -1 ? -v : v / r;
                    }
                    default -> {
                        if (r == 0) throw new Bad("division by zero");
                        yield r == -1 ? 0 : v % r;
                    }
                };
            }
        }

        long unary(int depth) {
            if (depth > Conditionals.MAX_DEPTH) throw new Bad("nested deeper than " + Conditionals.MAX_DEPTH + " levels");
            if (i >= t.size()) throw new Bad("the expression ends early");
            Token k = t.get(i);
            if (k.kind() == Token.Kind.PUNCT) {
                switch (k.text()) {
                    case "!" -> { i++; return unary(depth + 1) == 0 ? 1 : 0; }
                    case "~" -> { i++; return ~unary(depth + 1); }
                    case "-" -> { i++; return -unary(depth + 1); }
                    case "+" -> { i++; return unary(depth + 1); }
                    case "(" -> {
                        i++;
                        long v = conditional(depth + 1);
                        if (!at(")")) throw new Bad("'(' is not closed");
                        i++;
                        return v;
                    }
                    default -> throw new Bad("unexpected '" + k.text() + "'");
                }
            }
            i++;
            if (k.kind() == Token.Kind.NUMBER) return parseNumber(k.text());
            if (k.kind() == Token.Kind.CHAR) return parseChar(k.text());
            throw new Bad("unexpected '" + k.text() + "'");
        }

        static long parseNumber(String s) {
            String n = s.toLowerCase(Locale.ROOT);
            while (!n.isEmpty() && (n.endsWith("u") || n.endsWith("l"))) n = n.substring(0, n.length() - 1);
            try {
                if (n.startsWith("0x")) return Long.parseUnsignedLong(n.substring(2), 16);
                if (n.startsWith("0b")) return Long.parseUnsignedLong(n.substring(2), 2);
                if (n.length() > 1 && n.startsWith("0")) return Long.parseUnsignedLong(n.substring(1), 8);
                return Long.parseUnsignedLong(n);
            } catch (NumberFormatException e) {
                throw new Bad("'" + s + "' is not an integer");
            }
        }

        static long parseChar(String s) {
            if (s.length() == 3 && s.charAt(0) == '\'' && s.charAt(2) == '\'') return s.charAt(1);
            if (s.length() == 4 && s.charAt(1) == '\\') {
                return switch (s.charAt(2)) {
                    case 'n' -> '\n';
                    case 't' -> '\t';
                    case '0' -> 0;
                    case '\\' -> '\\';
                    case '\'' -> '\'';
                    default -> throw new Bad("character " + s + " is not supported in #if");
                };
            }
            throw new Bad("character " + s + " is not supported in #if");
        }
    }
}
