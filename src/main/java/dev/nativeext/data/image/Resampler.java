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
                for (int x = 0; x < xmax; x++) {
                    if (ww != 0.0) k[x] /= ww;
                    double v = k[x] * (1 << PRECISION_BITS);
                    weight[xx * ksize + x] = (int) (v < 0 ? -0.5 + v : 0.5 + v);
                }
                first[xx] = xmin;
                count[xx] = xmax;
            }
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
                for (int k = 0, n = t.count[xx]; k < n; k++, px += 3) {
                    int wt = t.weight[kb + k];
                    s0 += (in[px] & 0xff) * wt;
                    s1 += (in[px + 1] & 0xff) * wt;
                    s2 += (in[px + 2] & 0xff) * wt;
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
            java.util.Arrays.fill(acc, HALF);
            int kb = yy * t.ksize;
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
