package dev.nativeext;

import dev.nativeext.cache.BuildCache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The cache as several processes see it: concurrent builders of one key, a builder killed while
 * holding the lock, damaged entries, and a lock that stays taken. Every build runs in a child JVM
 * so that the in-JVM memo of loaded libraries and located tools never hides what is on disk.
 */
class CrossProcessCacheTest {

    private static final Duration CHILD_TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    /** A private copy of the vecmath example. */
    private Path fixture() throws IOException {
        Path src = Files.createDirectories(tmp.resolve("src"));
        Path example = Path.of(System.getProperty("user.dir"), "examples", "vecmath");
        for (String f : List.of("vecmath.h", "vecmath.c")) Files.copy(example.resolve(f), src.resolve(f));
        return src;
    }

    /**
     * A "compiler" that answers {@code --version} like gcc, logs the JVM that ran it to
     * {@code $NX_LOG}, and when {@code $NX_HANG} is set writes its pid there and sleeps 30 s
     * instead of compiling; otherwise sleeps {@code $NX_SLEEP} seconds and runs gcc.
     */
    private Path wrapperCompiler() {
        String gcc = ChildJvm.compilerOnPath().toString();
        return ChildJvm.script(tmp.resolve("bin").resolve("wrapped-cc"), "#!/bin/sh\n"
                + "if [ \"$1\" = \"--version\" ]; then exec '" + gcc + "' --version; fi\n"
                + "if [ -n \"$NX_LOG\" ]; then echo \"$PPID\" >> \"$NX_LOG\"; fi\n"
                + "if [ -n \"$NX_HANG\" ]; then echo $$ > \"$NX_HANG.tmp\"; mv \"$NX_HANG.tmp\" \"$NX_HANG\"; exec sleep 30; fi\n"
                + "if [ -n \"$NX_SLEEP\" ]; then sleep \"$NX_SLEEP\"; fi\n"
                + "exec '" + gcc + "' \"$@\"\n");
    }

    private ChildJvm buildChild(Path cache, Path src) {
        return ChildJvm.of(BuildChild.class, tmp.resolve("children")).args(cache.toString(), src.toString());
    }

    private static Map<String, String> ok(ChildJvm.Result r) {
        assertEquals(0, r.exitCode(), () -> "child failed:\n" + r);
        Map<String, String> m = r.result();
        assertEquals("5", m.get("sum"), () -> "vm_add(2, 3) in the child:\n" + r);
        return m;
    }

    private static List<String> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    /** Every folder under libs/ verifies against its manifest; returns their names. */
    private static List<String> assertAllEntriesVerify(Path cacheRoot) throws IOException {
        BuildCache cache = new BuildCache(cacheRoot);
        List<String> entries = list(cache.root().resolve("libs"));
        for (String key : entries) {
            assertNotNull(cache.lookup(key), "cache entry " + cache.entryDir(key) + " does not verify");
        }
        return entries;
    }

    // ---- 1. two builders of one key ----------------------------------------------------------

    @Test
    void twoJvmsBuildingTheSameKeyAtOnceCompileOnceAndBothLoadIt() throws Exception {
        Path src = fixture();
        Path cache = tmp.resolve("cache");
        Path cc = wrapperCompiler();
        Path ccLog = tmp.resolve("cc.log");
        ChildJvm child = buildChild(cache, src).jvmArg("-Dnativeext.cc=" + cc)
                .env("NX_SLEEP", "1").env("NX_LOG", ccLog.toString());

        ChildJvm.Running a = child.start();
        ChildJvm.Running b = child.start();
        ChildJvm.Result ra = a.await(CHILD_TIMEOUT);
        ChildJvm.Result rb = b.await(CHILD_TIMEOUT);
        Map<String, String> ma = ok(ra);
        Map<String, String> mb = ok(rb);

        assertEquals(List.of("BUILT", "DISK"), Stream.of(ma.get("source"), mb.get("source")).sorted().collect(Collectors.toList()),
                () -> "exactly one child must build and the other find its result:\n" + ra + "\n" + rb);
        assertEquals(ma.get("key"), mb.get("key"));
        assertEquals(ma.get("library"), mb.get("library"), "both children must load the one published library");
        ChildJvm.Result builder = ma.get("source").equals("BUILT") ? ra : rb;
        assertEquals("1", builder.result().get("compiled"), () -> "the builder compiled vecmath.c:\n" + builder);

        // Every compiler run came from the builder: the other child ran no compiler at all.
        List<String> runs = Files.readAllLines(ccLog);
        assertFalse(runs.isEmpty(), "the wrapper compiler never ran; was -Dnativeext.cc ignored?");
        assertEquals(Set.of(Long.toString(builder.pid())), Set.copyOf(runs),
                () -> "compiler runs by parent pid " + runs + ", builder pid " + builder.pid());

        assertEquals(List.of(ma.get("key")), assertAllEntriesVerify(cache));
    }

    // ---- 2. a builder killed while holding the lock ------------------------------------------

    @Test
    void aBuildKilledMidWayLeavesNothingThatBlocksOrPoisonsTheNextBuild() throws Exception {
        Path src = fixture();
        Path cache = tmp.resolve("cache");
        Path cc = wrapperCompiler();
        Path marker = tmp.resolve("compiler-started");
        BuildCache bc = new BuildCache(cache);

        ChildJvm.Running doomed = buildChild(cache, src).jvmArg("-Dnativeext.cc=" + cc)
                .env("NX_HANG", marker.toString()).start();
        long hangingCompiler = -1;
        try {
            boolean started = ChildJvm.waitFor(() -> Files.exists(marker) || !doomed.process().isAlive(), Duration.ofSeconds(30));
            if (!started || !Files.exists(marker)) {
                fail("the build never reached the compiler:\n" + doomed.kill());
            }
            hangingCompiler = Long.parseLong(Files.readString(marker).strip());
            ChildJvm.Result killed = doomed.kill();
            assertNotEquals(0, killed.exitCode());
        } finally {
            doomed.kill();
            killSleeper(hangingCompiler);
        }

        List<String> leftovers = list(bc.root().resolve("tmp"));
        assertFalse(leftovers.isEmpty(), "the killed build should have left its private build folder");
        assertEquals(List.of(), list(bc.root().resolve("libs")), "a killed build must publish nothing");

        // Same wrapper (hence same key), now compiling at once; a stale lock would fail it after 15 s.
        ChildJvm.Result next = buildChild(cache, src).jvmArg("-Dnativeext.cc=" + cc)
                .jvmArg("-Dnativeext.lock.timeoutSeconds=15").run(CHILD_TIMEOUT);
        Map<String, String> m = ok(next);
        assertEquals("BUILT", m.get("source"), () -> next.toString());
        assertTrue(next.millis() < 15_000, () -> "the next build waited for the dead builder's lock: " + next);

        String key = m.get("key");
        for (String l : leftovers) {
            assertTrue(l.startsWith(key + "-"), "leftover " + l + " is not a build folder of key " + key);
        }
        List<String> after = list(bc.root().resolve("tmp"));
        assertTrue(after.stream().noneMatch(l -> l.startsWith(key + "-")),
                () -> "build folders of " + key + " left after publishing: " + after);
        assertEquals(List.of(key), assertAllEntriesVerify(cache));
    }

    /** Stops the orphaned {@code sleep} the killed build's compiler became, if it is still that. */
    private static void killSleeper(long pid) {
        if (pid <= 0) return;
        ProcessHandle.of(pid)
                .filter(h -> h.info().command().map(c -> c.endsWith("/sleep") || c.equals("sleep")).orElse(false))
                .ifPresent(h -> {
                    h.destroyForcibly();
                    h.onExit().join();
                });
    }

    // ---- 3. damaged entries ------------------------------------------------------------------

    @Test
    void aTruncatedLibraryIsRebuilt() throws Exception {
        damageAndRebuild(e -> {
            Path so = e.file(e.manifest().get("library"));
            try (RandomAccessFile f = new RandomAccessFile(so.toFile(), "rw")) {
                f.setLength(f.length() / 2);
            } catch (IOException x) {
                throw new java.io.UncheckedIOException(x);
            }
        });
    }

    @Test
    void aLibraryWithOneFlippedByteIsRebuilt() throws Exception {
        damageAndRebuild(e -> {
            Path so = e.file(e.manifest().get("library"));
            try (RandomAccessFile f = new RandomAccessFile(so.toFile(), "rw")) {
                long size = f.length();
                f.seek(size / 2);
                int b = f.read();
                f.seek(size / 2);
                f.write(b ^ 0x01);
                assertEquals(size, f.length());
            } catch (IOException x) {
                throw new java.io.UncheckedIOException(x);
            }
        });
    }

    @Test
    void anEntryWithoutItsManifestIsRebuilt() throws Exception {
        damageAndRebuild(e -> {
            try {
                Files.delete(e.file("manifest.properties"));
            } catch (IOException x) {
                throw new java.io.UncheckedIOException(x);
            }
        });
    }

    private void damageAndRebuild(Consumer<BuildCache.Entry> damage) throws Exception {
        Path src = fixture();
        Path cache = tmp.resolve("cache");
        BuildCache bc = new BuildCache(cache);

        Map<String, String> first = ok(buildChild(cache, src).run(CHILD_TIMEOUT));
        assertEquals("BUILT", first.get("source"));
        String key = first.get("key");
        BuildCache.Entry entry = bc.lookup(key);
        assertNotNull(entry, "the first build's entry does not verify");

        damage.accept(entry);
        assertNull(bc.lookup(key), "the damage should make the entry fail verification");

        ChildJvm.Result again = buildChild(cache, src).run(CHILD_TIMEOUT);
        Map<String, String> m = ok(again);
        assertEquals("BUILT", m.get("source"), () -> "a damaged entry must be rebuilt, not loaded:\n" + again);
        assertEquals(key, m.get("key"));
        assertEquals(List.of(key), assertAllEntriesVerify(cache));

        Map<String, String> third = ok(buildChild(cache, src).run(CHILD_TIMEOUT));
        assertEquals("DISK", third.get("source"), "the rebuilt entry should be a cache hit");
    }

    // ---- 4. a lock that stays taken ----------------------------------------------------------

    @Test
    void aLockTimeoutNamesTheLockFile() throws Exception {
        Path src = fixture();
        // Keys hash the inputs, not the cache folder: learn the key from a scratch cache.
        Map<String, String> scratch = ok(buildChild(tmp.resolve("scratch-cache"), src).run(CHILD_TIMEOUT));
        String key = scratch.get("key");

        Path cache = tmp.resolve("cache");
        Path lockFile = new BuildCache(cache).root().resolve("locks").resolve(key + ".lock");
        Path ready = tmp.resolve("lock-held");
        ChildJvm.Running holder = ChildJvm.of(LockHolder.class, tmp.resolve("children"))
                .args(cache.toString(), key, ready.toString()).start();
        try {
            if (!ChildJvm.waitFor(() -> Files.exists(ready) || !holder.process().isAlive(), Duration.ofSeconds(30))
                    || !Files.exists(ready)) {
                fail("the lock holder never took the lock:\n" + holder.kill());
            }

            ChildJvm.Result waiter = buildChild(cache, src).jvmArg("-Dnativeext.lock.timeoutSeconds=1").run(CHILD_TIMEOUT);
            assertEquals(3, waiter.exitCode(), () -> "the build should fail while the lock is held:\n" + waiter);
            String error = waiter.line("ERROR ");
            assertTrue(error.contains("timed out"), error);
            assertTrue(error.contains(lockFile.toString()), () -> "expected " + lockFile + " in: " + error);
            assertTrue(error.contains("process " + holder.process().pid()), () -> "expected the holder's pid in: " + error);
            assertTrue(waiter.millis() < 15_000, () -> "1 s lock timeout took " + waiter.millis() + " ms");
            assertEquals(List.of(), list(new BuildCache(cache).root().resolve("libs")));
        } finally {
            holder.closeStdin();
            ChildJvm.Result released = holder.await(CHILD_TIMEOUT);
            assertTrue(released.stdout().contains("RELEASED"), released::toString);
        }

        Map<String, String> after = ok(buildChild(cache, src).jvmArg("-Dnativeext.lock.timeoutSeconds=5").run(CHILD_TIMEOUT));
        assertEquals("BUILT", after.get("source"), "once the lock is free the same build succeeds");
        assertEquals(key, after.get("key"));
    }
}
