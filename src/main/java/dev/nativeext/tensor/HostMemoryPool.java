package dev.nativeext.tensor;

import org.bytedeco.javacpp.Pointer;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Keeps freed large host blocks for reuse, up to {@code -Dnativeext.hostPool.mb} (default 1024)
 * MiB. glibc returns blocks over 32 MiB to the kernel on free, so each new tensor of that size
 * would page-fault on every first touch: for a 50 MB ROIAlign output that is ~12,000 faults,
 * about as long as the kernel itself. Reusing the mapped block removes that cost in loops. Blocks
 * are matched by exact size (a model's shapes repeat); what does not fit the budget is freed.
 */
final class HostMemoryPool {

    /**
     * Below this, malloc's own bins serve as well. Not 1 MiB (it was): each block below that went
     * through a native malloc and free per tensor, whose cost with the caches emptied by the
     * kernels between two layers showed in a forward (torchvision resnet50 at 224², one thread,
     * its 14×14 and 7×7 activations 100–800 KiB: the time outside the convolutions' native calls
     * 0.44–0.49 → 0.39–0.40 ms min, 0.64 → 0.53–0.56 median of 300).
     */
    static final long MIN_BYTES = 64L << 10;
    private static final long MAX_BYTES = Long.getLong("nativeext.hostPool.mb", 1024) << 20;
    /**
     * Blocks under 1 MiB are kept up to this many bytes of them: sizes that vary from call to
     * call (ROI features, [N, 256, 7, 7] at 50 KiB a box) would otherwise fill the whole budget
     * with blocks no later tensor matches; a model's repeating shapes need a few MiB (torchvision
     * resnet50 at 224²: 3.6 MiB of them after its forwards, 8.2 MiB kept in all).
     */
    static final long SMALL_BYTES = 1L << 20, SMALL_MAX = 64L << 20;

    private static final Map<Long, ArrayDeque<Pointer>> FREE = new HashMap<>();
    private static long cached, cachedSmall;

    /**
     * Host bytes held by live tensors, and the most they may hold: {@code -Dnativeext.hostMemory.mb}
     * (default: no limit but the machine's). Past it, as when malloc fails, an allocation first
     * reclaims unreachable tensors (see {@code Storage}).
     */
    private static final java.util.concurrent.atomic.AtomicLong LIVE = new java.util.concurrent.atomic.AtomicLong();
    private static volatile long limit = Long.getLong("nativeext.hostMemory.mb", -1) < 0 ? Long.MAX_VALUE
            : Long.getLong("nativeext.hostMemory.mb", -1) << 20;

    /** The most {@link #LIVE} has held since the last {@link #resetPeak()}. */
    private static final java.util.concurrent.atomic.AtomicLong PEAK = new java.util.concurrent.atomic.AtomicLong();

    /** Counts {@code size} bytes as live, unless that would pass the limit. */
    static boolean reserve(long size) {
        for (;;) {
            long now = LIVE.get();
            if (now + size > limit || now + size < 0) return false;
            if (LIVE.compareAndSet(now, now + size)) {
                PEAK.accumulateAndGet(now + size, Math::max);
                return true;
            }
        }
    }

    static long peakBytes() {
        return PEAK.get();
    }

    /** Starts a new peak from the bytes live now; returns the previous peak. */
    static long resetPeak() {
        return PEAK.getAndSet(LIVE.get());
    }

    static void unreserve(long size) {
        LIVE.addAndGet(-size);
    }

    static long liveBytes() {
        return LIVE.get();
    }

    static long limit() {
        return limit;
    }

    /** For tests: the limit in bytes ({@code Long.MAX_VALUE}: none). */
    static void limit(long bytes) {
        limit = bytes;
    }

    private HostMemoryPool() {
    }

    /** A block of exactly {@code size} bytes from the pool, or a new one. */
    static synchronized Pointer take(long size) {
        ArrayDeque<Pointer> q = FREE.get(size);
        if (q != null && !q.isEmpty()) {
            cached -= size;
            if (size < SMALL_BYTES) cachedSmall -= size;
            return q.pop();
        }
        return null;
    }

    /** Keeps {@code block} for reuse, or frees it when the pool is full or the block small. */
    static void give(Pointer block, long size) {
        synchronized (HostMemoryPool.class) {
            boolean small = size < SMALL_BYTES;
            if (size >= MIN_BYTES && cached + size <= MAX_BYTES && (!small || cachedSmall + size <= SMALL_MAX)) {
                FREE.computeIfAbsent(size, s -> new ArrayDeque<>()).push(block);
                cached += size;
                if (small) cachedSmall += size;
                return;
            }
        }
        Pointer.free(block);
    }

    /** Frees every kept block. */
    static synchronized void trim() {
        FREE.values().forEach(q -> q.forEach(Pointer::free));
        FREE.clear();
        cached = 0;
        cachedSmall = 0;
    }

    static synchronized long cachedBytes() {
        return cached;
    }
}
