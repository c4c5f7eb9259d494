package dev.nativeext.header;

import dev.nativeext.error.Diagnostic;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a header into tokens. Comments vanish; each preprocessor line becomes one DIRECTIVE
 * token so that the parser sees {@code #define}s in source order (export macros must be known
 * before the declarations that use them).
 */
final class Lexer {

    private static final String[] MULTI_PUNCT = {"...", "::", "->", "&&", "||", "<<", ">>", "==", "!=", "<=", ">=", "##"};

    private final String s;
    private final Path file;
    private final List<Diagnostic> errors;
    private final boolean directives;
    private final List<Token> out = new ArrayList<>();
    private int pos;
    private int line = 1;
    private int col = 1;
    private boolean lineStart = true;

    private Lexer(Path file, String text, List<Diagnostic> errors, boolean directives) {
        this.s = text;
        this.file = file;
        this.errors = errors;
        this.directives = directives;
    }

    /** Tokens of a whole header, ending with an EOF token. */
    static List<Token> tokenize(Path file, String text, List<Diagnostic> errors) {
        return new Lexer(file, text, errors, true).run();
    }

    /** Tokens of a macro body; problems there are not the header's declarations' problems. */
    static List<Token> tokenizeFragment(String text) {
        return new Lexer(null, text, new ArrayList<>(), false).run();
    }

    private List<Token> run() {
        while (true) {
            if (!skipSpaceAndComments()) break;
            if (pos >= s.length()) break;
            int tl = line, tc = col;
            char c = s.charAt(pos);
            if (c == '#' && lineStart && directives) {
                out.add(new Token(Token.Kind.DIRECTIVE, readDirective(), tl, tc));
                continue;
            }
            lineStart = false;
            if (Character.isLetter(c) || c == '_' || c == '$') {
                int start = pos;
                while (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '_' || s.charAt(pos) == '$')) advance();
                out.add(new Token(Token.Kind.IDENT, s.substring(start, pos), tl, tc));
            } else if (Character.isDigit(c) || (c == '.' && pos + 1 < s.length() && Character.isDigit(s.charAt(pos + 1)))) {
                int start = pos;
                while (pos < s.length()) {
                    char d = s.charAt(pos);
                    boolean exponentSign = (d == '+' || d == '-') && "eEpP".indexOf(s.charAt(pos - 1)) >= 0;
                    if (!(Character.isLetterOrDigit(d) || d == '.' || d == '_' || exponentSign)) break;
                    advance();
                }
                out.add(new Token(Token.Kind.NUMBER, s.substring(start, pos), tl, tc));
            } else if (c == '"' || c == '\'') {
                out.add(readQuoted(c, tl, tc));
            } else {
                String p = String.valueOf(c);
                for (String m : MULTI_PUNCT) {
                    if (s.startsWith(m, pos)) {
                        p = m;
                        break;
                    }
                }
                for (int i = 0; i < p.length(); i++) advance();
                out.add(new Token(Token.Kind.PUNCT, p, tl, tc));
            }
        }
        out.add(new Token(Token.Kind.EOF, "end of file", line, col));
        return out;
    }

    /** Returns false after an unterminated comment, which ends the useful part of the file. */
    private boolean skipSpaceAndComments() {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c == '\n') {
                advance();
                lineStart = true;
            } else if (c == '\\' && isNewlineAt(pos + 1)) {
                advance();
            } else if (Character.isWhitespace(c)) {
                advance();
            } else if (s.startsWith("//", pos)) {
                while (pos < s.length() && s.charAt(pos) != '\n') advance();
            } else if (s.startsWith("/*", pos)) {
                if (!skipBlockComment()) return false;
            } else {
                return true;
            }
        }
        return true;
    }

    private boolean skipBlockComment() {
        int tl = line, tc = col;
        int end = s.indexOf("*/", pos + 2);
        if (end < 0) {
            errors.add(Diagnostic.error(file, tl, tc, "unterminated comment: '/*' has no closing '*/'"));
            while (pos < s.length()) advance();
            return false;
        }
        while (pos < end + 2) advance();
        return true;
    }

    /** The directive's text after '#', continuation lines joined and comments dropped. */
    private String readDirective() {
        advance();
        StringBuilder b = new StringBuilder();
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c == '\n') break;
            if (c == '\\' && isNewlineAt(pos + 1)) {
                advance();
                while (s.charAt(pos) != '\n') advance();
                advance();
                b.append(' ');
            } else if (s.startsWith("//", pos)) {
                while (pos < s.length() && s.charAt(pos) != '\n') advance();
            } else if (s.startsWith("/*", pos)) {
                if (!skipBlockComment()) break;
                b.append(' ');
            } else if (c == '"' || c == '\'') {
                int before = pos;
                readQuoted(c, line, col);
                b.append(s, before, pos);
            } else {
                b.append(c);
                advance();
            }
        }
        return b.toString().trim();
    }

    private Token readQuoted(char quote, int tl, int tc) {
        int start = pos;
        advance();
        while (pos < s.length() && s.charAt(pos) != quote && s.charAt(pos) != '\n') {
            if (s.charAt(pos) == '\\' && pos + 1 < s.length()) advance();
            advance();
        }
        if (pos < s.length() && s.charAt(pos) == quote) {
            advance();
        } else if (directives) {
            errors.add(Diagnostic.error(file, tl, tc, "unterminated " + (quote == '"' ? "string" : "character") + " literal"));
        }
        String text = s.substring(start, pos);
        if (quote == '"') {
            // STRING text is the content, so that extern "C" compares against plain C.
            String inner = text.length() >= 2 && text.endsWith("\"") ? text.substring(1, text.length() - 1) : text.substring(1);
            return new Token(Token.Kind.STRING, inner, tl, tc);
        }
        return new Token(Token.Kind.CHAR, text, tl, tc);
    }

    private boolean isNewlineAt(int i) {
        return i < s.length() && (s.charAt(i) == '\n' || (s.charAt(i) == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n'));
    }

    private void advance() {
        if (s.charAt(pos) == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
        pos++;
    }
}
