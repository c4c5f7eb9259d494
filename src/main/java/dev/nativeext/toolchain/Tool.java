package dev.nativeext.toolchain;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A located tool: the executable, any prefix arguments that came with an override such as
 * {@code CC="ccache gcc"}, and the version line it reports (part of every cache key).
 */
public record Tool(String role, Path executable, List<String> prefixArgs, String version) {

    public Tool {
        prefixArgs = List.copyOf(prefixArgs);
    }

    /** The command line that starts the tool, to which the caller appends its arguments. */
    public List<String> command() {
        List<String> c = new ArrayList<>(prefixArgs.size() + 16);
        c.add(executable.toString());
        c.addAll(prefixArgs);
        return c;
    }

    /** What identifies the tool's output: where it is and which version it says it is. */
    public String identity() {
        return executable + " " + String.join(" ", prefixArgs) + " | " + version;
    }
}
