package dev.nativeext.toolchain;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds compilers and their versions. An override ({@code -Dnativeext.cc}, then {@code CC}) wins,
 * then {@code PATH}, then well-known folders. The version is asked once per executable file (same
 * path, size and modification time) and remembered on disk, so that a warm cache hit in a fresh
 * JVM starts no process at all.
 */
public final class ToolLocator {

    /** How to find one kind of tool. */
    public record Spec(String role, String property, String envVar, List<String> names, List<Path> extraDirs,
                       String hint) {
    }

    public static final Spec C_COMPILER = new Spec("C compiler", "nativeext.cc", "CC", List.of("gcc", "cc"),
            List.of(), "install gcc (Debian: apt-get install gcc) or point to one with CC=/path/to/gcc or -Dnativeext.cc=/path/to/gcc");

    public static final Spec CUDA_COMPILER = new Spec("CUDA compiler", "nativeext.nvcc", "NVCC", List.of("nvcc"),
            List.of(Path.of("/usr/local/cuda/bin")),
            "install the CUDA toolkit or point to nvcc with NVCC=/path/to/nvcc or -Dnativeext.nvcc=/path/to/nvcc");

    // Keyed by role, not by the record: a record's hashCode bootstraps through invokedynamic,
    // ~20 ms of a fresh JVM's cache hit.
    private static final Map<String, Tool> FOUND = new ConcurrentHashMap<>();

    private final Path versionCacheDir;

    /** @param versionCacheDir where version lines are remembered; {@code null} to always ask the tool */
    public ToolLocator(Path versionCacheDir) {
        this.versionCacheDir = versionCacheDir;
    }

    /** The tool, or a {@link ToolNotFoundException} naming every place that was searched. */
    public Tool locate(Spec spec) {
        Tool t = FOUND.get(spec.role());
        if (t != null && Files.isExecutable(t.executable())) return t;
        t = find(spec);
        FOUND.put(spec.role(), t);
        return t;
    }

    /** Like {@link #locate} but {@code null} instead of an exception. */
    public Tool locateOrNull(Spec spec) {
        try {
            return locate(spec);
        } catch (ToolNotFoundException e) {
            return null;
        }
    }

    /** Forgets located tools (tests change CC between builds). */
    public static void forgetLocatedTools() {
        FOUND.clear();
    }

    private Tool find(Spec spec) {
        List<String> searched = new ArrayList<>();
        String override = System.getProperty(spec.property());
        String origin = "-D" + spec.property();
        if (override == null || override.isBlank()) {
            override = System.getenv(spec.envVar());
            origin = spec.envVar();
        }
        if (override != null && !override.isBlank()) {
            List<String> words = Arrays.asList(override.trim().split("\\s+"));
            Path exe = resolveExecutable(words.get(0), searched);
            if (exe == null) {
                throw new ToolNotFoundException(spec.role() + " not found: " + origin + "='" + override
                        + "' names '" + words.get(0) + "', which is not an executable file (looked at: "
                        + String.join(", ", searched) + "); " + spec.hint());
            }
            return new Tool(spec.role(), exe, words.subList(1, words.size()), version(exe));
        }
        for (String name : spec.names()) {
            Path exe = resolveExecutable(name, searched);
            if (exe == null) {
                for (Path dir : spec.extraDirs()) {
                    Path candidate = dir.resolve(name);
                    searched.add(candidate.toString());
                    if (Files.isExecutable(candidate)) {
                        exe = candidate;
                        break;
                    }
                }
            }
            if (exe != null) return new Tool(spec.role(), exe, List.of(), version(exe));
        }
        throw new ToolNotFoundException(spec.role() + " not found: " + spec.envVar() + " and -D" + spec.property()
                + " are unset, and none of " + spec.names() + " is in PATH or " + spec.extraDirs()
                + " (looked at: " + String.join(", ", searched) + "); " + spec.hint());
    }

    private static Path resolveExecutable(String name, List<String> searched) {
        if (name.contains("/")) {
            Path p = Path.of(name).toAbsolutePath();
            searched.add(p.toString());
            return Files.isRegularFile(p) && Files.isExecutable(p) ? p : null;
        }
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (dir.isEmpty()) continue;
            Path p = Path.of(dir, name);
            searched.add(p.toString());
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return p;
        }
        return null;
    }

    /** The first line of {@code tool --version}, remembered per (real path, size, mtime). */
    String version(Path exe) {
        String stamp;
        try {
            Path real = exe.toRealPath();
            BasicFileAttributes a = Files.readAttributes(real, BasicFileAttributes.class);
            stamp = real + "|" + a.size() + "|" + a.lastModifiedTime().toMillis();
        } catch (IOException e) {
            stamp = exe.toString();
        }
        Path remembered = versionCacheDir == null ? null : versionCacheDir.resolve(sha256(stamp) + ".version");
        if (remembered != null) {
            try {
                return Files.readString(remembered, StandardCharsets.UTF_8);
            } catch (IOException notYet) {
                // fall through: ask the tool once
            }
        }
        String version = askVersion(exe);
        if (remembered != null) {
            try {
                Files.createDirectories(versionCacheDir);
                Path tmp = Files.createTempFile(versionCacheDir, "v", ".tmp");
                Files.writeString(tmp, version, StandardCharsets.UTF_8);
                Files.move(tmp, remembered, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException ignored) {
                // Remembering is an optimisation only.
            }
        }
        return version;
    }

    private static String askVersion(Path exe) {
        try {
            Path log = Files.createTempFile("nativeext-version", ".log");
            try {
                ProcessRunner.Result r = ProcessRunner.run(List.of(exe.toString(), "--version"), null, log);
                String out = r.output().strip();
                // nvcc prints a banner; its last line names the release ("Build cuda_13.0...").
                String[] lines = out.split("\\R");
                String v = lines.length == 0 ? "unknown" : exe.getFileName().toString().contains("nvcc")
                        ? lines[lines.length - 2 >= 0 ? lines.length - 2 : 0] + " " + lines[lines.length - 1]
                        : lines[0];
                return v.strip();
            } finally {
                Files.deleteIfExists(log);
            }
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
