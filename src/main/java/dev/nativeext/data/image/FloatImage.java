package dev.nativeext.data.image;

import java.util.Objects;

/**
 * A float image in planar {@code [channels, height, width]} layout (one sample's part of an
 * {@code [N, C, H, W]} batch): what ToTensor and Normalize produce. Kept in a Java array, not a
 * native tensor, so that building one costs no native allocation; the collator copies it into
 * the batch tensor. An image made by {@link DetectionTransform#apply} is <em>deferred</em>: its
 * pixels are computed when first asked for, and {@link BatchCollator} has them written straight
 * into the batch tensor instead ({@link #writeInto}), which saves writing and re-reading a
 * 10 MB array per image (the memory traffic two workers compete for).
 */
public final class FloatImage {

    private final int channels;
    private final int height;
    private final int width;
    private volatile float[] data;
    private Deferred deferred;
    private final java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();

    public FloatImage(int channels, int height, int width, float[] data) {
        if (channels < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("shape must be positive, got [" + channels + ", " + height + ", " + width + "]");
        }
        Objects.requireNonNull(data, "data");
        if (data.length != (long) channels * height * width) {
            throw new IllegalArgumentException("data must hold " + (long) channels * height * width + " floats, got " + data.length);
        }
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.data = data;
    }

    /** How a deferred image computes its pixels: into a new array, or into native memory. */
    interface Deferred {
        float[] toArray();

        void into(long address, long rowStride, long planeStride);
    }

    private FloatImage(int channels, int height, int width, Deferred deferred) {
        if (channels < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("shape must be positive, got [" + channels + ", " + height + ", " + width + "]");
        }
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.deferred = Objects.requireNonNull(deferred, "deferred");
    }

    static FloatImage deferred(int channels, int height, int width, Deferred deferred) {
        return new FloatImage(channels, height, width, deferred);
    }

    /** Whether the pixels are not computed yet (a deferred image whose {@link #data()} was not asked for). */
    boolean pending() {
        return data == null;
    }

    /**
     * Writes a deferred image that was not yet computed into native memory, plane {@code c} row
     * {@code y} at {@code address + 4 * (c * planeStride + y * rowStride)}, zeroing each row from
     * {@code width} to {@code rowStride}; false (nothing written) when the pixels are already in
     * an array, which the caller copies instead.
     */
    synchronized boolean writeInto(long address, long rowStride, long planeStride) {
        if (released.get()) throw new IllegalStateException("this image was released (its sample was closed); its array is reused");
        if (data != null) return false;
        deferred.into(address, rowStride, planeStride);
        return true;
    }

    public int channels() {
        return channels;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    /** {@code data[(c * height + y) * width + x]} (shared, not copied); an error after {@link #release()}. */
    public float[] data() {
        if (released.get()) throw new IllegalStateException("this image was released (its sample was closed); its array is reused");
        float[] d = data;
        if (d != null) return d;
        synchronized (this) {
            if (data == null) {
                data = deferred.toArray();
                deferred = null;
            }
            return data;
        }
    }

    public float get(int c, int y, int x) {
        return data()[(c * height + y) * width + x];
    }

    /** Hands the array to {@link FloatArrayPool} for reuse, once; {@link #data()} fails afterwards. */
    public void release() {
        if (released.compareAndSet(false, true)) {
            float[] d;
            synchronized (this) {
                d = data;
            }
            if (d != null) FloatArrayPool.give(d);
        }
    }
}
