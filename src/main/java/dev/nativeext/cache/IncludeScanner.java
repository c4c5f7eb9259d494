package dev.nativeext.cache;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the local headers a source pulls in, transitively, so that editing an included header
 * invalidates the cache (the gap CuPy's kernel cache has). Quoted includes are looked up next to
 * the including file, then in the include folders; angle includes only in the include folders,
 * since system headers are covered by the compiler's version. A header that cannot be found is
 * left to the compiler to report. A computed include ({@code #define NE_KERNEL "k.h"} then
 * {@code #include NE_KERNEL}, as src/main/cpp/ne_each_isa.h does) is followed through the define:
 * a macro whose whole value is a quoted name of an existing file counts as a quoted include of
 * the file that defines it (at worst the key covers a file more than it needs).
 */
public final class IncludeScanner {

    private static final Pattern INCLUDE = Pattern.compile("^\\s*#\\s*include\\s*([\"<])([^\">]+)[\">]", Pattern.MULTILINE);
    private static final Pattern DEFINED_NAME = Pattern.compile("^\\s*#\\s*define\\s+\\w+\\s+\"([^\"]+)\"\\s*$",
            Pattern.MULTILINE);

    private IncludeScanner() {
    }

    /** The headers {@code source} includes, directly or not, in discovery order (source excluded). */
    public static Set<Path> closure(Path source, List<Path> includeDirs) {
        Set<Path> seen = new LinkedHashSet<>();
        Deque<Path> todo = new ArrayDeque<>();
        todo.add(source.toAbsolutePath().normalize());
        while (!todo.isEmpty()) {
            Path file = todo.poll();
            String text;
            try {
                text = Files.readString(file, StandardCharsets.ISO_8859_1);
            } catch (IOException e) {
                continue;
            }
            Matcher m = INCLUDE.matcher(text);
            while (m.find()) {
                Path found = resolve(file, m.group(1).equals("\""), m.group(2), includeDirs);
                if (found != null && seen.add(found)) todo.add(found);
            }
            Matcher d = DEFINED_NAME.matcher(text);
            while (d.find()) {
                Path found = resolve(file, true, d.group(1), includeDirs);
                if (found != null && seen.add(found)) todo.add(found);
            }
        }
        return seen;
    }

    private static Path resolve(Path from, boolean quoted, String name, List<Path> includeDirs) {
        if (quoted) {
            Path local = from.getParent().resolve(name).normalize();
            if (Files.isRegularFile(local)) return local;
        }
        for (Path dir : includeDirs) {
            Path p = dir.resolve(name).toAbsolutePath().normalize();
            if (Files.isRegularFile(p)) return p;
        }
        return null;
    }
}
