package dev.nativeext.data.image;

/**
 * One transformed sample: the normalised {@code [3, H, W]} image, its target at that size, and
 * the dataset index it came from.
 */
public record DetectionSample(FloatImage image, Target target, int index) {
}
