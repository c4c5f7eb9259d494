package dev.nativeext.error;

import java.nio.file.Path;
import java.util.List;

/**
 * A build of a native extension failed. Carries the structured diagnostics (errors first, in the
 * order the tool reported them) and, when a tool ran, the path of its full log.
 */
public class ExtensionBuildException extends RuntimeException {

    private final List<Diagnostic> diagnostics;
    private final Path log;

    public ExtensionBuildException(String summary, List<Diagnostic> diagnostics, Path log) {
        super(format(summary, diagnostics, log));
        this.diagnostics = List.copyOf(diagnostics);
        this.log = log;
    }

    public ExtensionBuildException(String summary, Throwable cause) {
        super(summary, cause);
        this.diagnostics = List.of();
        this.log = null;
    }

    /** All diagnostics, errors first; each error keeps the tool's order. */
    public List<Diagnostic> diagnostics() {
        return diagnostics;
    }

    /** The first error, the one to fix first; {@code null} when none could be parsed. */
    public Diagnostic firstError() {
        return diagnostics.stream().filter(Diagnostic::isError).findFirst().orElse(null);
    }

    /** The full output of the failed tool, or {@code null} when no tool ran. */
    public Path log() {
        return log;
    }

    private static String format(String summary, List<Diagnostic> diagnostics, Path log) {
        StringBuilder s = new StringBuilder(summary);
        int shown = 0;
        for (Diagnostic d : diagnostics) {
            if (shown++ == 20) {
                s.append("\n  ... ").append(diagnostics.size() - 20).append(" more");
                break;
            }
            s.append("\n  ").append(d);
        }
        if (log != null) s.append("\n  full log: ").append(log);
        return s.toString();
    }
}
