package dev.nativeext.data.image;

/**
 * ToTensor followed by maskrcnn-benchmark's {@code Normalize(mean, std, to_bgr255)}, as one
 * step: each 8-bit value {@code v} becomes, in float32 arithmetic as torch computes it,
 * {@code ((v / 255) * 255 - mean[c]) / std[c]} with channels B, G, R when {@code toBgr255}, and
 * {@code (v / 255 - mean[c]) / std[c]} with channels R, G, B otherwise. Since the input has 256
 * values per channel, the formula is evaluated once per value into a table, which makes
 * normalising a lookup.
 */
public final class Normalize {

    /** INPUT.PIXEL_MEAN of maskrcnn-benchmark (B, G, R, 0..255). */
    public static final float[] PIXEL_MEAN = {102.9801f, 115.9465f, 122.7717f};
    /** INPUT.PIXEL_STD of maskrcnn-benchmark. */
    public static final float[] PIXEL_STD = {1f, 1f, 1f};

    private final float[] mean;
    private final float[] std;
    private final boolean toBgr255;
    private final float[][] lut = new float[3][256];
    private final boolean[] arithmetic = new boolean[3];

    public Normalize(float[] mean, float[] std, boolean toBgr255) {
        if (mean.length != 3 || std.length != 3) {
            throw new IllegalArgumentException("mean and std need 3 values, got " + mean.length + " and " + std.length);
        }
        for (int c = 0; c < 3; c++) {
            if (!(std[c] != 0) || !Float.isFinite(std[c]) || !Float.isFinite(mean[c])) {
                throw new IllegalArgumentException("std[" + c + "] must be finite and non-zero and mean[" + c + "] finite, got "
                        + std[c] + " and " + mean[c]);
            }
        }
        this.mean = mean.clone();
        this.std = std.clone();
        this.toBgr255 = toBgr255;
        for (int c = 0; c < 3; c++) {
            for (int v = 0; v < 256; v++) {
                float x = (float) v / 255f;                 // ToTensor
                if (toBgr255) x = x * 255f;
                lut[c][v] = (x - this.mean[c]) / this.std[c];
            }
            // Where the table equals plain (v - mean) / std (true for TO_BGR255, whose v / 255 * 255
            // is exact), the resampler computes that instead of looking it up: it vectorises.
            boolean plain = true;
            for (int v = 0; v < 256 && plain; v++) plain = lut[c][v] == ((float) v - this.mean[c]) / this.std[c];
            arithmetic[c] = plain;
        }
    }

    /** The mean to use in {@code (v - mean) / std} for output plane {@code p}, or NaN: use the table. */
    float plainMean(int p) {
        return arithmetic[p] ? mean[p] : Float.NaN;
    }

    float plainStd(int p) {
        return std[p];
    }

    /** maskrcnn-benchmark's defaults: PIXEL_MEAN, PIXEL_STD, TO_BGR255. */
    public static Normalize maskRcnn() {
        return new Normalize(PIXEL_MEAN, PIXEL_STD, true);
    }

    public boolean toBgr255() {
        return toBgr255;
    }

    /** Output plane {@code p} reads this plane of a {@link ByteImage} (B = 0, G = 1, R = 2). */
    int sourcePlane(int p) {
        return toBgr255 ? p : 2 - p;
    }

    float[] table(int p) {
        return lut[p];
    }

    /** The normalised {@code [3, H, W]} image. */
    public FloatImage apply(ByteImage img) {
        return DetectionTransform.resizeNormalize(img, img.width(), img.height(), this, false);
    }

    /** torchvision's {@code to_tensor}: {@code [3, H, W]} R, G, B in [0, 1]. */
    public static FloatImage toTensor(ByteImage img) {
        return new Normalize(new float[3], new float[]{1, 1, 1}, false).apply(img);
    }
}
