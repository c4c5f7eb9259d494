package dev.nativeext;

import java.util.Locale;
import java.util.Set;

/**
 * How a dotted extension name becomes the binding's class and the library's name.
 *
 * <table>
 * <caption>name {@code ext.my_lib}</caption>
 * <tr><th></th><th>packageMode = false</th><th>packageMode = true</th></tr>
 * <tr><td>binding class</td><td>{@code ext.MyLib}</td><td>{@code ext.my_lib.MyLib}</td></tr>
 * <tr><td>library</td><td>{@code libmy_lib.so}</td><td>{@code libmy_lib.so}</td></tr>
 * </table>
 *
 * As in {@code create_extension}, plain mode puts the compiled module beside its parent package
 * and package mode inside a package of its own named by the whole dotted name. The class name is
 * the last component in UpperCamelCase ({@code my_lib} becomes {@code MyLib}).
 */
final class ExtensionNames {

    // javax.lang.model.SourceVersion knows these too, but loading java.compiler costs ~10 ms of
    // every fresh JVM's cache hit.
    private static final Set<String> KEYWORDS = Set.of("abstract", "assert", "boolean", "break", "byte", "case",
            "catch", "char", "class", "const", "continue", "default", "do", "double", "else", "enum", "extends",
            "final", "finally", "float", "for", "goto", "if", "implements", "import", "instanceof", "int",
            "interface", "long", "native", "new", "package", "private", "protected", "public", "return", "short",
            "static", "strictfp", "super", "switch", "synchronized", "this", "throw", "throws", "transient", "try",
            "void", "volatile", "while", "true", "false", "null", "_");

    private ExtensionNames() {
    }

    /** Checks the name; every failure names the value and what is wrong with it. */
    static String[] validate(String name) {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("extension name is empty");
        if (name.contains("/") || name.contains("\\")) {
            throw new IllegalArgumentException("extension name '" + name + "' contains a path separator; use dots, e.g. 'ext.my_lib'");
        }
        if (name.startsWith(".") || name.endsWith(".") || name.contains("..")) {
            throw new IllegalArgumentException("extension name '" + name + "' has an empty component (leading, trailing or doubled '.')");
        }
        if (name.length() > MAX_NAME) {
            throw new IllegalArgumentException("extension name of " + name.length() + " characters ('" + name.substring(0, 40)
                    + "...'); expected at most " + MAX_NAME + ", each component at most " + MAX_COMPONENT);
        }
        String[] parts = name.split("\\.");
        for (String p : parts) {
            if (p.length() > MAX_COMPONENT) {
                throw new IllegalArgumentException("extension name '" + name.substring(0, Math.min(60, name.length())) + "...': component of "
                        + p.length() + " characters; expected at most " + MAX_COMPONENT + " (it names a file: lib<name>_<hash>.so)");
            }
            if (KEYWORDS.contains(p)) {
                throw new IllegalArgumentException("extension name '" + name + "': component '" + p + "' is a Java keyword");
            }
            if (!isIdentifier(p)) {
                throw new IllegalArgumentException("extension name '" + name + "': component '" + p
                        + "' is not a Java identifier (letters, digits, '_' and '$', not starting with a digit)");
            }
        }
        return parts;
    }

    /** Longest name and component: a component names files (lib<name>_<16 hex>.so, <Name>.class) limited to 255 bytes. */
    static final int MAX_COMPONENT = 200;
    static final int MAX_NAME = 1000;

    /**
     * A Java identifier without the characters Java ignores in identifiers (NUL and other
     * controls, which no file name may hold).
     */
    private static boolean isIdentifier(String s) {
        if (s.isEmpty() || !Character.isJavaIdentifierStart(s.charAt(0))) return false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!Character.isJavaIdentifierPart(c) || Character.isIdentifierIgnorable(c)) return false;
        }
        return true;
    }

    static String className(String name, boolean packageMode) {
        String[] parts = validate(name);
        String last = parts[parts.length - 1];
        String simple = camel(last);
        int keep = packageMode ? parts.length : parts.length - 1;
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < keep; i++) s.append(parts[i]).append('.');
        if (keep > 0 && parts[0].equals("java")) {
            throw new IllegalArgumentException("extension name '" + name + "' puts the binding class in the package '" + s.substring(0, s.length() - 1)
                    + "': packages under 'java' are reserved to the JDK (the JVM refuses them: \"Prohibited package name\");"
                    + " choose another first component");
        }
        return s.append(simple).toString();
    }

    static String libraryName(String name) {
        String[] parts = validate(name);
        return parts[parts.length - 1];
    }

    static String camel(String component) {
        StringBuilder s = new StringBuilder();
        for (String w : component.split("_")) {
            if (w.isEmpty()) continue;
            s.append(w.substring(0, 1).toUpperCase(Locale.ROOT)).append(w.substring(1));
        }
        String c = s.toString();
        if (c.isEmpty() || !Character.isJavaIdentifierStart(c.charAt(0))) c = "Ext" + c;
        return c;
    }
}
