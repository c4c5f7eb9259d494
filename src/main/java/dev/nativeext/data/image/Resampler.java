package dev.nativeext.data.image;

/**
 * Pillow's bilinear resampling of 8-bit images ({@code Image.resize(size, BILINEAR)}, the
 * resampler behind maskrcnn-benchmark's {@code F.resize}), reproduced bit for bit: a separable
 * triangle filter whose support grows with the scale when shrinking (so downscaling
 * antialiases), coefficients normalised per output pixel and rounded to 22-bit fixed point,
 * the horizontal pass first, each pass rounded and clipped to 8 bits. A pass whose size does
 * not change is skipped, as in Pillow.
 *
 * <p>The work runs in planar layout (one channel row at a time) so that the vertical pass,
 * where most of the time goes, is a plain multiply-add over contiguous arrays.
 */
final class Resampler {

    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final int HALF = 1 << (PRECISION_BITS - 1);

    /** Filter taps of one axis: output {@code i} reads {@code count[i]} inputs from {@code first[i]}. */
    static final class Taps {
        final int ksize;
        final int[] first;
        final int[] count;
        final int[] weight;      // [out * ksize], fixed point

        Taps(int inSize, int outSize) {
            double scale = (double) inSize / outSize;
            double filterscale = Math.max(scale, 1.0);
            double support = filterscale;                   // bilinear support 1.0, scaled
            ksize = (int) Math.ceil(support) * 2 + 1;
            first = new int[outSize];
            count = new int[outSize];
            weight = new int[outSize * ksize];
            double[] k = new double[ksize];
            for (int xx = 0; xx < outSize; xx++) {
                double center = (xx + 0.5) * scale;
                double ss = 1.0 / filterscale;
                int xmin = (int) (center - support + 0.5);
                if (xmin < 0) xmin = 0;
                int xmax = (int) (center + support + 0.5);
                if (xmax > inSize) xmax = inSize;
                xmax -= xmin;
                double ww = 0;
                for (int x = 0; x < xmax; x++) {
                    double w = triangle((x + xmin - center + 0.5) * ss);
                    k[x] = w;
                    ww += w;
                }
                int[] fixed = new int[xmax];
                for (int x = 0; x < xmax; x++) {
                    if (ww != 0.0) k[x] /= ww;
                    double v = k[x] * (1 << PRECISION_BITS);
                    fixed[x] = (int) (v < 0 ? -0.5 + v : 0.5 + v);
                }
                // Taps of weight 0 add nothing: leave them out (same sums, fewer multiplies).
                int lo = 0;
                int hi = xmax;
                while (lo < hi && fixed[lo] == 0) lo++;
                while (hi > lo && fixed[hi - 1] == 0) hi--;
                System.arraycopy(fixed, lo, weight, xx * ksize, hi - lo);
                first[xx] = xmin + lo;
                count[xx] = hi - lo;
            }
        }

        dev.nativeext.ops.ImageResize.Taps toOps() {
            return new dev.nativeext.ops.ImageResize.Taps(ksize, first, count, weight);
        }

        private static double triangle(double x) {
            if (x < 0.0) x = -x;
            return x < 1.0 ? 1.0 - x : 0.0;
        }
    }

    private Resampler() {
    }

    private static int clip8(int acc) {
        int v = acc >> PRECISION_BITS;
        return v < 0 ? 0 : Math.min(v, 255);
    }

    /**
     * The horizontal pass into three planes: {@code planes[c][y * outW + x]}, channel c in the
     * source's B, G, R order.
     */
    static byte[][] horizontal(ByteImage src, int outW) {
        int w = src.width();
        int h = src.height();
        byte[] in = src.bgr();
        byte[][] planes = new byte[3][h * outW];
        byte[] p0 = planes[0];
        byte[] p1 = planes[1];
        byte[] p2 = planes[2];
        if (outW == w) {
            for (int i = 0, n = w * h; i < n; i++) {
                p0[i] = in[3 * i];
                p1[i] = in[3 * i + 1];
                p2[i] = in[3 * i + 2];
            }
            return planes;
        }
        Taps t = new Taps(w, outW);
        int ks = t.ksize;
        for (int y = 0; y < h; y++) {
            int row = y * w * 3;
            int orow = y * outW;
            for (int xx = 0; xx < outW; xx++) {
                int s0 = HALF;
                int s1 = HALF;
                int s2 = HALF;
                int px = row + t.first[xx] * 3;
                int kb = xx * ks;
                int n = t.count[xx];
                if (n == 2) {                                   // upscaling: nearly every pixel
                    int wa = t.weight[kb];
                    int wb = t.weight[kb + 1];
                    s0 += (in[px] & 0xff) * wa + (in[px + 3] & 0xff) * wb;
                    s1 += (in[px + 1] & 0xff) * wa + (in[px + 4] & 0xff) * wb;
                    s2 += (in[px + 2] & 0xff) * wa + (in[px + 5] & 0xff) * wb;
                } else {
                    for (int k = 0; k < n; k++, px += 3) {
                        int wt = t.weight[kb + k];
                        s0 += (in[px] & 0xff) * wt;
                        s1 += (in[px + 1] & 0xff) * wt;
                        s2 += (in[px + 2] & 0xff) * wt;
                    }
                }
                p0[orow + xx] = (byte) clip8(s0);
                p1[orow + xx] = (byte) clip8(s1);
                p2[orow + xx] = (byte) clip8(s2);
            }
        }
        return planes;
    }

    /**
     * The vertical pass of one plane ({@code inH × w} bytes) to {@code outH} rows, each 8-bit
     * result mapped through {@code lut} into {@code out} at {@code outOffset}, rows reversed
     * left-right when {@code flip}.
     */
    static void vertical(byte[] plane, int w, int inH, int outH, float[] lut, float[] out, int outOffset, boolean flip) {
        vertical(plane, w, inH, outH, lut, Float.NaN, Float.NaN, out, outOffset, flip);
    }

    /**
     * As above; when {@code mean} is not NaN, {@code lut[v]} is known to equal
     * {@code (v - mean) / std} for every v, and that arithmetic (which the JIT vectorises) is
     * used instead of the table lookup (which it does not).
     */
    static void vertical(byte[] plane, int w, int inH, int outH, float[] lut, float mean, float std, float[] out, int outOffset,
                         boolean flip) {
        boolean arithmetic = !Float.isNaN(mean) && !flip;
        int[] acc = new int[w];
        Taps t = outH == inH ? null : new Taps(inH, outH);
        for (int yy = 0; yy < outH; yy++) {
            int o = outOffset + yy * w;
            if (t == null) {
                int r = yy * w;
                if (flip) for (int x = 0; x < w; x++) out[o + w - 1 - x] = lut[plane[r + x] & 0xff];
                else for (int x = 0; x < w; x++) out[o + x] = lut[plane[r + x] & 0xff];
                continue;
            }
            int kb = yy * t.ksize;
            if (t.count[yy] <= 2) {                             // upscaling: one pass per row
                int wa = t.weight[kb];
                int ra = t.first[yy] * w;
                int wb = t.count[yy] == 2 ? t.weight[kb + 1] : 0;
                int rb = t.count[yy] == 2 ? ra + w : ra;
                if (arithmetic) {
                    for (int x = 0; x < w; x++) {
                        int v = (HALF + (plane[ra + x] & 0xff) * wa + (plane[rb + x] & 0xff) * wb) >> PRECISION_BITS;
                        out[o + x] = ((float) Math.max(0, Math.min(255, v)) - mean) / std;
                    }
                } else if (flip) {
                    for (int x = 0; x < w; x++) {
                        out[o + w - 1 - x] = lut[clip8(HALF + (plane[ra + x] & 0xff) * wa + (plane[rb + x] & 0xff) * wb)];
                    }
                } else {
                    for (int x = 0; x < w; x++) {
                        out[o + x] = lut[clip8(HALF + (plane[ra + x] & 0xff) * wa + (plane[rb + x] & 0xff) * wb)];
                    }
                }
                continue;
            }
            java.util.Arrays.fill(acc, HALF);
            for (int k = 0, n = t.count[yy]; k < n; k++) {
                int wt = t.weight[kb + k];
                int r = (t.first[yy] + k) * w;
                for (int x = 0; x < w; x++) acc[x] += (plane[r + x] & 0xff) * wt;
            }
            if (flip) for (int x = 0; x < w; x++) out[o + w - 1 - x] = lut[clip8(acc[x])];
            else for (int x = 0; x < w; x++) out[o + x] = lut[clip8(acc[x])];
        }
    }

    /** The vertical pass back into an interleaved B, G, R image (the plain, unfused resize). */
    static ByteImage verticalToImage(byte[][] planes, int w, int inH, int outH) {
        byte[] out = new byte[w * outH * 3];
        float[] row = new float[w * outH];
        float[] identity = new float[256];
        for (int i = 0; i < 256; i++) identity[i] = i;
        for (int c = 0; c < 3; c++) {
            vertical(planes[c], w, inH, outH, identity, row, 0, false);
            for (int i = 0; i < row.length; i++) out[3 * i + c] = (byte) (int) row[i];
        }
        return new ByteImage(w, outH, out);
    }
}
