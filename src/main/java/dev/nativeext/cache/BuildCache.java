package dev.nativeext.cache;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The on-disk cache of compiled objects and linked libraries, shared by every process of the
 * user. Entries are built in a private folder and published with one atomic rename, after a
 * manifest that records a SHA-256 of every file; an entry whose files do not match its manifest
 * (a truncated copy, a disk error, a hand edit) is reported as corrupt and rebuilt, never loaded.
 *
 * <pre>
 * root/v1/objects/ab/abcdef….o (+ .sha256)   one per (source, flags, compiler)
 * root/v1/libs/KEY/                          one per library: the .so, glue source, manifest.properties
 * root/v1/locks/KEY.lock                     OS locks, one per key being built
 * root/v1/tmp/KEY-UUID/                      private build folders
 * root/v1/logs/                              logs of failed builds, named in the exceptions
 * root/v1/tools/                             remembered compiler versions
 * </pre>
 */
public final class BuildCache {

    /** Where the cache lives unless told otherwise; see {@link #defaultRoot()}. */
    public static final String PROPERTY = "nativeext.cache.dir";
    public static final String ENV = "NATIVEEXT_CACHE_DIR";
    private static final String MANIFEST = "manifest.properties";

    private final Path root;

    public BuildCache(Path root) {
        this.root = root.toAbsolutePath().normalize().resolve("v1");
    }

    /** {@code -Dnativeext.cache.dir}, then {@code $NATIVEEXT_CACHE_DIR}, then {@code $XDG_CACHE_HOME/nativeext}, then {@code ~/.cache/nativeext}. */
    public static Path defaultRoot() {
        String p = System.getProperty(PROPERTY);
        if (p != null && !p.isBlank()) return Path.of(p);
        p = System.getenv(ENV);
        if (p != null && !p.isBlank()) return Path.of(p);
        p = System.getenv("XDG_CACHE_HOME");
        if (p != null && !p.isBlank()) return Path.of(p, "nativeext");
        return Path.of(System.getProperty("user.home"), ".cache", "nativeext");
    }

    public Path root() {
        return root;
    }

    public Path toolsDir() {
        return root.resolve("tools");
    }

    public Path logsDir() {
        return root.resolve("logs");
    }

    public KeyLock lock(String key, Duration timeout) {
        return KeyLock.acquire(root.resolve("locks").resolve(key + ".lock"), timeout);
    }

    // ---- objects -------------------------------------------------------------------------

    /** The cached object for {@code key}, or {@code null} when absent or damaged. */
    public Path object(String key) {
        Path o = objectPath(key);
        Path sum = o.resolveSibling(o.getFileName() + ".sha256");
        try {
            String expected = Files.readString(sum).strip();
            return expected.equals(Hasher.sha256(o)) ? o : null;
        } catch (IOException absent) {
            return null;
        }
    }

    /** Publishes a freshly compiled object; racing writers of the same key are harmless. */
    public Path publishObject(String key, Path compiled) {
        Path o = objectPath(key);
        try {
            Files.createDirectories(o.getParent());
            Path sumTmp = o.resolveSibling(o.getFileName() + "." + UUID.randomUUID() + ".tmp");
            Files.writeString(sumTmp, Hasher.sha256(compiled));
            // Object first, checksum last: a reader that sees the checksum sees the object.
            atomicMove(compiled, o);
            atomicMove(sumTmp, o.resolveSibling(o.getFileName() + ".sha256"));
            return o;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot publish " + o + ": " + e.getMessage(), e);
        }
    }

    private Path objectPath(String key) {
        return root.resolve("objects").resolve(key.substring(0, 2)).resolve(key + ".o");
    }

    // ---- library entries -----------------------------------------------------------------

    /** What a lookup found. */
    public enum State { VALID, MISSING, CORRUPT }

    /** A published entry: its folder and its manifest. */
    public record Entry(Path dir, Map<String, String> manifest) {
        public Path file(String name) {
            return dir.resolve(name);
        }
    }

    public Path entryDir(String key) {
        return root.resolve("libs").resolve(key);
    }

    /**
     * What a reader requires of an entry beyond its own checksums: files that must be listed
     * with a checksum (and match it), and fields that must have exactly these values. The
     * manifest is never trusted: a field that is missing, empty, garbage or different, a file
     * without its checksum line, a malformed checksum or a file name with a path in it makes the
     * entry {@link State#CORRUPT}, to be discarded and rebuilt, never loaded.
     */
    public record Expect(Set<String> files, Map<String, String> fields) {
        public static final Expect NOTHING = new Expect(Set.of(), Map.of());

        public Expect {
            files = Set.copyOf(files);
            fields = Map.copyOf(fields);
        }
    }

    public State check(String key) {
        return check(key, Expect.NOTHING);
    }

    public State check(String key, Expect expect) {
        Path dir = entryDir(key);
        if (!Files.isDirectory(dir)) return State.MISSING;
        return readVerified(dir, expect) == null ? State.CORRUPT : State.VALID;
    }

    /** The entry if it exists and every file matches its checksum, else {@code null}. */
    public Entry lookup(String key) {
        return lookup(key, Expect.NOTHING);
    }

    /** The entry if it exists, meets {@code expect} and every file matches its checksum, else {@code null}. */
    public Entry lookup(String key, Expect expect) {
        Path dir = entryDir(key);
        if (!Files.isDirectory(dir)) return null;
        Map<String, String> manifest = readVerified(dir, expect);
        return manifest == null ? null : new Entry(dir, manifest);
    }

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    /**
     * The manifest when it is well-formed and verifies, else {@code null}. Always required: a
     * {@code library} field naming a file in the entry that has a checksum line; checked
     * there before anything loads the library.
     */
    private static Map<String, String> readVerified(Path dir, Expect expect) {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(dir.resolve(MANIFEST))) {
            p.load(in);
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
        String library = p.getProperty("library");
        if (!plainFileName(library) || p.getProperty("sha256." + library) == null) return null;
        for (String f : expect.files()) if (p.getProperty("sha256." + f) == null) return null;
        for (Map.Entry<String, String> f : expect.fields().entrySet()) {
            if (!f.getValue().equals(p.getProperty(f.getKey()))) return null;
        }
        try {
            for (String name : p.stringPropertyNames()) {
                String v = p.getProperty(name);
                if (v == null || v.isBlank()) return null;
                if (!name.startsWith("sha256.")) continue;
                String file = name.substring("sha256.".length());
                if (!plainFileName(file) || !SHA256.matcher(v).matches()) return null;
                Path f = dir.resolve(file);
                if (!Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS) || !v.equals(Hasher.sha256(f))) return null;
            }
        } catch (IOException | UncheckedIOException e) {
            return null;
        }
        Map<String, String> m = new TreeMap<>();
        p.stringPropertyNames().forEach(n -> m.put(n, p.getProperty(n)));
        return m;
    }

    /** A file name of the entry itself: no separator, not "." or "..", no NUL. */
    private static boolean plainFileName(String name) {
        return name != null && !name.isBlank() && !name.equals(".") && !name.equals("..")
                && name.indexOf('/') < 0 && name.indexOf('\\') < 0 && name.indexOf('\0') < 0;
    }

    /** A fresh private folder to build {@code key} in; nobody else writes there. */
    public Path newWorkDir(String key) {
        try {
            Path tmp = root.resolve("tmp");
            Files.createDirectories(tmp);
            pruneStale(tmp);
            return Files.createDirectory(tmp.resolve(key + "-" + UUID.randomUUID()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a build folder under " + root + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes the manifest (with checksums of {@code files}) into {@code workDir} and renames it to
     * the entry. Call with the key's lock held. Leftover folders of killed builds of this key
     * are removed, and a corrupt entry in the way is replaced.
     */
    public Entry publish(String key, Path workDir, Map<String, String> info, Iterable<String> files) {
        try {
            Properties p = new Properties();
            info.forEach(p::setProperty);
            for (String f : files) p.setProperty("sha256." + f, Hasher.sha256(workDir.resolve(f)));
            Path tmp = workDir.resolve(MANIFEST + ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                p.store(out, "nativeext cache entry " + key);
            }
            Files.move(tmp, workDir.resolve(MANIFEST), StandardCopyOption.ATOMIC_MOVE);
            Path dir = entryDir(key);
            Files.createDirectories(dir.getParent());
            if (Files.exists(dir)) discard(dir);
            Files.move(workDir, dir, StandardCopyOption.ATOMIC_MOVE);
            removeLeftovers(key);
            Entry e = lookup(key);
            if (e == null) throw new IOException("entry " + dir + " does not verify right after publishing");
            return e;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot publish cache entry " + key + ": " + e.getMessage(), e);
        }
    }

    /** Removes the work folder of a failed build (best effort: a leftover is pruned later). */
    public void removeWorkDir(Path work) {
        try {
            deleteTree(work);
        } catch (IOException | UncheckedIOException e) {
            // pruneStale removes it once it is old
        }
    }

    /** Build folders untouched this long belong to no running build (a build writes files as it goes). */
    static final Duration STALE = Duration.ofHours(6);
    private static final Set<Path> PRUNED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * Once per cache per JVM: removes build folders of killed or failed builds (and trash of
     * discarded entries) that nothing has written to for {@link #STALE}.
     */
    private static void pruneStale(Path tmp) {
        if (!PRUNED.add(tmp)) return;
        long cutoff = System.currentTimeMillis() - STALE.toMillis();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(tmp)) {
            for (Path p : ds) {
                try {
                    if (Files.getLastModifiedTime(p).toMillis() < cutoff) deleteTree(p);
                } catch (IOException | UncheckedIOException e) {
                    // raced with another process's cleanup, or not ours to remove
                }
            }
        } catch (IOException e) {
            // nothing to prune
        }
    }

    /** Removes a corrupt entry; call with the key's lock held. */
    public void discard(String key) {
        discard(entryDir(key));
    }

    private void discard(Path dir) {
        try {
            if (!Files.exists(dir)) return;
            // Rename first so that no reader ever sees a half-deleted entry.
            Path trash = root.resolve("tmp").resolve("trash-" + UUID.randomUUID());
            Files.createDirectories(trash.getParent());
            Files.move(dir, trash, StandardCopyOption.ATOMIC_MOVE);
            deleteTree(trash);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove damaged cache entry " + dir + ": " + e.getMessage(), e);
        }
    }

    private void removeLeftovers(String key) throws IOException {
        Path tmp = root.resolve("tmp");
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(tmp, key + "-*")) {
            for (Path p : ds) deleteTree(p);
        }
    }

    public static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                try {
                    Files.deleteIfExists(x);
                } catch (NoSuchFileException gone) {
                    // already removed by a racing cleaner
                }
            }
        }
    }

    private static void atomicMove(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException | FileAlreadyExistsException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
