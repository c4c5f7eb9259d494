package dev.nativeext.header;

import java.util.List;

/** Normalises the whitespace of a type as written: {@code const float *} becomes {@code const float*}. */
final class Spelling {

    private Spelling() {
    }

    static String join(List<String> words) {
        StringBuilder b = new StringBuilder();
        String prev = null;
        for (String w : words) {
            if (prev != null && spaceBetween(prev, w)) b.append(' ');
            b.append(w);
            prev = w;
        }
        return b.toString();
    }

    private static boolean spaceBetween(String prev, String w) {
        if (w.equals("*") || w.equals("[") || w.equals("]") || w.equals(")") || w.equals(",")) return false;
        if (prev.equals("(") || prev.equals("[")) return false;
        if (prev.equals("*")) return Character.isJavaIdentifierPart(w.charAt(0));
        return true;
    }
}
