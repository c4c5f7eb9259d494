package dev.nativeext;

import javax.lang.model.SourceVersion;
import java.util.Locale;

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
        String[] parts = name.split("\\.");
        for (String p : parts) {
            if (SourceVersion.isKeyword(p)) {
                throw new IllegalArgumentException("extension name '" + name + "': component '" + p + "' is a Java keyword");
            }
            if (!SourceVersion.isIdentifier(p)) {
                throw new IllegalArgumentException("extension name '" + name + "': component '" + p
                        + "' is not a Java identifier (letters, digits, '_' and '$', not starting with a digit)");
            }
        }
        return parts;
    }

    static String className(String name, boolean packageMode) {
        String[] parts = validate(name);
        String last = parts[parts.length - 1];
        String simple = camel(last);
        int keep = packageMode ? parts.length : parts.length - 1;
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < keep; i++) s.append(parts[i]).append('.');
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
