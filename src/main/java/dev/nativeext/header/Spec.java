package dev.nativeext.header;

import java.util.ArrayList;
import java.util.List;

/**
 * The declaration specifiers before a declarator ({@code extern const unsigned int},
 * {@code struct foo}, a typedef name...), and their resolution to a base type.
 */
final class Spec {

    interface Reporter {
        void error(Token at, String message);
    }

    Token first;
    /** The first token that names the type: where type errors point. */
    Token typeTok;
    Token storageTok;
    Token typedefTok;
    boolean isConst;
    /** Type words and qualifiers as written, for CType spellings. */
    final List<String> words = new ArrayList<>();
    private final List<String> typeWords = new ArrayList<>();
    private int nVoid, nChar, nShort, nInt, nLong, nSigned, nUnsigned, nFloat, nDouble, nBool, nUnsupported;
    String tagKind;
    String tagName;
    private Token typedefNameTok;
    private Scope.Ty typedefTy;
    private Token unknownTok;

    static Spec parse(Cursor c, Scope scope, boolean topLevel) {
        Spec s = new Spec();
        s.first = c.peek();
        while (!c.atEnd() && c.peek().isIdent()) {
            Token t = c.peek();
            String w = t.text();
            switch (w) {
                case "const", "__const", "__const__" -> {
                    s.isConst = true;
                    s.words.add(w);
                }
                case "volatile", "__volatile__", "restrict", "__restrict", "__restrict__" -> s.words.add(w);
                case "extern", "register", "auto" -> { }
                case "static", "inline", "__inline", "__inline__" -> {
                    if (s.storageTok == null) s.storageTok = t;
                }
                case "typedef" -> s.typedefTok = t;
                case "void", "char", "short", "int", "long", "signed", "__signed__", "unsigned", "float", "double",
                        "_Bool", "_Complex", "__complex__", "_Imaginary", "__int128", "_Atomic" -> s.keyword(t);
                case "struct", "union", "enum" -> {
                    s.tag(c);
                    continue;
                }
                default -> {
                    Scope.Ty td = scope.typedefs.get(w);
                    boolean onlyUnknown = s.unknownTok != null && s.typedefNameTok == null;
                    // After an unknown word (an export macro we could not see), a following type name
                    // still belongs to the type, so the error names the macro and nothing else.
                    boolean continuesType = td != null || c.peek(1).isIdent() || c.peek(1).is("*");
                    if (s.hasBase() && !(onlyUnknown && continuesType)) return s;
                    if (s.unknownTok != null) {
                        // already an error; the word is kept for the spelling only
                    } else if (td != null) {
                        s.typedefNameTok = t;
                        s.typedefTy = td;
                    } else if (topLevel && c.peek(1).is("(")) {
                        return s; // no type at all before the function name: reported by resolve
                    } else {
                        s.unknownTok = t;
                    }
                    s.typeTok = s.typeTok == null ? t : s.typeTok;
                    s.words.add(w);
                }
            }
            c.next();
        }
        return s;
    }

    private void keyword(Token t) {
        switch (t.text()) {
            case "void" -> nVoid++;
            case "char" -> nChar++;
            case "short" -> nShort++;
            case "int" -> nInt++;
            case "long" -> nLong++;
            case "signed", "__signed__" -> nSigned++;
            case "unsigned" -> nUnsigned++;
            case "float" -> nFloat++;
            case "double" -> nDouble++;
            case "_Bool" -> nBool++;
            default -> nUnsupported++;
        }
        if (typeTok == null) typeTok = t;
        words.add(t.text());
        typeWords.add(t.text());
    }

    /** {@code struct name}, {@code struct name { ... }} or {@code struct { ... }}; bodies are skipped. */
    private void tag(Cursor c) {
        Token kw = c.next();
        if (typeTok == null) typeTok = kw;
        tagKind = kw.text();
        words.add(tagKind);
        if (c.peek().isIdent()) {
            tagName = c.next().text();
            words.add(tagName);
        }
        if (c.peekIs("{")) {
            c.group("{", "}");
        } else if (tagName == null) {
            throw new Cursor.Failure(c.peek(), "expected a name or '{' after '" + tagKind + "', found '" + c.peek().text() + "'");
        }
    }

    private int keywordCount() {
        return nVoid + nChar + nShort + nInt + nLong + nSigned + nUnsigned + nFloat + nDouble + nBool + nUnsupported;
    }

    /** Whether the type is a typedef of a function type ({@code typedef int fn_t(int);}). */
    boolean namesFunctionType() {
        return typedefTy != null && typedefTy.function() && typedefTy.depth() == 0 && !isConst;
    }

    boolean hasBase() {
        return keywordCount() > 0 || tagKind != null || typedefNameTok != null || unknownTok != null;
    }

    /**
     * The base type, or null after reporting why there is none. Types that exist in C but cannot
     * be bound come back with {@code problem} set and unreported: a typedef may name them harmlessly.
     */
    Scope.Ty resolve(Reporter r, String where) {
        if (unknownTok != null) {
            r.error(unknownTok, "unknown type '" + unknownTok.text() + "' in " + where);
            return null;
        }
        Token at = typeTok != null ? typeTok : first;
        int sources = (keywordCount() > 0 ? 1 : 0) + (tagKind != null ? 1 : 0) + (typedefNameTok != null ? 1 : 0);
        if (sources == 0) {
            r.error(at, "missing type in " + where);
            return null;
        }
        if (sources > 1) {
            r.error(at, "invalid type '" + Spelling.join(words) + "' in " + where);
            return null;
        }
        Scope.Ty ty;
        if (typedefNameTok != null) {
            ty = typedefTy;
            if (ty.problem() != null && !ty.reported()) {
                ty = Scope.Ty.problem(ty.problem() + " (through typedef '" + typedefNameTok.text() + "')", false);
            }
        } else if (tagKind != null) {
            ty = tagKind.equals("enum") ? Scope.Ty.of(CScalar.INT32) : Scope.Ty.struct(tagName != null ? tagName : "<anonymous>");
        } else if (nUnsupported > 0 || (nLong > 0 && nDouble > 0)) {
            ty = Scope.Ty.problem("unsupported type '" + String.join(" ", typeWords) + "'", false);
        } else {
            CScalar s = scalar();
            if (s == null) {
                r.error(at, "invalid type '" + String.join(" ", typeWords) + "' in " + where);
                return null;
            }
            ty = Scope.Ty.of(s);
        }
        return isConst ? ty.constTop() : ty;
    }

    /** The scalar the keywords name (LP64), or null for a combination C does not allow. */
    private CScalar scalar() {
        if (nSigned > 0 && nUnsigned > 0) return null;
        boolean sign = nSigned + nUnsigned > 0;
        int n = keywordCount();
        if (nVoid > 0) return n == 1 ? CScalar.VOID : null;
        if (nBool > 0) return n == 1 ? CScalar.BOOL : null;
        if (nFloat > 0) return n == 1 ? CScalar.FLOAT : null;
        if (nDouble > 0) return n == 1 ? CScalar.DOUBLE : null;
        if (nChar > 0) {
            if (nChar > 1 || nShort + nInt + nLong > 0) return null;
            return nSigned > 0 ? CScalar.INT8 : nUnsigned > 0 ? CScalar.UINT8 : CScalar.CHAR;
        }
        if (nInt > 1) return null;
        if (nShort > 0) {
            if (nShort > 1 || nLong > 0) return null;
            return nUnsigned > 0 ? CScalar.UINT16 : CScalar.INT16;
        }
        if (nLong > 0) {
            if (nLong > 2) return null;
            return nUnsigned > 0 ? CScalar.UINT64 : CScalar.INT64;
        }
        if (nInt > 0 || sign) {
            if (nSigned > 1 || nUnsigned > 1) return null;
            return nUnsigned > 0 ? CScalar.UINT32 : CScalar.INT32;
        }
        return null;
    }
}
