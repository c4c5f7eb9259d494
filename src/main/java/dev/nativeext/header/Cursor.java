package dev.nativeext.header;

import java.util.List;

/** A position in the tokens of one declaration (or one parameter). */
final class Cursor {

    /** Abandons the rest of a declaration; the collector has already cut it at its ';'. */
    static final class Failure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        final Token at;

        Failure(Token at, String message) {
            super(message, null, false, false);
            this.at = at;
        }
    }

    private final List<Token> toks;
    private int p;

    Cursor(List<Token> toks) {
        this.toks = toks;
    }

    boolean atEnd() {
        return p >= toks.size();
    }

    /** At the end, a stand-in placed on the last token, so that messages still have a location. */
    Token peek() {
        return peek(0);
    }

    Token peek(int ahead) {
        if (p + ahead < toks.size()) return toks.get(p + ahead);
        Token last = toks.isEmpty() ? new Token(Token.Kind.EOF, "", 0, 0) : toks.get(toks.size() - 1);
        return new Token(Token.Kind.EOF, "end of declaration", last.line(), last.column());
    }

    boolean peekIs(String s) {
        return !atEnd() && toks.get(p).is(s);
    }

    Token next() {
        Token t = peek();
        if (p < toks.size()) p++;
        return t;
    }

    /** The tokens strictly inside the group opened at the current token; the cursor moves past its close. */
    List<Token> group(String open, String close) {
        int end = HeaderParser.matching(toks, p, open, close);
        if (end < 0) throw new Failure(peek(), "unbalanced '" + open + "'");
        List<Token> inside = toks.subList(p + 1, end);
        p = end + 1;
        return inside;
    }
}
