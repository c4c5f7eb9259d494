package dev.nativeext.header;

import dev.nativeext.error.Diagnostic;
import dev.nativeext.error.ExtensionBuildException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * Reads the C99 headers of a native extension and returns the exported functions they declare.
 *
 * <p>This is not a C compiler front end: it understands the declarations an extension's header
 * is expected to hold (see create_extension's contract) and reports everything else as an error
 * with its location, so that no function is ever dropped silently. All problems of all headers
 * are collected before failing, so one build shows the user every fix to make.
 */
public final class HeaderParser {

    private final Scope scope = new Scope();
    private final List<Diagnostic> errors = new ArrayList<>();
    private final List<CFunction> functions = new ArrayList<>();
    private final Conditionals conditionals;

    private HeaderParser(Conditionals conditionals) {
        this.conditionals = conditionals;
    }

    /** Parses the headers in order (a typedef/struct/enum declared in an earlier header is visible in later ones). */
    public static List<CFunction> parse(List<Path> headers) {
        return parse(headers, Map.of(), List.of());
    }

    /**
     * Parses the headers in order, with {@code #if}/{@code #ifdef} evaluated against
     * {@code macros} (name to value, {@code null} for 1), the {@code -D}/{@code -U} among
     * {@code compileArgs} and gcc's predefined macros (see {@link Conditionals}).
     */
    public static List<CFunction> parse(List<Path> headers, Map<String, String> macros, List<String> compileArgs) {
        HeaderParser p = new HeaderParser(Conditionals.withPredefined(macros).withCompilerArgs(compileArgs));
        for (Path h : headers) {
            String text;
            try {
                // Decoding with replacement: a stray Latin-1 byte in a comment must not fail the build.
                text = new String(Files.readAllBytes(h), StandardCharsets.UTF_8);
            } catch (IOException | UncheckedIOException e) {
                p.errors.add(Diagnostic.error(h, 0, 0, "cannot read header: " + e));
                continue;
            }
            p.parseFile(h, text);
        }
        return p.finish();
    }

    /** Parses one header whose text is given; {@code header} is only used for locations. */
    public static List<CFunction> parse(Path header, String text) {
        return parse(header, text, Map.of());
    }

    /** Parses one header whose text is given, with {@code macros} defined; {@code header} is only used for locations. */
    public static List<CFunction> parse(Path header, String text, Map<String, String> macros) {
        HeaderParser p = new HeaderParser(Conditionals.withPredefined(macros));
        p.parseFile(header, text);
        return p.finish();
    }

    private List<CFunction> finish() {
        if (!errors.isEmpty()) {
            throw new ExtensionBuildException("cannot bind " + errors.size() + " declaration(s) in the headers", errors, null);
        }
        return List.copyOf(functions);
    }

    /**
     * Cuts the token stream into declarations (up to a top-level ';', or a function body) and
     * hands each to {@link DeclParser}. Balance is checked here, so that a broken declaration
     * cannot swallow the ones after it beyond the next ';'.
     */
    private void parseFile(Path file, String text) {
        List<Token> toks = Lexer.tokenize(file, conditionals.apply(file, text, errors), errors);
        DeclParser decls = new DeclParser(scope, file, errors, functions);
        Deque<Token> externBlocks = new ArrayDeque<>();
        Deque<Token> open = new ArrayDeque<>();
        List<Token> decl = new ArrayList<>();
        int i = 0;
        while (true) {
            Token t = toks.get(i++);
            if (t.kind() == Token.Kind.DIRECTIVE) {
                scope.directive(t.text());
                continue;
            }
            if (t.kind() == Token.Kind.EOF) {
                if (!open.isEmpty()) {
                    error(file, open.peek(), "unbalanced '" + open.peek().text() + "': not closed before the end of the file");
                } else if (!decl.isEmpty()) {
                    Token last = decl.get(decl.size() - 1);
                    error(file, last, "missing ';' at end of file after '" + last.text() + "'");
                }
                for (Token b : externBlocks) error(file, b, "unbalanced '{' of extern \"C\" block: not closed before the end of the file");
                return;
            }
            if (Scope.ANNOTATIONS.contains(t.text()) && toks.get(i).is("(")) {
                int close = matching(toks, i, "(", ")");
                if (close < 0) {
                    error(file, toks.get(i), "unbalanced '(' of " + t.text() + ": not closed before the end of the file");
                    return;
                }
                i = close + 1;
                continue;
            }
            if (t.isIdent() && (scope.ignorableMacros.contains(t.text()) || Scope.NOISE_WORDS.contains(t.text()))) continue;
            if (decl.isEmpty() && open.isEmpty()) {
                if (t.is(";")) continue;
                if (t.is("}") && !externBlocks.isEmpty()) {
                    externBlocks.pop();
                    continue;
                }
            }
            if (t.is("extern") && open.isEmpty() && toks.get(i).kind() == Token.Kind.STRING) {
                Token lang = toks.get(i);
                if (!lang.text().equals("C")) {
                    error(file, lang, "C++ is not supported: extern \"" + lang.text() + "\"");
                } else if (decl.isEmpty() && toks.get(i + 1).is("{")) {
                    externBlocks.push(toks.get(i + 1));
                    i += 2;
                    continue;
                }
                i++; // a linkage spec on a single declaration changes nothing for binding
                continue;
            }
            switch (t.text()) {
                case "(", "[" -> {
                    if (t.kind() == Token.Kind.PUNCT && open.size() >= Conditionals.MAX_DEPTH) {
                        i = tooDeep(file, toks, i, t, open, decl);
                        continue;
                    }
                    if (t.kind() == Token.Kind.PUNCT) open.push(t);
                    decl.add(t);
                }
                case ")", "]" -> {
                    if (t.kind() != Token.Kind.PUNCT) {
                        decl.add(t);
                    } else if (!open.isEmpty() && open.peek().is(t.is(")") ? "(" : "[")) {
                        open.pop();
                        decl.add(t);
                    } else {
                        error(file, open.isEmpty() || open.peek().is("{") ? t : open.peek(), "unbalanced '"
                                + (open.isEmpty() || open.peek().is("{") ? t.text() : open.peek().text()) + "'");
                        i = resync(toks, i);
                        open.clear();
                        decl.clear();
                    }
                }
                case "{" -> {
                    boolean body = open.isEmpty() && !decl.isEmpty()
                            && (decl.get(decl.size() - 1).is(")") || decl.get(0).is("namespace"));
                    if (body) {
                        int close = matching(toks, i - 1, "{", "}");
                        if (close < 0) {
                            error(file, t, "unbalanced '{': the body is not closed before the end of the file");
                            return;
                        }
                        decls.parse(decl, t);
                        decl.clear();
                        i = close + 1;
                        if (toks.get(i).is(";")) i++;
                    } else if (open.size() >= Conditionals.MAX_DEPTH) {
                        i = tooDeep(file, toks, i, t, open, decl);
                    } else {
                        open.push(t);
                        decl.add(t);
                    }
                }
                case "}" -> {
                    if (!open.isEmpty() && open.peek().is("{")) {
                        open.pop();
                        decl.add(t);
                    } else {
                        Token culprit = open.isEmpty() ? t : open.peek();
                        error(file, culprit, "unbalanced '" + culprit.text() + "'");
                        open.clear();
                        decl.clear();
                    }
                }
                case ";" -> {
                    if (open.isEmpty()) {
                        decls.parse(decl, null);
                        decl.clear();
                    } else if (open.peek().is("{")) {
                        decl.add(t);
                    } else {
                        error(file, open.peek(), "unbalanced '" + open.peek().text() + "'");
                        open.clear();
                        decl.clear();
                    }
                }
                default -> decl.add(t);
            }
        }
    }

    /**
     * The declaration parsers recurse once per nesting level: past {@link Conditionals#MAX_DEPTH}
     * the declaration is a diagnostic (not a StackOverflowError) and is skipped to its end.
     */
    private int tooDeep(Path file, List<Token> toks, int i, Token t, Deque<Token> open, List<Token> decl) {
        error(file, t, "'" + t.text() + "' nested deeper than " + Conditionals.MAX_DEPTH + " levels");
        int depth = open.size() + 1;
        while (depth > 0 && toks.get(i).kind() != Token.Kind.EOF) {
            Token x = toks.get(i++);
            if (x.kind() != Token.Kind.PUNCT) continue;
            if (x.is("(") || x.is("[") || x.is("{")) depth++;
            if (x.is(")") || x.is("]") || x.is("}")) depth--;
        }
        open.clear();
        decl.clear();
        return toks.get(i).kind() == Token.Kind.EOF ? i : resync(toks, i);
    }

    /** Index after the next ';' (or of EOF), where the next declaration can start. */
    private int resync(List<Token> toks, int i) {
        while (toks.get(i).kind() != Token.Kind.EOF) {
            Token t = toks.get(i++);
            if (t.kind() == Token.Kind.DIRECTIVE) scope.directive(t.text());
            if (t.is(";")) break;
        }
        return i;
    }

    /** Index of the token closing the one at {@code from}, or -1 when the file ends first. */
    static int matching(List<Token> toks, int from, String openText, String closeText) {
        int depth = 0;
        for (int k = from; k < toks.size(); k++) {
            Token t = toks.get(k);
            if (t.kind() != Token.Kind.PUNCT) continue;
            if (t.is(openText)) depth++;
            if (t.is(closeText) && --depth == 0) return k;
        }
        return -1;
    }

    private void error(Path file, Token at, String message) {
        errors.add(Diagnostic.error(file, at.line(), at.column(), message));
    }
}
