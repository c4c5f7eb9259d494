package dev.nativeext.data.image;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * maskrcnn-benchmark's {@code Resize(min_size, max_size)}: the shorter side becomes a min size
 * (one of {@code minSizes}, chosen at random per sample, as {@code random.choice} does) unless
 * the longer side would then exceed {@code maxSize}; resampled bilinearly exactly as Pillow does
 * (see {@link #resize}).
 */
public final class Resize {

    private final int[] minSizes;
    private final int maxSize;

    /** @param maxSize the longest side allowed; {@code <= 0}: no limit */
    public Resize(int[] minSizes, int maxSize) {
        if (minSizes.length == 0) throw new IllegalArgumentException("minSizes must not be empty");
        for (int i = 0; i < minSizes.length; i++) {
            if (minSizes[i] < 1) throw new IllegalArgumentException("minSizes[" + i + "] must be >= 1, got " + minSizes[i]);
        }
        this.minSizes = minSizes.clone();
        this.maxSize = maxSize;
    }

    /** The test-time default: min 800, max 1333. */
    public static Resize maskRcnnTest() {
        return new Resize(new int[]{800}, 1333);
    }

    public int[] minSizes() {
        return minSizes.clone();
    }

    public int maxSize() {
        return maxSize;
    }

    /** {@code {outHeight, outWidth}} for a {@code w × h} image; {@code random} picks the min size (unused when there is one). */
    public int[] outputSize(int w, int h, SplittableRandom random) {
        int size = minSizes.length == 1 ? minSizes[0] : minSizes[random.nextInt(minSizes.length)];
        return getSize(w, h, size, maxSize);
    }

    /**
     * maskrcnn-benchmark's {@code Resize.get_size} for one chosen min size, returning
     * {@code {oh, ow}}: Python's {@code round} (half to even) when the max size binds,
     * {@code int()} (truncation) for the longer side, and the input size unchanged when its
     * shorter side already equals {@code size}.
     */
    public static int[] getSize(int w, int h, int size, int maxSize) {
        if (w < 1 || h < 1) throw new IllegalArgumentException("image size must be >= 1x1, got " + w + "x" + h);
        if (maxSize > 0) {
            double minOrig = Math.min(w, h);
            double maxOrig = Math.max(w, h);
            if (maxOrig / minOrig * size > maxSize) size = (int) Math.rint(maxSize * minOrig / maxOrig);
        }
        if ((w <= h && w == size) || (h <= w && h == size)) return new int[]{h, w};
        if (w < h) return new int[]{(int) ((double) ((long) size * h) / w), size};
        return new int[]{size, (int) ((double) ((long) size * w) / h)};
    }

    /** Pillow's {@code resize((outW, outH), BILINEAR)} of an 8-bit image, bit for bit. */
    public static ByteImage resize(ByteImage src, int outW, int outH) {
        if (outW < 1 || outH < 1) throw new IllegalArgumentException("output size must be >= 1x1, got " + outW + "x" + outH);
        if (outW == src.width() && outH == src.height()) return src;
        byte[][] planes = Resampler.horizontal(src, outW);
        return Resampler.verticalToImage(planes, outW, src.height(), outH);
    }

    @Override
    public String toString() {
        return "Resize(minSizes=" + Arrays.toString(minSizes) + ", maxSize=" + maxSize + ")";
    }
}
