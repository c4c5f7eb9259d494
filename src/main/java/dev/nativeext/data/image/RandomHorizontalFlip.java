package dev.nativeext.data.image;

import java.util.SplittableRandom;

/**
 * maskrcnn-benchmark's {@code RandomHorizontalFlip(prob)}, seeded: whether sample {@code index}
 * is flipped in {@code epoch} depends on (seed, epoch, index) only, so it is the same whichever
 * worker thread reads the sample, and differs between epochs. The image is mirrored as PIL's
 * {@code FLIP_LEFT_RIGHT} does and the target with it ({@link Target#flipHorizontal}: boxes
 * {@code x1' = w - x2 - 1}, polygons {@code x' = w - x - 1}).
 */
public final class RandomHorizontalFlip {

    private final double probability;
    private final long seed;

    public RandomHorizontalFlip(double probability, long seed) {
        if (!(probability >= 0 && probability <= 1)) {
            throw new IllegalArgumentException("probability must be in [0, 1], got " + probability);
        }
        this.probability = probability;
        this.seed = seed;
    }

    public double probability() {
        return probability;
    }

    /** Whether sample {@code index} is flipped in {@code epoch}. */
    public boolean flips(int index, int epoch) {
        if (probability == 0) return false;
        SplittableRandom r = new SplittableRandom(seed ^ 0x5DEECE66DL ^ (0x9E3779B97F4A7C15L * (epoch + 1L)) ^ (0xC2B2AE3D27D4EB4FL * (index + 1L)));
        return r.nextDouble() < probability;
    }

    /** The image, mirrored when {@link #flips} says so. */
    public ByteImage apply(ByteImage image, int index, int epoch) {
        return flips(index, epoch) ? image.flipHorizontal() : image;
    }

    /** The target, mirrored when {@link #flips} says so. */
    public Target apply(Target target, int index, int epoch) {
        return flips(index, epoch) ? target.flipHorizontal() : target;
    }
}
