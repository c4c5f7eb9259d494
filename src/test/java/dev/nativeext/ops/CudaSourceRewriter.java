package dev.nativeext.ops;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Turns a .cu file into plain C++ for the CPU emulator of CudaEmulationTest
 * (src/test/native/cuda-emu/ne_cuda_emu.h): kernel launches become calls into the emulator, shared
 * memory its per-block buffers. A scanner over brackets, comments and literals rather than a
 * regular expression, because launches span lines and carry nested template arguments.
 */
final class CudaSourceRewriter {

    private CudaSourceRewriter() {
    }

    private static final Pattern CUDA_INCLUDE = Pattern.compile(
            "(?m)^[ \\t]*#[ \\t]*include[ \\t]*<(cuda_runtime|cuda_runtime_api|cuda|device_launch_parameters)\\.h>");
    private static final Pattern STATIC_SHARED = Pattern.compile(
            "(?<!extern\\s)(__shared__\\s+[A-Za-z_][\\w:<>, ]*?\\s+([A-Za-z_]\\w*)\\s*(?:\\[[^\\]\\n]*\\]\\s*)*;)");
    private static final Pattern EXTERN_SHARED = Pattern.compile(
            "extern\\s+__shared__\\s+(?:__align__\\s*\\(\\s*\\d+\\s*\\)\\s+)?([A-Za-z_][\\w:]*(?:\\s+[A-Za-z_][\\w:]*)*)\\s+"
                    + "(?:__align__\\s*\\(\\s*\\d+\\s*\\)\\s+)?([A-Za-z_]\\w*)\\s*\\[\\s*\\]\\s*;");

    /**
     * The .cu as plain C++ for the emulator: CUDA runtime includes become the emulator's, dynamic
     * shared memory a pointer into the emulator's per-block buffer, and every
     * {@code kernel<<<grid, block[, shmem[, stream]]>>>(args)} a call
     * {@code ne_emu::launch("kernel", grid, block, shmem, stream, [&](auto&&... a) { kernel(a...); }, args)}.
     * Launches are found by scanning for {@code <<<} outside comments and literals and matching
     * brackets (templates, nested calls, several lines); line numbers are kept, and {@code #line}
     * points diagnostics at the original file.
     */
    static String rewrite(String src, String displayPath) {
        String s = CUDA_INCLUDE.matcher(src).replaceAll("/* emulated: <$1.h> */");
        s = EXTERN_SHARED.matcher(s).replaceAll("$1* $2 = reinterpret_cast<$1*>(::ne_emu::dynamic_shared());");
        s = STATIC_SHARED.matcher(s).replaceAll("$1 ::ne_emu::poison_shared(&$2, sizeof $2);");
        StringBuilder out = new StringBuilder("#include \"ne_cuda_emu.h\"\n#line 1 \"" + displayPath + "\"\n");
        int copied = 0;
        for (int i = 0; i < s.length(); ) {
            int skip = skipCommentOrLiteral(s, i);
            if (skip > i) {
                i = skip;
                continue;
            }
            if (!s.startsWith("<<<", i)) {
                i++;
                continue;
            }
            int nameStart = kernelNameStart(s, i);
            int cfgEnd = findAtDepthZero(s, i + 3, ">>>");
            if (nameStart < 0 || cfgEnd < 0) throw new IllegalArgumentException(displayPath + ": cannot parse the launch at " + line(s, i));
            int open = cfgEnd + 3;
            while (open < s.length() && Character.isWhitespace(s.charAt(open))) open++;
            if (open >= s.length() || s.charAt(open) != '(') throw new IllegalArgumentException(displayPath + ": no arguments after >>> at " + line(s, i));
            int close = matching(s, open);
            String name = s.substring(nameStart, i).strip().replaceAll("\\s+", " ");
            List<String> cfg = splitTopLevel(s.substring(i + 3, cfgEnd));
            if (cfg.size() < 2 || cfg.size() > 4) throw new IllegalArgumentException(displayPath + ": launch config of " + cfg.size() + " parts at " + line(s, i));
            while (cfg.size() < 4) cfg.add(cfg.size() == 2 ? "0" : "nullptr");
            String args = s.substring(open + 1, close);
            StringBuilder r = new StringBuilder("::ne_emu::launch(\"").append(name.replace("\"", "")).append("\", dim3(").append(cfg.get(0))
                    .append("), dim3(").append(cfg.get(1)).append("), (size_t) (").append(cfg.get(2)).append("), (cudaStream_t) (")
                    .append(cfg.get(3)).append("), [&](auto&&... ne_emu_a) { ").append(name).append("(ne_emu_a...); }");
            if (!args.isBlank()) r.append(", ").append(args);
            r.append(')');
            String original = s.substring(nameStart, close + 1);
            r.append("\n".repeat(Math.max(0, newlines(original) - newlines(r))));  // keep line numbers
            out.append(s, copied, nameStart).append(r);
            copied = close + 1;
            i = close + 1;
        }
        return out.append(s.substring(copied)).toString();
    }

    /** The end of a comment or string/char literal starting at i, or i if none starts there. */
    static int skipCommentOrLiteral(String s, int i) {
        if (s.startsWith("//", i)) {
            int e = s.indexOf('\n', i);
            return e < 0 ? s.length() : e;
        }
        if (s.startsWith("/*", i)) {
            int e = s.indexOf("*/", i + 2);
            return e < 0 ? s.length() : e + 2;
        }
        char c = s.charAt(i);
        if (c == '"' || (c == '\'' && !(i > 0 && Character.isLetterOrDigit(s.charAt(i - 1))))) {  // 1'000 digit separators
            int j = i + 1;
            while (j < s.length() && s.charAt(j) != c) j += s.charAt(j) == '\\' ? 2 : 1;
            return Math.min(j + 1, s.length());
        }
        return i;
    }

    /** Start of the kernel expression before "<<<" at i: an identifier path with optional template arguments. */
    static int kernelNameStart(String s, int i) {
        int j = i - 1;
        while (j >= 0 && Character.isWhitespace(s.charAt(j))) j--;
        if (j >= 0 && s.charAt(j) == '>') {
            int depth = 0;
            for (; j >= 0; j--) {
                char c = s.charAt(j);
                if (c == '>') depth++;
                else if (c == '<' && --depth == 0) break;
            }
            if (j < 0) return -1;
            j--;
            while (j >= 0 && Character.isWhitespace(s.charAt(j))) j--;
        }
        int end = j;
        while (j >= 0 && (Character.isJavaIdentifierPart(s.charAt(j)) || s.charAt(j) == ':')) j--;
        return j == end ? -1 : j + 1;
    }

    /** Index of `token` at bracket depth 0 from `from`, outside comments and literals; -1 if none. */
    static int findAtDepthZero(String s, int from, String token) {
        int depth = 0;
        for (int i = from; i < s.length(); ) {
            int skip = skipCommentOrLiteral(s, i);
            if (skip > i) {
                i = skip;
                continue;
            }
            char c = s.charAt(i);
            if (depth == 0 && s.startsWith(token, i)) return i;
            if (c == '(' || c == '[' || c == '{') depth++;
            else if (c == ')' || c == ']' || c == '}') depth--;
            i++;
        }
        return -1;
    }

    /** The ')' matching the '(' at open. */
    static int matching(String s, int open) {
        int close = findAtDepthZero(s, open + 1, ")");
        if (close < 0) throw new IllegalArgumentException("unbalanced parentheses at " + line(s, open));
        return close;
    }

    /** Comma-separated parts at bracket depth 0 (commas inside (), [], {} or template args stay). */
    static List<String> splitTopLevel(String s) {
        List<String> parts = new ArrayList<>();
        int depth = 0, angle = 0, start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '(' || c == '[' || c == '{') depth++;
            else if (c == ')' || c == ']' || c == '}') depth--;
            else if (c == '<' && i > 0 && Character.isJavaIdentifierPart(s.charAt(i - 1)) && s.indexOf('>', i) > 0) angle++;
            else if (c == '>' && angle > 0) angle--;
            else if (c == ',' && depth == 0 && angle == 0) {
                parts.add(s.substring(start, i));
                start = i + 1;
            }
        }
        parts.add(s.substring(start));
        return parts;
    }

    static int newlines(CharSequence s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) == '\n') n++;
        return n;
    }

    private static String line(String s, int i) {
        return "line " + (newlines(s.substring(0, i)) + 1);
    }
}
