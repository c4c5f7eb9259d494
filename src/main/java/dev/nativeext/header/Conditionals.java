package dev.nativeext.header;

import dev.nativeext.error.Diagnostic;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The preprocessor's conditionals, evaluated the way cpp does, so that a declaration inside
 * {@code #if 0}, {@code #ifdef __cplusplus} or a false {@code #if defined(X) && X > 1} is not
 * bound, and text there need not be C. Excluded lines, and the conditional directives
 * themselves, are blanked (each character but line ends becomes a space): the parser's lines and
 * columns stay those of the header.
 *
 * <p>Macros are those of the compile: the extension's {@code defineMacro}s and {@code -D}/{@code -U}
 * in its compile arguments, gcc's usual predefined ones for C99 on this platform ({@code __STDC__},
 * {@code __STDC_VERSION__ = 199901L}, {@code __GNUC__}, {@code __x86_64__}, {@code __linux__},
 * {@code __LP64__}, ...; never {@code __cplusplus}), and object-like {@code #define}s of the headers,
 * in order. As in C, an identifier that is not a macro is 0 in {@code #if}. What this does not
 * see: macros defined by headers the header includes (a system header's), and function-like
 * macros in {@code #if} (an error naming the macro; {@code __has_include(...)} and the other
 * {@code __has_*} tests count as 0). Why not run {@code gcc -E}: the header is parsed on every
 * load, cache hits included, and a cache hit runs no process.
 */
final class Conditionals {

    /** Deeper {@code #if} nesting or {@code (} nesting in an expression is a diagnostic, not a stack overflow. */
    static final int MAX_DEPTH = 256;

    /** A macro: its body, or {@code null} body for a function-like one. */
    record Macro(String body, boolean functionLike) {
    }

    private final Map<String, Macro> macros;

    private Conditionals(Map<String, Macro> macros) {
        this.macros = macros;
    }

    /** gcc's predefined macros that headers test, for C99 on this machine; {@code extra} (name to value or null) last. */
    static Conditionals withPredefined(Map<String, String> extra) {
        Map<String, Macro> m = new LinkedHashMap<>();
        for (String[] d : new String[][]{{"__STDC__", "1"}, {"__STDC_VERSION__", "199901L"}, {"__STDC_HOSTED__", "1"},
                {"__GNUC__", "4"}, {"__GNUC_MINOR__", "2"}, {"__GNUC_PATCHLEVEL__", "1"}, {"__linux__", "1"}, {"__linux", "1"},
                {"__unix__", "1"}, {"__unix", "1"}, {"__ELF__", "1"}, {"__CHAR_BIT__", "8"}, {"__SIZEOF_INT__", "4"},
                {"__SIZEOF_SHORT__", "2"}, {"__SIZEOF_LONG_LONG__", "8"}, {"__SIZEOF_FLOAT__", "4"}, {"__SIZEOF_DOUBLE__", "8"},
                {"__ORDER_LITTLE_ENDIAN__", "1234"}, {"__ORDER_BIG_ENDIAN__", "4321"}, {"__BYTE_ORDER__", "__ORDER_LITTLE_ENDIAN__"}}) {
            m.put(d[0], new Macro(d[1], false));
        }
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        boolean is64 = !arch.equals("x86") && !arch.equals("i386") && !arch.equals("arm");
        if (is64) {
            for (String n : List.of("__LP64__", "_LP64")) m.put(n, new Macro("1", false));
            m.put("__SIZEOF_LONG__", new Macro("8", false));
            m.put("__SIZEOF_POINTER__", new Macro("8", false));
        }
        if (arch.equals("amd64") || arch.equals("x86_64")) {
            for (String n : List.of("__x86_64__", "__x86_64", "__amd64__", "__amd64")) m.put(n, new Macro("1", false));
        } else if (arch.equals("aarch64")) {
            m.put("__aarch64__", new Macro("1", false));
        }
        if (extra != null) extra.forEach((k, v) -> m.put(k, new Macro(v == null ? "1" : v, false)));
        return new Conditionals(m);
    }

    /** Applies {@code -DNAME[=VALUE]} and {@code -UNAME} among compiler arguments, in order. */
    Conditionals withCompilerArgs(List<String> args) {
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String def = null, undef = null;
            if (a.equals("-D") && i + 1 < args.size()) def = args.get(++i);
            else if (a.startsWith("-D") && a.length() > 2) def = a.substring(2);
            else if (a.equals("-U") && i + 1 < args.size()) undef = args.get(++i);
            else if (a.startsWith("-U") && a.length() > 2) undef = a.substring(2);
            if (def != null) {
                int eq = def.indexOf('=');
                String name = eq < 0 ? def : def.substring(0, eq);
                if (isIdentifier(name)) macros.put(name, new Macro(eq < 0 ? "1" : def.substring(eq + 1), false));
            } else if (undef != null) {
                macros.remove(undef);
            }
        }
        return this;
    }

    static boolean isIdentifier(String s) {
        if (s == null || s.isEmpty()) return false;
        if (!(Character.isLetter(s.charAt(0)) || s.charAt(0) == '_') || s.charAt(0) > 127) return false;
        for (int i = 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c > 127 || !(Character.isLetterOrDigit(c) || c == '_')) return false;
        }
        return true;
    }

    /** One open {@code #if}: whether its enclosing region is live, a branch was taken, the current branch is live. */
    private static final class Frame {
        final boolean parentActive;
        final int line;
        boolean taken;
        boolean active;
        boolean sawElse;

        Frame(boolean parentActive, int line) {
            this.parentActive = parentActive;
            this.line = line;
        }
    }

    /**
     * {@code text} with the lines that conditionals exclude, and the conditional directives,
     * blanked. {@code #define}/{@code #undef} of live lines update the macros (seen by later
     * headers too). Problems (unbalanced {@code #else}/{@code #endif}, an unterminated
     * {@code #if}, an expression that cannot be evaluated) are added to {@code errors}.
     */
    String apply(Path file, String text, List<Diagnostic> errors) {
        StringBuilder out = new StringBuilder(text);
        Deque<Frame> stack = new ArrayDeque<>();
        boolean inComment = false;
        int pos = 0, line = 1;
        while (pos < text.length()) {
            int end = lineEnd(text, pos);
            boolean active = stack.isEmpty() || stack.peek().active;
            int first = pos;
            while (first < end && (text.charAt(first) == ' ' || text.charAt(first) == '\t' || text.charAt(first) == '\f')) first++;
            if (!inComment && first < end && text.charAt(first) == '#') {
                // A directive, with its continuation lines.
                int logicalEnd = end;
                int lines = 1;
                while (continues(text, logicalEnd) && logicalEnd < text.length()) {
                    logicalEnd = lineEnd(text, logicalEnd + 1);
                    lines++;
                }
                String[] stripped = stripComments(text.substring(first + 1, logicalEnd));
                inComment = stripped[1] != null;
                String d = stripped[0].strip();
                String name = d.isEmpty() ? "" : d.split("[^A-Za-z0-9_]", 2)[0];
                String rest = d.substring(name.length()).strip();
                boolean conditional = true;
                switch (name) {
                    case "if", "ifdef", "ifndef" -> {
                        if (stack.size() >= MAX_DEPTH) {
                            errors.add(Diagnostic.error(file, line, 1, "#if nesting deeper than " + MAX_DEPTH + " levels"));
                            Frame f = new Frame(false, line);
                            f.taken = true;
                            stack.push(f);
                            break;
                        }
                        Frame f = new Frame(active, line);
                        if (active) {
                            boolean v = switch (name) {
                                case "ifdef" -> isDefined(file, line, rest, "#ifdef", errors);
                                case "ifndef" -> !isDefined(file, line, rest, "#ifndef", errors);
                                default -> IfExpression.evaluate(macros, file, line, rest, errors) != 0;
                            };
                            f.active = v;
                            f.taken = v;
                        }
                        stack.push(f);
                    }
                    case "elif" -> {
                        Frame f = stack.peek();
                        if (f == null) {
                            errors.add(Diagnostic.error(file, line, 1, "#elif without #if"));
                        } else if (f.sawElse) {
                            errors.add(Diagnostic.error(file, line, 1, "#elif after #else (of the #if at line " + f.line + ")"));
                            f.active = false;
                        } else if (!f.parentActive || f.taken) {
                            f.active = false;
                        } else {
                            f.active = IfExpression.evaluate(macros, file, line, rest, errors) != 0;
                            f.taken = f.active;
                        }
                    }
                    case "else" -> {
                        Frame f = stack.peek();
                        if (f == null) {
                            errors.add(Diagnostic.error(file, line, 1, "#else without #if"));
                        } else if (f.sawElse) {
                            errors.add(Diagnostic.error(file, line, 1, "a second #else (of the #if at line " + f.line + ")"));
                            f.active = false;
                        } else {
                            f.sawElse = true;
                            f.active = f.parentActive && !f.taken;
                            f.taken = true;
                        }
                    }
                    case "endif" -> {
                        if (stack.isEmpty()) errors.add(Diagnostic.error(file, line, 1, "#endif without #if"));
                        else stack.pop();
                    }
                    default -> {
                        conditional = false;
                        if (active && name.equals("define")) define(rest);
                        if (active && name.equals("undef")) macros.remove(rest.split("\\s+", 2)[0]);
                    }
                }
                if (conditional || !active) blank(out, pos, logicalEnd);
                line += lines;
                pos = Math.min(text.length(), logicalEnd + 1);
                continue;
            }
            inComment = scanComments(text, pos, end, inComment, active);
            if (!active) blank(out, pos, end);
            line++;
            pos = end + 1;
        }
        for (Frame f : stack) errors.add(Diagnostic.error(file, f.line, 1, "unterminated #if: no #endif before the end of the file"));
        return out.toString();
    }

    private static int lineEnd(String text, int from) {
        int nl = text.indexOf('\n', from);
        return nl < 0 ? text.length() : nl;
    }

    /** Whether the line ending at {@code end} ends with a backslash (a continuation). */
    private static boolean continues(String text, int end) {
        int k = end - 1;
        if (k >= 0 && text.charAt(k) == '\r') k--;
        return k >= 0 && text.charAt(k) == '\\';
    }

    private static void blank(StringBuilder out, int from, int to) {
        for (int i = from; i < to && i < out.length(); i++) {
            char c = out.charAt(i);
            if (c != '\n' && c != '\r') out.setCharAt(i, ' ');
        }
    }

    /**
     * Whether a block comment is still open at the end of {@code [from, to)}. In live lines
     * string and character literals are skipped (a quoted slash-star is no comment); in excluded
     * lines, which need not be C, quotes mean nothing.
     */
    private static boolean scanComments(String s, int from, int to, boolean inComment, boolean quotes) {
        int i = from;
        while (i < to) {
            if (inComment) {
                int close = s.indexOf("*/", i);
                if (close < 0 || close + 2 > to) return true;
                inComment = false;
                i = close + 2;
                continue;
            }
            char c = s.charAt(i);
            if (c == '/' && i + 1 < to && s.charAt(i + 1) == '/') return false;
            if (c == '/' && i + 1 < to && s.charAt(i + 1) == '*') {
                inComment = true;
                i += 2;
                continue;
            }
            if (quotes && (c == '"' || c == '\'')) {
                i++;
                while (i < to && s.charAt(i) != c) {
                    if (s.charAt(i) == '\\') i++;
                    i++;
                }
            }
            i++;
        }
        return inComment;
    }

    /** The directive's text without comments and continuations; [1] non-null when a block comment stays open. */
    private static String[] stripComments(String d) {
        StringBuilder b = new StringBuilder(d.length());
        int i = 0;
        while (i < d.length()) {
            char c = d.charAt(i);
            if (c == '\\' && (i + 1 == d.length() || d.charAt(i + 1) == '\n' || d.charAt(i + 1) == '\r')) {
                b.append(' ');
                i++;
            } else if (d.startsWith("//", i)) {
                int nl = d.indexOf('\n', i);
                if (nl < 0) break;
                i = nl;
            } else if (d.startsWith("/*", i)) {
                int close = d.indexOf("*/", i + 2);
                if (close < 0) return new String[]{b.toString(), "open"};
                b.append(' ');
                i = close + 2;
            } else if (c == '"' || c == '\'') {
                int j = i + 1;
                while (j < d.length() && d.charAt(j) != c && d.charAt(j) != '\n') {
                    if (d.charAt(j) == '\\') j++;
                    j++;
                }
                j = Math.min(j + 1, d.length());
                b.append(d, i, j);
                i = j;
            } else {
                b.append(c == '\n' || c == '\r' ? ' ' : c);
                i++;
            }
        }
        return new String[]{b.toString(), null};
    }

    private void define(String rest) {
        int i = 0;
        while (i < rest.length() && (Character.isLetterOrDigit(rest.charAt(i)) || rest.charAt(i) == '_')) i++;
        String name = rest.substring(0, i);
        if (!isIdentifier(name)) return;
        boolean functionLike = i < rest.length() && rest.charAt(i) == '(';
        macros.put(name, new Macro(functionLike ? null : rest.substring(i).strip(), functionLike));
    }

    private boolean isDefined(Path file, int line, String rest, String what, List<Diagnostic> errors) {
        String name = rest.split("\\s+", 2)[0];
        if (!isIdentifier(name)) {
            errors.add(Diagnostic.error(file, line, 1, what + " needs a macro name, got '" + rest + "'"));
            return false;
        }
        return macros.containsKey(name);
    }
}
