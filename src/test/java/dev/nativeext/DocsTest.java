package dev.nativeext;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Citations of the op semantics reference point at sections that exist in docs/ops.md. */
class DocsTest {

    /** "ops.md §5.6", "docs/ops.md §9 T4", also broken over a comment line ("ops.md\n * §5.3"). */
    static final Pattern CITATION = Pattern.compile("ops\\.md\\s*(?:\\*\\s*)?§(\\d+(?:\\.\\d+)?)");
    static final Pattern HEADING = Pattern.compile("(?m)^#{2,3} (\\d+(?:\\.\\d+)?)\\.? ");

    @Test
    void everyOpsMdCitationNamesASectionOfDocsOpsMd() throws IOException {
        Set<String> sections = new TreeSet<>();
        Matcher h = HEADING.matcher(Files.readString(Path.of("docs/ops.md"), StandardCharsets.UTF_8));
        while (h.find()) sections.add(h.group(1));
        assertTrue(sections.containsAll(List.of("0", "1", "2", "2.2", "5.6", "6.1", "9", "10")), sections.toString());
        List<String> cited = new ArrayList<>(), missing = new ArrayList<>();
        for (String root : List.of("src", "include", "bin", "build-tools/src")) {
            if (!Files.isDirectory(Path.of(root))) continue;
            try (Stream<Path> files = Files.walk(Path.of(root))) {
                for (Path f : files.filter(Files::isRegularFile).filter(DocsTest::isText).toList()) {
                    Matcher m = CITATION.matcher(Files.readString(f, StandardCharsets.UTF_8));
                    while (m.find()) {
                        cited.add(f + " §" + m.group(1));
                        if (!sections.contains(m.group(1))) missing.add(f + " cites §" + m.group(1));
                    }
                }
            }
        }
        assertTrue(cited.size() >= 30, "found only " + cited.size() + " citations: " + cited);
        assertTrue(missing.isEmpty(), "citations of sections docs/ops.md does not have: " + missing);
    }

    private static boolean isText(Path f) {
        String n = f.getFileName().toString();
        return n.endsWith(".java") || n.endsWith(".c") || n.endsWith(".h") || n.endsWith(".cu") || n.endsWith(".cpp")
                || n.endsWith(".md") || !n.contains(".");
    }
}
