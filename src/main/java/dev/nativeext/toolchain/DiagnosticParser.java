package dev.nativeext.toolchain;

import dev.nativeext.error.Diagnostic;
import dev.nativeext.error.Diagnostic.Severity;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the output of gcc, the linker and nvcc into {@link Diagnostic}s: errors first, each
 * group in the order the tool printed it, so that the first element is the error to fix first.
 */
public final class DiagnosticParser {

    // gcc/clang: "file:line:col: error: msg" (column optional).
    private static final Pattern GCC = Pattern.compile(
            "^(.+?):(\\d+):(?:(\\d+):)? (fatal error|error|warning|note): (.*)$");
    // nvcc front end (EDG): "file(line): error: msg" or "file(line): error #20-D: msg".
    private static final Pattern NVCC = Pattern.compile(
            "^(.+?)\\((\\d+)\\): (error|warning|remark)(?: #[\\w-]+)?: (.*)$");
    // ptxas/nvlink/ld/nvcc driver lines without a source position.
    // e.g. "ptxas fatal   : msg", "nvcc fatal : msg", "/usr/bin/ld: error: msg", "gcc: error: msg".
    private static final Pattern TOOL = Pattern.compile(
            "^(?:.*/)?(ld|ptxas|nvlink|nvcc|collect2|gcc|cc1)(?:\\.\\S+)?\\s*(fatal|error|warning)?\\s*:\\s*"
                    + "(?:(fatal error|error|warning)\\s*:\\s*)?(.*)$");
    private static final Pattern UNDEFINED = Pattern.compile("undefined reference to [`'](.+)'");
    // "ld: b.o: in function `f': b.c:(.text+0x0): multiple definition of `f'; a.o:a.c:(.text+0x0): first defined here"
    private static final Pattern MULTIPLE = Pattern.compile("multiple definition of [`']([^']+)'(?:; (\\S+?):.*first defined here)?");
    // Any other linker line: "/usr/bin/ld: cannot open output file ...: File name too long".
    private static final Pattern LD = Pattern.compile("^(?:.*/)?(ld|ld\\.\\w+|collect2): (.*)$");

    private DiagnosticParser() {
    }

    public static List<Diagnostic> parse(String output, Path workDir) {
        List<Diagnostic> found = new ArrayList<>();
        for (String line : output.split("\\R")) {
            Diagnostic d = parseLine(line, workDir);
            if (d != null) found.add(d);
        }
        // Stable sort: errors keep their printed order and come before warnings and notes.
        found.sort(Comparator.comparingInt(d -> d.severity().ordinal()));
        return found;
    }

    private static Diagnostic parseLine(String line, Path workDir) {
        Matcher m = GCC.matcher(line);
        if (m.matches() && !m.group(1).contains(" ")) {
            return new Diagnostic(resolve(workDir, m.group(1)), Integer.parseInt(m.group(2)),
                    m.group(3) == null ? 0 : Integer.parseInt(m.group(3)), severity(m.group(4)), m.group(5));
        }
        m = NVCC.matcher(line);
        if (m.matches()) {
            return new Diagnostic(resolve(workDir, m.group(1)), Integer.parseInt(m.group(2)), 0,
                    severity(m.group(3)), m.group(4));
        }
        Matcher u = UNDEFINED.matcher(line);
        if (u.find()) {
            return new Diagnostic(null, 0, 0, Severity.ERROR, "undefined reference to '" + u.group(1)
                    + "': no source or library given to the build defines it");
        }
        Matcher md = MULTIPLE.matcher(line);
        if (md.find()) {
            return new Diagnostic(null, 0, 0, Severity.ERROR, "multiple definition of '" + md.group(1) + "': two objects given to the"
                    + " build define it (a source listed twice, or defined in two sources)"
                    + (md.group(2) != null ? "; first defined in " + md.group(2) : ""));
        }
        m = TOOL.matcher(line);
        String word = m.matches() ? (m.group(2) != null ? m.group(2) : m.group(3)) : null;
        if (word != null && !line.contains("ld returned")) {
            return new Diagnostic(null, 0, 0, severity(word), m.group(1) + ": " + m.group(4));
        }
        m = LD.matcher(line);
        if (m.matches() && !line.contains("ld returned") && !m.group(2).contains("in function")) {
            return new Diagnostic(null, 0, 0, Severity.ERROR, "ld: " + m.group(2));
        }
        return null;
    }

    private static Severity severity(String word) {
        String w = word.toLowerCase(Locale.ROOT);
        if (w.contains("error") || w.equals("fatal")) return Severity.ERROR;
        if (w.equals("warning")) return Severity.WARNING;
        return Severity.NOTE;
    }

    private static Path resolve(Path workDir, String file) {
        Path p = Path.of(file);
        return p.isAbsolute() || workDir == null ? p : workDir.resolve(p).normalize();
    }
}
