package dev.nativeext.data.image;

import java.util.SplittableRandom;

/**
 * maskrcnn-benchmark's {@code build_transforms}: Resize, RandomHorizontalFlip, ToTensor,
 * Normalize, fused into one pass over the pixels (the horizontal resampling pass, then the
 * vertical one writing normalised floats, mirrored when flipped): the result is bit for bit
 * the composition of the separate steps ({@link Resize#resize}, {@link ByteImage#flipHorizontal},
 * {@link Normalize#apply}).
 *
 * <p>Random choices (min size, flip) come from {@code (seed, epoch, index)} alone, so a sample
 * is transformed the same way whichever worker thread reads it.
 */
public final class DetectionTransform {

    private final Resize resize;
    private final RandomHorizontalFlip flip;
    private final Normalize normalize;
    private final long seed;

    /** @param resize {@code null}: keep the size */
    public DetectionTransform(Resize resize, double flipProbability, Normalize normalize, long seed) {
        if (!(flipProbability >= 0 && flipProbability <= 1)) {
            throw new IllegalArgumentException("flipProbability must be in [0, 1], got " + flipProbability);
        }
        this.resize = resize;
        this.flip = new RandomHorizontalFlip(flipProbability, seed);
        this.normalize = java.util.Objects.requireNonNull(normalize, "normalize");
        this.seed = seed;
    }

    /** Test time: min 800, max 1333, no flip, PIXEL_MEAN / PIXEL_STD / TO_BGR255. */
    public static DetectionTransform maskRcnnTest() {
        return new DetectionTransform(Resize.maskRcnnTest(), 0, Normalize.maskRcnn(), 0);
    }

    /** Training: as {@link #maskRcnnTest()} with a flip probability of 0.5. */
    public static DetectionTransform maskRcnnTrain(long seed) {
        return new DetectionTransform(Resize.maskRcnnTest(), 0.5, Normalize.maskRcnn(), seed);
    }

    /** Transforms {@code img} and {@code target} (which may be {@code null}) for sample {@code index} in {@code epoch}. */
    public DetectionSample apply(ByteImage img, Target target, int index, int epoch) {
        SplittableRandom r = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (epoch + 1L)) ^ (0xC2B2AE3D27D4EB4FL * (index + 1L)));
        int w = img.width();
        int h = img.height();
        if (resize != null) {
            int[] hw = resize.outputSize(w, h, r);
            h = hw[0];
            w = hw[1];
        }
        boolean flipped = flip.flips(index, epoch);
        FloatImage out = NATIVE && w <= 4096 ? deferredNative(img, w, h, normalize, flipped) : resizeNormalize(img, w, h, normalize, flipped);
        Target t = target == null ? Target.empty(w, h) : target.resize(w, h);
        if (flipped && target != null) t = t.flipHorizontal();
        return new DetectionSample(out, t, index);
    }

    /** Whether {@link #resizeNormalize} uses the native kernel ({@code -Dnativeext.data.native=false} turns it off). */
    public static final boolean NATIVE = !"false".equals(System.getProperty("nativeext.data.native"))
            && dev.nativeext.ops.ImageResize.available();

    private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[0]);

    /**
     * Resizes to {@code outW × outH} (Pillow bilinear), optionally mirrors, and normalises: with
     * the native kernel ({@code libnativeext_image_resize}) where it loads, else in Java; both
     * give the same bits (tested).
     */
    public static FloatImage resizeNormalize(ByteImage img, int outW, int outH, Normalize normalize, boolean flip) {
        return NATIVE && outW <= 4096 ? resizeNormalizeNative(img, outW, outH, normalize, flip) : resizeNormalizeJava(img, outW, outH, normalize, flip);
    }

    static FloatImage resizeNormalizeJava(ByteImage img, int outW, int outH, Normalize normalize, boolean flip) {
        byte[][] planes = Resampler.horizontal(img, outW);
        float[] out = FloatArrayPool.take(3 * outW * outH);
        for (int p = 0; p < 3; p++) {
            Resampler.vertical(planes[normalize.sourcePlane(p)], outW, img.height(), outH, normalize.table(p),
                    normalize.plainMean(p), normalize.plainStd(p), out, p * outW * outH, flip);
        }
        return new FloatImage(3, outH, outW, out);
    }

    static FloatImage resizeNormalizeNative(ByteImage img, int outW, int outH, Normalize normalize, boolean flip) {
        float[] out = FloatArrayPool.take(3 * outW * outH);
        nativeKernel(img, outW, outH, normalize, flip, out, 0, outW, (long) outW * outH);
        return new FloatImage(3, outH, outW, out);
    }

    /**
     * The native kernel's result, computed only when asked: {@link BatchCollator} has it written
     * straight into the batch tensor (bit for bit what {@link #resizeNormalizeNative} gives,
     * tested); {@link FloatImage#data()} computes the array.
     */
    static FloatImage deferredNative(ByteImage img, int outW, int outH, Normalize normalize, boolean flip) {
        return FloatImage.deferred(3, outH, outW, new FloatImage.Deferred() {
            @Override
            public float[] toArray() {
                return resizeNormalizeNative(img, outW, outH, normalize, flip).data();
            }

            @Override
            public void into(long address, long rowStride, long planeStride) {
                nativeKernel(img, outW, outH, normalize, flip, null, address, rowStride, planeStride);
            }
        });
    }

    private static void nativeKernel(ByteImage img, int outW, int outH, Normalize normalize, boolean flip,
                                     float[] out, long address, long rowStride, long planeStride) {
        int w = img.width();
        int h = img.height();
        byte[] scratch = SCRATCH.get();
        if (scratch.length < 3 * h * outW) {
            scratch = new byte[3 * h * outW];
            SCRATCH.set(scratch);
        }
        float[] lut = new float[3 * 256];
        int[] planeSrc = new int[3];
        float[] plainMean = new float[3];
        float[] std = new float[3];
        for (int p = 0; p < 3; p++) {
            System.arraycopy(normalize.table(p), 0, lut, p * 256, 256);
            planeSrc[p] = normalize.sourcePlane(p);
            plainMean[p] = normalize.plainMean(p);
            std[p] = normalize.plainStd(p);
        }
        dev.nativeext.ops.ImageResize.Taps ht = outW == w ? null : new Resampler.Taps(w, outW).toOps();
        dev.nativeext.ops.ImageResize.Taps vt = outH == h ? null : new Resampler.Taps(h, outH).toOps();
        if (out != null) {
            dev.nativeext.ops.ImageResize.resizeNormalize(h, w, img.bgr(), outH, outW, ht, vt, lut, planeSrc, plainMean, std,
                    flip, scratch, out);
        } else {
            dev.nativeext.ops.ImageResize.resizeNormalizeInto(h, w, img.bgr(), outH, outW, ht, vt, lut, planeSrc, plainMean,
                    std, flip, scratch, address, rowStride, planeStride);
        }
    }
}
