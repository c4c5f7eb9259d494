package dev.nativeext.ops;

/**
 * A slow float64 conv2d written from PyTorch's definition (cross-correlation with zero padding,
 * stride, dilation, groups) and the epilogue of {@link Conv2d} in its stated order; one output
 * element at a time, not derived from the C code.
 */
final class Conv2dReference {

    private Conv2dReference() {
    }

    /**
     * {@code x [n, cin, h, w]}, {@code w [cout, cin/groups, kh, kw]}; bias, scale, shift, res may
     * be null. {@code p = {strideH, strideW, padH, padW, dilH, dilW, groups}}.
     */
    static double[] forward(double[] x, int n, int cin, int h, int wd, double[] w, int cout, int kh, int kw, int[] p,
                            double[] bias, double[] scale, double[] shift, double[] res, boolean relu) {
        int sh = p[0], sw = p[1], ph = p[2], pw = p[3], dh = p[4], dw = p[5], groups = p[6];
        int ho = (h + 2 * ph - (dh * (kh - 1) + 1)) / sh + 1, wo = (wd + 2 * pw - (dw * (kw - 1) + 1)) / sw + 1;
        int cig = cin / groups, cog = cout / groups;
        double[] y = new double[n * cout * ho * wo];
        for (int b = 0; b < n; b++)
            for (int co = 0; co < cout; co++)
                for (int oy = 0; oy < ho; oy++)
                    for (int ox = 0; ox < wo; ox++) {
                        int g = co / cog;
                        double acc = bias == null ? 0 : bias[co];
                        for (int ci = 0; ci < cig; ci++)
                            for (int i = 0; i < kh; i++)
                                for (int j = 0; j < kw; j++) {
                                    int yy = oy * sh - ph + i * dh, xx = ox * sw - pw + j * dw;
                                    if (yy < 0 || yy >= h || xx < 0 || xx >= wd) continue;
                                    acc += w[((co * cig + ci) * kh + i) * kw + j] * x[((b * cin + g * cig + ci) * h + yy) * wd + xx];
                                }
                        if (scale != null) acc = acc * scale[co] + shift[co];
                        int o = ((b * cout + co) * ho + oy) * wo + ox;
                        if (res != null) acc += res[o];
                        if (relu) acc = Math.max(acc, 0);
                        y[o] = acc;
                    }
        return y;
    }

    /** Σ |w|·|x| per output element: the scale of a float32 summation's rounding error. */
    static double[] magnitude(double[] x, int n, int cin, int h, int wd, double[] w, int cout, int kh, int kw, int[] p) {
        double[] ax = x.clone(), aw = w.clone();
        for (int i = 0; i < ax.length; i++) ax[i] = Math.abs(ax[i]);
        for (int i = 0; i < aw.length; i++) aw[i] = Math.abs(aw[i]);
        return forward(ax, n, cin, h, wd, aw, cout, kh, kw, p, null, null, null, null, false);
    }
}
