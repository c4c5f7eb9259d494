package dev.nativeext.error;

import java.nio.file.Path;

/**
 * One message about a build input, with the place it refers to.
 *
 * @param file     the file the message is about, or {@code null} when it has no location
 * @param line     1-based line, or 0 when unknown
 * @param column   1-based column, or 0 when unknown
 * @param severity how bad it is
 * @param message  what was wrong, in the tool's words
 */
public record Diagnostic(Path file, int line, int column, Severity severity, String message) {

    public enum Severity { ERROR, WARNING, NOTE }

    public static Diagnostic error(Path file, int line, int column, String message) {
        return new Diagnostic(file, line, column, Severity.ERROR, message);
    }

    public boolean isError() {
        return severity == Severity.ERROR;
    }

    /** {@code file:line:column: error: message}, the format editors and CI annotators understand. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        if (file != null) {
            s.append(file);
            if (line > 0) {
                s.append(':').append(line);
                if (column > 0) s.append(':').append(column);
            }
            s.append(": ");
        }
        return s.append(severity.name().toLowerCase(java.util.Locale.ROOT)).append(": ").append(message).toString();
    }
}
