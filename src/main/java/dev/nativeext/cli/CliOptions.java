package dev.nativeext.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A command's {@code --name value} options, checked as they are read, so that a wrong one stops
 * the command before any work with a {@link UsageException} that names it (an unknown option, a
 * missing value, a number that is not one or is out of range, an input file that does not exist)
 * rather than a stack trace from deep inside the work.
 */
final class CliOptions {

    /** A wrong command line: the message names the option; {@link Main} prints it with the command's usage. */
    static final class UsageException extends RuntimeException {
        private final String usage;

        UsageException(String message, String usage) {
            super(message);
            this.usage = usage;
        }

        String usage() {
            return usage;
        }
    }

    private final Map<String, String> values;
    private final String usage;

    private CliOptions(Map<String, String> values, String usage) {
        this.values = values;
        this.usage = usage;
    }

    /** {@code args} as {@code --name value} pairs, each name one of {@code names}. */
    static CliOptions parse(String[] args, List<String> names, String usage) {
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) throw new UsageException("expected --option value, got '" + a + "'", usage);
            String name = a.substring(2);
            if (!names.contains(name)) throw new UsageException("unknown option " + a, usage);
            if (i + 1 >= args.length) throw new UsageException("missing value after " + a, usage);
            values.put(name, args[++i]);
        }
        return new CliOptions(values, usage);
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    /** A path the command writes (not checked), or {@code otherwise}. */
    Path path(String name, Path otherwise) {
        return has(name) ? Path.of(values.get(name)) : otherwise;
    }

    /** A file the command writes, whose folder must exist, or {@code otherwise} where the option is absent. */
    Path outputFile(String name, Path otherwise) {
        if (!has(name)) return otherwise;
        Path p = Path.of(values.get(name));
        Path folder = p.toAbsolutePath().getParent();
        if (Files.isDirectory(p)) throw wrong(name, "is a folder, not a file");
        if (folder != null && !Files.isDirectory(folder)) throw wrong(name, "its folder " + folder + " does not exist");
        return p;
    }

    /** An input file that must exist, or null where the option is absent. */
    Path inputFile(String name) {
        if (!has(name)) return null;
        Path p = Path.of(values.get(name));
        if (!Files.isRegularFile(p)) throw wrong(name, Files.isDirectory(p) ? "is a folder, not a file" : "no such file");
        if (!Files.isReadable(p)) throw wrong(name, "cannot be read");
        return p;
    }

    /** An input folder that must exist, or null where the option is absent. */
    Path inputFolder(String name) {
        if (!has(name)) return null;
        Path p = Path.of(values.get(name));
        if (!Files.isDirectory(p)) throw wrong(name, Files.exists(p) ? "is not a folder" : "no such folder");
        return p;
    }

    /** An int of at least {@code min}, or {@code otherwise} where the option is absent. */
    int intAtLeast(String name, int min, int otherwise) {
        Integer v = intAtLeast(name, min);
        return v != null ? v : otherwise;
    }

    /** An int of at least {@code min}, or null where the option is absent (the caller's default then applies). */
    Integer intAtLeast(String name, int min) {
        if (!has(name)) return null;
        try {
            int v = Integer.parseInt(values.get(name).strip());
            if (v < min) throw wrong(name, "must be at least " + min);
            return v;
        } catch (NumberFormatException e) {
            throw wrong(name, "expects an integer");
        }
    }

    long longValue(String name, long otherwise) {
        if (!has(name)) return otherwise;
        try {
            return Long.parseLong(values.get(name).strip());
        } catch (NumberFormatException e) {
            throw wrong(name, "expects an integer");
        }
    }

    private UsageException wrong(String name, String what) {
        return new UsageException("--" + name + " " + values.get(name) + ": " + what, usage);
    }
}
