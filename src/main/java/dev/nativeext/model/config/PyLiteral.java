package dev.nativeext.model.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Python literals as yacs reads config strings ({@code ast.literal_eval}): numbers, strings,
 * {@code True}/{@code False}/{@code None}, tuples and lists, nested. Results: {@code Long},
 * {@code Double}, {@code String}, {@code Boolean}, {@code null}, {@link Tuple}, {@code List<Object>}.
 * A string that is not a literal stays a string, as in yacs ({@code R-50-FPN}).
 */
final class PyLiteral {

    /** A Python tuple. */
    record Tuple(List<Object> items) {
        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("(");
            for (int i = 0; i < items.size(); i++) sb.append(i > 0 ? ", " : "").append(show(items.get(i)));
            return sb.append(items.size() == 1 ? ",)" : ")").toString();
        }
    }

    private static final Object NOT_A_LITERAL = new Object();

    private final String s;
    private int p;

    private PyLiteral(String s) {
        this.s = s;
    }

    /** {@code text} evaluated as a literal, or {@code text} itself when it is not one. */
    static Object eval(String text) {
        PyLiteral r = new PyLiteral(text);
        try {
            Object v = r.value();
            r.ws();
            return r.p == text.length() && v != NOT_A_LITERAL ? v : text;
        } catch (RuntimeException e) {
            return text;
        }
    }

    private Object value() {
        ws();
        if (p >= s.length()) return NOT_A_LITERAL;
        char c = s.charAt(p);
        if (c == '(' || c == '[') return sequence(c == '(' ? ')' : ']', c == '(');
        if (c == '\'' || c == '"') return string(c);
        if (c == '-' || c == '+' || c == '.' || Character.isDigit(c)) return number();
        if (word("True")) return Boolean.TRUE;
        if (word("False")) return Boolean.FALSE;
        if (word("None")) return null;
        throw new IllegalArgumentException();
    }

    private Object sequence(char close, boolean tuple) {
        p++;
        List<Object> items = new ArrayList<>();
        boolean comma = false;
        while (true) {
            ws();
            if (p < s.length() && s.charAt(p) == close) {
                p++;
                break;
            }
            Object v = value();
            if (v == NOT_A_LITERAL) throw new IllegalArgumentException();
            items.add(v);
            ws();
            comma = false;
            if (p < s.length() && s.charAt(p) == ',') {
                p++;
                comma = true;
            } else if (p >= s.length() || s.charAt(p) != close) {
                throw new IllegalArgumentException();
            }
        }
        // "(x)" is x in Python; "(x,)" a tuple
        if (tuple && items.size() == 1 && !comma) return items.get(0);
        return tuple ? new Tuple(items) : items;
    }

    private String string(char q) {
        StringBuilder sb = new StringBuilder();
        p++;
        while (s.charAt(p) != q) {
            char c = s.charAt(p++);
            if (c == '\\') {
                char e = s.charAt(p++);
                sb.append(switch (e) {
                    case 'n' -> '\n';
                    case 't' -> '\t';
                    default -> e;
                });
            } else {
                sb.append(c);
            }
        }
        p++;
        return sb.toString();
    }

    private Object number() {
        int start = p;
        if (s.charAt(p) == '-' || s.charAt(p) == '+') p++;
        boolean isFloat = false;
        while (p < s.length()) {
            char c = s.charAt(p);
            if (Character.isDigit(c) || c == '_') {
                p++;
            } else if (c == '.' || c == 'e' || c == 'E') {
                isFloat = true;
                p++;
                if ((c == 'e' || c == 'E') && p < s.length() && (s.charAt(p) == '-' || s.charAt(p) == '+')) p++;
            } else {
                break;
            }
        }
        String t = s.substring(start, p).replace("_", "");
        return isFloat ? (Object) Double.parseDouble(t) : (Object) Long.parseLong(t.startsWith("+") ? t.substring(1) : t);
    }

    private boolean word(String w) {
        if (s.startsWith(w, p) && (p + w.length() == s.length() || !Character.isLetterOrDigit(s.charAt(p + w.length())))) {
            p += w.length();
            return true;
        }
        return false;
    }

    private void ws() {
        while (p < s.length() && Character.isWhitespace(s.charAt(p))) p++;
    }

    /** Python's repr of a value, for messages. */
    static String show(Object v) {
        if (v == null) return "None";
        if (v instanceof Boolean b) return b ? "True" : "False";
        if (v instanceof String str) return "'" + str + "'";
        if (v instanceof List<?> l) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < l.size(); i++) sb.append(i > 0 ? ", " : "").append(show(l.get(i)));
            return sb.append(']').toString();
        }
        return String.valueOf(v);
    }

    /** Python's type name of a value, for messages. */
    static String typeName(Object v) {
        if (v == null) return "NoneType";
        if (v instanceof Boolean) return "bool";
        if (v instanceof Long) return "int";
        if (v instanceof Double) return "float";
        if (v instanceof String) return "str";
        if (v instanceof Tuple) return "tuple";
        if (v instanceof List<?>) return "list";
        return v.getClass().getSimpleName();
    }
}
