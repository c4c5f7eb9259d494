package dev.nativeext.data.image;

import java.util.Objects;

/**
 * A float image in planar {@code [channels, height, width]} layout (one sample's part of an
 * {@code [N, C, H, W]} batch): what ToTensor and Normalize produce. Kept in a Java array, not a
 * native tensor, so that building one costs no native allocation; the collator copies it into
 * the batch tensor.
 */
public final class FloatImage {

    private final int channels;
    private final int height;
    private final int width;
    private final float[] data;
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
        return data;
    }

    public float get(int c, int y, int x) {
        return data()[(c * height + y) * width + x];
    }

    /** Hands the array to {@link FloatArrayPool} for reuse, once; {@link #data()} fails afterwards. */
    public void release() {
        if (released.compareAndSet(false, true)) FloatArrayPool.give(data);
    }
}
