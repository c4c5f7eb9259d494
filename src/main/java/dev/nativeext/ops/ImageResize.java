package dev.nativeext.ops;

/**
 * The data pipeline's native kernel ({@code include/ne_image_resize.h}): Pillow-exact bilinear
 * resampling of an interleaved 3-channel 8-bit image fused with normalisation into planar
 * float32. The filter taps come from the caller ({@code dev.nativeext.data.image} computes them
 * as Pillow does and holds the Java version of the same kernel, used where this library is
 * missing). CPU only: images are decoded and batched on the host.
 */
public final class ImageResize {

    private static final String OP = "image_resize_normalize";

    private ImageResize() {
    }

    /** Whether the native library loads here; never throws. */
    public static boolean available() {
        try {
            return ImageResizeNative.LIBRARY != null;
        } catch (LinkageError | RuntimeException e) {
            return false;
        }
    }

    /** One axis's taps: output i reads {@code count[i]} inputs from {@code first[i]}, weights at {@code weight[i * ksize]}. */
    public record Taps(int ksize, int[] first, int[] count, int[] weight) {
    }

    /**
     * @param src        {@code [h, w, 3]} bytes
     * @param horizontal {@code null} when {@code outW == w}
     * @param vertical   {@code null} when {@code outH == h}
     * @param lut        {@code [3 * 256]}: output plane p maps v to {@code lut[p * 256 + v]}
     * @param planeSrc   {@code [3]}: the source channel of each output plane
     * @param plainMean  {@code [3]}: NaN, or a mean such that {@code (v - mean) / std} equals the table for every v
     * @param std        {@code [3]}
     * @param scratch    at least {@code 3 * h * outW} bytes
     * @param out        {@code [3, outH, outW]}
     */
    public static void resizeNormalize(int h, int w, byte[] src, int outH, int outW, Taps horizontal, Taps vertical,
                                       float[] lut, int[] planeSrc, float[] plainMean, float[] std, boolean flip,
                                       byte[] scratch, float[] out) {
        check("out", out.length, 3L * outH * outW);
        run(h, w, src, outH, outW, horizontal, vertical, lut, planeSrc, plainMean, std, flip, scratch, out, 0, outW, (long) outH * outW);
    }

    /**
     * As {@link #resizeNormalize}, but writes plane {@code p}, row {@code y} at the native address
     * {@code out + 4 * (p * planeStride + y * rowStride)} and zeroes each row's floats from
     * {@code outW} to {@code rowStride}: the image straight into its place in a zero-padded
     * {@code [N, 3, H, W]} batch tensor, with no intermediate array. The caller owns
     * {@code out} and guarantees {@code 3 * planeStride} floats there.
     */
    public static void resizeNormalizeInto(int h, int w, byte[] src, int outH, int outW, Taps horizontal, Taps vertical,
                                           float[] lut, int[] planeSrc, float[] plainMean, float[] std, boolean flip,
                                           byte[] scratch, long out, long rowStride, long planeStride) {
        if (out == 0) throw new IllegalArgumentException("out: expected a native address, got 0");
        if (rowStride < outW) throw new IllegalArgumentException("rowStride: expected >= outW " + outW + ", got " + rowStride);
        if (planeStride < outH * rowStride) {
            throw new IllegalArgumentException("planeStride: expected >= outH * rowStride " + outH * rowStride + ", got " + planeStride);
        }
        run(h, w, src, outH, outW, horizontal, vertical, lut, planeSrc, plainMean, std, flip, scratch, null, out, rowStride, planeStride);
    }

    private static void run(int h, int w, byte[] src, int outH, int outW, Taps horizontal, Taps vertical,
                            float[] lut, int[] planeSrc, float[] plainMean, float[] std, boolean flip,
                            byte[] scratch, float[] outArray, long outAddress, long rowStride, long planeStride) {
        check("src", src.length, (long) h * w * 3);
        check("lut", lut.length, 3 * 256);
        check("planeSrc", planeSrc.length, 3);
        if (scratch.length < 3L * h * outW) throw new IllegalArgumentException("scratch: expected >= " + 3L * h * outW + " bytes, got " + scratch.length);
        if (outW > 4096) throw new IllegalArgumentException("outW: expected <= 4096, got " + outW);
        if ((horizontal == null) != (outW == w)) throw new IllegalArgumentException("horizontal taps: expected them exactly when outW " + outW + " != w " + w);
        if ((vertical == null) != (outH == h)) throw new IllegalArgumentException("vertical taps: expected them exactly when outH " + outH + " != h " + h);
        checkTaps("horizontal", horizontal, outW, w);
        checkTaps("vertical", vertical, outH, h);
        int[] plain = new int[3];
        float[] mean = new float[3];
        for (int p = 0; p < 3; p++) {
            plain[p] = Float.isNaN(plainMean[p]) ? 0 : 1;
            mean[p] = plain[p] == 1 ? plainMean[p] : 0f;
        }
        int[] none = new int[1];
        long hks = horizontal == null ? 0 : horizontal.ksize();
        int[] hf = horizontal == null ? none : horizontal.first();
        int[] hc = horizontal == null ? none : horizontal.count();
        int[] hw = horizontal == null ? none : horizontal.weight();
        long vks = vertical == null ? 0 : vertical.ksize();
        int[] vf = vertical == null ? none : vertical.first();
        int[] vc = vertical == null ? none : vertical.count();
        int[] vw = vertical == null ? none : vertical.weight();
        // One thread: the data loader's workers each resize their own image already.
        int isa = CpuOptions.isa().code();
        int status = outArray != null
                ? ImageResizeNative.ne_image_resize_normalize(h, w, src, outH, outW, hks, hf, hc, hw, vks, vf, vc, vw,
                        lut, planeSrc, plain, mean, std, flip ? 1 : 0, scratch, outArray, 1, isa)
                : ImageResizeNative.ne_image_resize_normalize_into(h, w, src, outH, outW, hks, hf, hc, hw, vks, vf, vc, vw,
                        lut, planeSrc, plain, mean, std, flip ? 1 : 0, scratch, outAddress, rowStride, planeStride, 1, isa);
        if (status != 0) throw new NativeOpException(OP, status, ImageResizeNative.ne_status_string(status));
    }

    private static void check(String name, long got, long expected) {
        if (got != expected) throw new IllegalArgumentException(name + ": expected " + expected + " elements, got " + got);
    }

    /** Taps must stay inside the input: a bad index would read outside the array in C. */
    private static void checkTaps(String name, Taps t, int out, int in) {
        if (t == null) return;
        if (t.first().length != out || t.count().length != out || t.weight().length != (long) out * t.ksize()) {
            throw new IllegalArgumentException(name + " taps: expected " + out + " outputs of ksize " + t.ksize());
        }
        for (int i = 0; i < out; i++) {
            if (t.first()[i] < 0 || t.count()[i] < 0 || t.count()[i] > t.ksize() || (long) t.first()[i] + t.count()[i] > in) {
                throw new IllegalArgumentException(name + " taps: output " + i + " reads [" + t.first()[i] + ", "
                        + ((long) t.first()[i] + t.count()[i]) + ") of " + in + " inputs");
            }
        }
    }
}
