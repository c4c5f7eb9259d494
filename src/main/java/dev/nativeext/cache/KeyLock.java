package dev.nativeext.cache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Exclusive right to build one cache key, across threads and processes. The process-level half
 * is an OS file lock ({@code fcntl}), which the kernel drops when its holder dies, so that a
 * killed build never blocks the next one (the stale-lock problem of torch's cpp_extension). The
 * lock file is never deleted: deleting it would let two processes lock two different files.
 */
public final class KeyLock implements AutoCloseable {

    private static final ConcurrentHashMap<Path, ReentrantLock> IN_JVM = new ConcurrentHashMap<>();

    private final ReentrantLock threadLock;
    private final FileChannel channel;
    private final FileLock fileLock;

    private KeyLock(ReentrantLock threadLock, FileChannel channel, FileLock fileLock) {
        this.threadLock = threadLock;
        this.channel = channel;
        this.fileLock = fileLock;
    }

    /**
     * Waits up to {@code timeout} for the lock.
     *
     * @throws LockTimeoutException naming the lock file and the process that holds it
     */
    public static KeyLock acquire(Path lockFile, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        ReentrantLock threadLock = IN_JVM.computeIfAbsent(lockFile.toAbsolutePath().normalize(), p -> new ReentrantLock());
        try {
            if (!threadLock.tryLock(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new LockTimeoutException(lockFile, timeout, "another thread of this JVM");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + lockFile, e);
        }
        FileChannel channel = null;
        try {
            Files.createDirectories(lockFile.getParent());
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            long sleepMs = 5;
            while (true) {
                FileLock lock = channel.tryLock();
                if (lock != null) {
                    recordHolder(channel);
                    return new KeyLock(threadLock, channel, lock);
                }
                if (System.nanoTime() > deadline) {
                    throw new LockTimeoutException(lockFile, timeout, "process " + readHolder(lockFile));
                }
                Thread.sleep(sleepMs);
                sleepMs = Math.min(200, sleepMs * 2);
            }
        } catch (IOException e) {
            closeQuietly(channel);
            threadLock.unlock();
            throw new UncheckedIOException("cannot lock " + lockFile + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            closeQuietly(channel);
            threadLock.unlock();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + lockFile, e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            threadLock.unlock();
            throw e;
        }
    }

    private static void recordHolder(FileChannel channel) throws IOException {
        byte[] pid = (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);
        channel.truncate(0);
        channel.write(ByteBuffer.wrap(pid), 0);
    }

    private static String readHolder(Path lockFile) {
        try {
            return Files.readString(lockFile, StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            return "(unknown)";
        }
    }

    private static void closeQuietly(FileChannel c) {
        if (c == null) return;
        try {
            c.close();
        } catch (IOException ignored) {
            // nothing to save
        }
    }

    @Override
    public void close() {
        try {
            fileLock.release();
        } catch (IOException ignored) {
            // closing the channel releases it anyway
        } finally {
            closeQuietly(channel);
            threadLock.unlock();
        }
    }

    /** The build lock stayed taken for longer than the configured wait. */
    public static final class LockTimeoutException extends IllegalStateException {
        LockTimeoutException(Path lockFile, Duration timeout, String holder) {
            super("timed out after " + timeout.toSeconds() + " s waiting for the build lock " + lockFile
                    + ", held by " + holder + "; if that build hangs, stop it (the lock is released when its holder exits)"
                    + " or raise -Dnativeext.lock.timeoutSeconds");
        }
    }
}
