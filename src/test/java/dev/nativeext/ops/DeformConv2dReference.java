package dev.nativeext.ops;

/**
 * Deformable convolution straight from its definition (docs/ops.md §5.4), in double, with no im2col:
 * a 7-deep loop over (b, co, ho, wo, ci, i, j) and the ZP sampler of docs/ops.md §1. Slow on purpose.
 */
final class DeformConv2dReference {

    private DeformConv2dReference() {
    }

    /** ZP: zero outside (-1, H) x (-1, W); corners outside the image read 0. */
    static double zp(double[] x, int base, int h, int w, double y, double xx) {
        if (!(y > -1 && y < h && xx > -1 && xx < w)) return 0;
        int hl = (int) Math.floor(y), wl = (int) Math.floor(xx), hh = hl + 1, wh = wl + 1;
        double ly = y - hl, lx = xx - wl;
        double v = 0;
        if (hl >= 0 && wl >= 0) v += (1 - ly) * (1 - lx) * x[base + hl * w + wl];
        if (hl >= 0 && wh <= w - 1) v += (1 - ly) * lx * x[base + hl * w + wh];
        if (hh <= h - 1 && wl >= 0) v += ly * (1 - lx) * x[base + hh * w + wl];
        if (hh <= h - 1 && wh <= w - 1) v += ly * lx * x[base + hh * w + wh];
        return v;
    }

    /**
     * in [n,cin,h,w], weight [cout,cin/groups,kh,kw], offset [n,2*dg*kh*kw,ho,wo],
     * mask [n,dg*kh*kw,ho,wo] or null, bias [cout] or null; returns [n,cout,ho,wo].
     */
    static double[] forward(double[] in, int n, int cin, int h, int w, double[] off, double[] mask, double[] wt, int cout,
                            int kh, int kw, double[] bias, int[] s, int[] p, int[] d) {
        int wcin = wt.length / (cout * kh * kw);
        int groups = cin / wcin;
        int ho = (h + 2 * p[0] - (d[0] * (kh - 1) + 1)) / s[0] + 1;
        int wo = (w + 2 * p[1] - (d[1] * (kw - 1) + 1)) / s[1] + 1;
        int kk = kh * kw;
        int dg = off.length / (n * 2 * kk * ho * wo);
        int cpdg = cin / dg;
        double[] out = new double[n * cout * ho * wo];
        for (int b = 0; b < n; b++)
            for (int co = 0; co < cout; co++) {
                int g = co / (cout / groups);
                for (int oy = 0; oy < ho; oy++)
                    for (int ox = 0; ox < wo; ox++) {
                        double acc = bias == null ? 0 : bias[co];
                        for (int cl = 0; cl < wcin; cl++) {
                            int ci = g * wcin + cl;
                            int gd = ci / cpdg;
                            for (int i = 0; i < kh; i++)
                                for (int j = 0; j < kw; j++) {
                                    int t = gd * kk + i * kw + j;
                                    double dy = off[((b * 2 * dg * kk + 2 * t) * ho + oy) * wo + ox];
                                    double dx = off[((b * 2 * dg * kk + 2 * t + 1) * ho + oy) * wo + ox];
                                    double m = mask == null ? 1 : mask[((b * dg * kk + t) * ho + oy) * wo + ox];
                                    double y = oy * s[0] - p[0] + i * d[0] + dy;
                                    double x = ox * s[1] - p[1] + j * d[1] + dx;
                                    acc += wt[((co * wcin + cl) * kh + i) * kw + j] * m * zp(in, (b * cin + ci) * h * w, h, w, y, x);
                                }
                        }
                        out[((b * cout + co) * ho + oy) * wo + ox] = acc;
                    }
            }
        return out;
    }
}
