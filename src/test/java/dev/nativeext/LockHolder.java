package dev.nativeext;

import dev.nativeext.cache.BuildCache;
import dev.nativeext.cache.KeyLock;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Child JVM of {@link CrossProcessCacheTest}: takes the build lock of key {@code args[1]} in the
 * cache at {@code args[0]}, creates the file {@code args[2]}, and holds the lock until its stdin
 * closes (at most 60 s), then prints {@code RELEASED} and exits.
 */
public final class LockHolder {

    private LockHolder() {
    }

    public static void main(String[] args) throws Exception {
        Thread guard = new Thread(() -> {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                return;
            }
            System.exit(4);
        });
        guard.setDaemon(true);
        guard.start();
        try (KeyLock lock = new BuildCache(Path.of(args[0])).lock(args[1], Duration.ofSeconds(30))) {
            Files.createFile(Path.of(args[2]));
            System.out.println("HOLDING pid=" + ProcessHandle.current().pid());
            while (System.in.read() >= 0) {
                // hold until the parent closes stdin or dies
            }
        }
        System.out.println("RELEASED");
    }
}
