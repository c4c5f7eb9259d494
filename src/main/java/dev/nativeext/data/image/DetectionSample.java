package dev.nativeext.data.image;

/**
 * One transformed sample: the normalised {@code [3, H, W]} image, its target at that size, and
 * the dataset index it came from. {@link #close()} releases the image's array for reuse (the
 * {@link dev.nativeext.data.DataLoader} does so once the batch is collated); not closing a
 * sample is harmless, the garbage collector takes the array.
 */
public record DetectionSample(FloatImage image, Target target, int index) implements AutoCloseable {
    @Override
    public void close() {
        image.release();
    }
}
