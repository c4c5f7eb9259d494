package dev.nativeext.data.image;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Reuses the large float arrays of transformed images: an image of 800 × 1066 is a 10 MB array,
 * which the JVM zeroes on allocation only for the kernel to overwrite every element, and which
 * G1 allocates as a humongous object. Arrays come back when a {@link DetectionSample} is closed
 * (the {@link dev.nativeext.data.DataLoader} closes samples once collated). Up to
 * {@code -Dnativeext.data.poolMb} (default 64) MiB are kept; arrays are matched by exact length.
 */
public final class FloatArrayPool {

    private static final long MAX_FLOATS = Long.getLong("nativeext.data.poolMb", 64) << 18;   // MiB / 4 bytes
    private static final int MIN_LENGTH = 1 << 16;
    private static final Map<Integer, ArrayDeque<float[]>> FREE = new HashMap<>();
    private static long cached;

    private FloatArrayPool() {
    }

    /** An array of exactly {@code length} floats with arbitrary contents. */
    static float[] take(int length) {
        synchronized (FloatArrayPool.class) {
            ArrayDeque<float[]> q = FREE.get(length);
            if (q != null && !q.isEmpty()) {
                cached -= length;
                return q.pop();
            }
        }
        return new float[length];
    }

    static void give(float[] a) {
        if (a.length < MIN_LENGTH) return;
        synchronized (FloatArrayPool.class) {
            if (cached + a.length > MAX_FLOATS) return;
            FREE.computeIfAbsent(a.length, n -> new ArrayDeque<>()).push(a);
            cached += a.length;
        }
    }

    /** Drops every kept array. */
    public static synchronized void trim() {
        FREE.clear();
        cached = 0;
    }

    /** Bytes kept for reuse now. */
    public static synchronized long cachedBytes() {
        return cached * 4;
    }
}
