package dev.nativeext.header;

/** One lexical token of a header, with its 1-based position for diagnostics. */
record Token(Kind kind, String text, int line, int column) {

    enum Kind { IDENT, NUMBER, STRING, CHAR, PUNCT, DIRECTIVE, EOF }

    boolean is(String s) {
        return kind != Kind.STRING && kind != Kind.CHAR && kind != Kind.DIRECTIVE && text.equals(s);
    }

    boolean isIdent() {
        return kind == Kind.IDENT;
    }
}
