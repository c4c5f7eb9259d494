package dev.nativeext.header;

import dev.nativeext.error.Diagnostic;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Turns the tokens of one top-level declaration into functions, typedefs or errors. Every
 * declaration either yields what it declares or at least one error: nothing is dropped unseen.
 */
final class DeclParser {

    private static final Set<String> CXX_WORDS = Set.of("class", "namespace", "template", "typename", "using",
            "operator", "virtual", "public", "private", "protected", "friend", "mutable", "constexpr", "noexcept");
    private static final Set<String> CXX_PUNCT = Set.of("&", "&&", "::");

    private final Scope scope;
    private final Path file;
    private final List<Diagnostic> errors;
    private final List<CFunction> out;
    private Token declStart;

    DeclParser(Scope scope, Path file, List<Diagnostic> errors, List<CFunction> out) {
        this.scope = scope;
        this.file = file;
        this.errors = errors;
        this.out = out;
    }

    /** One declaration without its ';'; {@code body} is the '{' of a function body that followed it, if any. */
    void parse(List<Token> toks, Token body) {
        if (toks.isEmpty()) {
            if (body != null) error(body, "unexpected '{' outside a declaration");
            return;
        }
        declStart = toks.get(0);
        try {
            if (rejectCxx(toks)) return;
            Cursor c = new Cursor(toks);
            Spec spec = Spec.parse(c, scope, true);
            if (c.atEnd()) {
                if (spec.tagKind == null) error(declStart, "declaration declares nothing");
                return;
            }
            boolean first = true;
            while (true) {
                Declarator d = Declarator.parse(c, scope);
                if (spec.typedefTok != null) {
                    typedef(spec, d, first);
                } else {
                    declare(spec, d, body);
                }
                first = false;
                if (c.atEnd()) return;
                if (!c.peekIs(",")) {
                    Token n = d.nameTok();
                    throw new Cursor.Failure(c.peek(), "unexpected '" + c.peek().text() + "' in declaration"
                            + (n != null ? " of '" + n.text() + "'" : ""));
                }
                c.next();
            }
        } catch (Cursor.Failure f) {
            error(f.at, f.getMessage());
        }
    }

    private boolean rejectCxx(List<Token> toks) {
        int braces = 0;
        for (Token t : toks) {
            if (t.kind() == Token.Kind.PUNCT && t.is("{")) braces++;
            if (t.kind() == Token.Kind.PUNCT && t.is("}")) braces--;
            boolean cxx = t.isIdent() ? CXX_WORDS.contains(t.text()) : t.kind() == Token.Kind.PUNCT && CXX_PUNCT.contains(t.text());
            if (cxx && braces == 0) {
                String name = guessName(toks);
                error(t, "C++ is not supported: '" + t.text() + "'" + (name != null ? " in declaration of '" + name + "'" : ""));
                return true;
            }
        }
        return false;
    }

    /** The identifier before the first top-level '(', for messages about declarations we do not parse. */
    private static String guessName(List<Token> toks) {
        for (int i = 1; i < toks.size(); i++) {
            if (toks.get(i).is("(") && toks.get(i - 1).isIdent()) return toks.get(i - 1).text();
        }
        return null;
    }

    private void declare(Spec spec, Declarator d, Token body) {
        Token nameTok = d.nameTok();
        if (nameTok == null) throw new Cursor.Failure(d.start, "expected a name in declaration, found '" + d.start.text() + "'");
        String name = nameTok.text();
        Declarator.Shape shape = d.shape();
        switch (shape) {
            case FUNCTION, RETURNS_FUNCTION_POINTER -> {
                if (spec.storageTok != null) {
                    error(spec.storageTok, "'" + name + "' is static/inline, not exported");
                } else if (body != null) {
                    error(body, "'" + name + "' is defined here; headers hold declarations of exported functions only");
                } else if (shape == Declarator.Shape.RETURNS_FUNCTION_POINTER) {
                    error(nameTok, "function pointer return of '" + name + "' is not supported");
                } else {
                    function(spec, d, nameTok);
                }
            }
            case UNSUPPORTED -> error(nameTok, "unsupported declarator of '" + name + "' (an array of arrays or a pointer to an array)");
            default -> {
                if (shape == Declarator.Shape.PLAIN && d.ptrConst.isEmpty() && spec.namesFunctionType()) {
                    error(nameTok, "'" + name + "' is declared through a function typedef; declare it with its parameter list");
                } else {
                    error(nameTok, "'" + name + "' is a variable; headers hold exported functions only");
                }
            }
        }
    }

    private void function(Spec spec, Declarator d, Token nameTok) {
        String name = nameTok.text();
        int before = errors.size();
        CType ret = null;
        Scope.Ty base = usable(spec, "declaration of '" + name + "'");
        if (base != null) {
            if (base.function()) {
                error(spec.typeTok, "function pointer return of '" + name + "' is not supported");
            } else {
                Scope.Ty ty = pointers(base, d);
                if (ty.depth() == 0 && ty.struct() != null) {
                    error(spec.typeTok, "struct passed by value: bind it through a pointer (return type of '" + name
                            + "' is struct '" + ty.struct() + "')");
                } else {
                    ret = ty.toCType(spelling(spec.words, d.ptrWords, List.of()));
                }
            }
        }
        List<CParameter> params = params(d.suffixes.get(0), name);
        if (errors.size() != before) return;
        CFunction previous = scope.functions.get(name);
        if (previous != null) {
            error(nameTok, "duplicate function '" + name + "': first declared at " + previous.location());
            return;
        }
        CFunction f = new CFunction(name, ret, params, file, declStart.line());
        scope.functions.put(name, f);
        out.add(f);
    }

    private List<CParameter> params(Declarator.Suffix list, String fname) {
        List<List<Token>> raw = list.params();
        List<CParameter> params = new ArrayList<>();
        if (raw.size() == 1 && (raw.get(0).isEmpty() || (raw.get(0).size() == 1 && raw.get(0).get(0).is("void")))) {
            return params;
        }
        for (int i = 0; i < raw.size(); i++) {
            List<Token> p = raw.get(i);
            if (p.isEmpty()) {
                error(list.open(), "empty parameter " + (i + 1) + " in declaration of '" + fname + "'");
            } else if (p.get(0).is("...")) {
                error(p.get(0), "variadic function '" + fname + "' cannot be bound");
            } else {
                try {
                    CParameter cp = param(p, i, fname);
                    if (cp != null) params.add(cp);
                } catch (Cursor.Failure f) {
                    error(f.at, f.getMessage());
                }
            }
        }
        return params;
    }

    private CParameter param(List<Token> toks, int index, String fname) {
        Cursor c = new Cursor(toks);
        Spec spec = Spec.parse(c, scope, false);
        Declarator d = Declarator.parse(c, scope);
        Token nameTok = d.nameTok();
        String pname = nameTok != null ? nameTok.text() : "arg" + index;
        if (!c.atEnd()) {
            throw new Cursor.Failure(c.peek(), "unexpected '" + c.peek().text() + "' in parameter '" + pname + "' of '" + fname + "'");
        }
        Declarator.Shape shape = d.shape();
        Token at = nameTok != null ? nameTok : d.start;
        if (shape == Declarator.Shape.FUNCTION || shape == Declarator.Shape.FUNCTION_POINTER
                || shape == Declarator.Shape.RETURNS_FUNCTION_POINTER) {
            error(at, "function pointer parameter '" + pname + "' of '" + fname + "' is not supported");
            return null;
        }
        if (shape == Declarator.Shape.UNSUPPORTED) {
            error(at, "unsupported declarator of parameter '" + pname + "' of '" + fname
                    + "' (an array of arrays or a pointer to an array)");
            return null;
        }
        Scope.Ty base = usable(spec, "declaration of '" + fname + "'");
        if (base == null) return null;
        if (base.function()) {
            error(spec.typeTok, "function pointer parameter '" + pname + "' of '" + fname + "' is not supported");
            return null;
        }
        Scope.Ty ty = pointers(base, d);
        List<String> arrayWords = List.of();
        if (shape == Declarator.Shape.ARRAY) {
            // An array parameter is a pointer, and is spelled as one so that signature() stays valid C;
            // qualifiers inside [] qualify that pointer itself.
            Declarator.Suffix a = d.suffixes.get(0);
            ty = ty.pointer(a.constQualified());
            arrayWords = a.constQualified() ? List.of("*", "const") : List.of("*");
        }
        if (ty.depth() == 0 && ty.struct() != null) {
            error(spec.typeTok, "struct passed by value: bind it through a pointer (parameter '" + pname + "' of '"
                    + fname + "' is struct '" + ty.struct() + "')");
            return null;
        }
        if (ty.depth() == 0 && ty.scalar() == CScalar.VOID) {
            error(spec.typeTok, "parameter '" + pname + "' of '" + fname + "' has type void");
            return null;
        }
        return new CParameter(pname, ty.toCType(spelling(spec.words, d.ptrWords, arrayWords)));
    }

    private void typedef(Spec spec, Declarator d, boolean first) {
        Token nameTok = d.nameTok();
        if (nameTok == null) throw new Cursor.Failure(d.start, "expected a name in typedef, found '" + d.start.text() + "'");
        String name = nameTok.text();
        switch (d.shape()) {
            case FUNCTION, RETURNS_FUNCTION_POINTER -> scope.typedefs.put(name, Scope.Ty.functionType());
            case FUNCTION_POINTER -> scope.typedefs.put(name, Scope.Ty.functionType().pointer(false));
            case ARRAY, UNSUPPORTED -> scope.typedefs.put(name,
                    Scope.Ty.problem("array typedef '" + name + "' is not supported", false));
            default -> {
                // typedef struct { ... } name: the typedef names the anonymous struct.
                if (first && spec.tagName == null && spec.tagKind != null && !spec.tagKind.equals("enum")) spec.tagName = name;
                Scope.Ty base = spec.resolve(this::error, "typedef '" + name + "'");
                scope.typedefs.put(name, base == null ? Scope.Ty.problem("unknown type", true) : pointers(base, d));
            }
        }
    }

    /** The resolved base of a function's or parameter's type, or null once the reason was reported. */
    private Scope.Ty usable(Spec spec, String where) {
        Scope.Ty base = spec.resolve(this::error, where);
        if (base != null && base.problem() != null) {
            if (!base.reported()) error(spec.typeTok, base.problem() + " in " + where);
            return null;
        }
        return base;
    }

    private static Scope.Ty pointers(Scope.Ty base, Declarator d) {
        Scope.Ty ty = base;
        for (boolean isConst : d.ptrConst) ty = ty.pointer(isConst);
        return ty;
    }

    private static String spelling(List<String> spec, List<String> ptrs, List<String> array) {
        List<String> all = new ArrayList<>(spec);
        all.addAll(ptrs);
        all.addAll(array);
        return Spelling.join(all);
    }

    private void error(Token at, String message) {
        errors.add(Diagnostic.error(file, at.line(), at.column(), message));
    }
}
