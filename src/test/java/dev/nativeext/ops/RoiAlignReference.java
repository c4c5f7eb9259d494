package dev.nativeext.ops;

/**
 * A slow float64 ROIAlign written from docs/ops.md §1-§2 (the RA sampler, the aligned offset, the
 * adaptive grid and the count clamp), one output element at a time; not derived from the C code.
 */
final class RoiAlignReference {

    private RoiAlignReference() {
    }

    /** RA bilinear sample of plane [H,W] at (y, x); 0 outside [-1,H] x [-1,W]. */
    static double bilinear(double[] x, int plane, int h, int w, double yy, double xx) {
        if (yy < -1.0 || yy > h || xx < -1.0 || xx > w) return 0;
        double y = Math.max(yy, 0), xv = Math.max(xx, 0);
        int yl = (int) y, xl = (int) xv, yh, xh;
        if (yl >= h - 1) { yl = yh = h - 1; y = yl; } else yh = yl + 1;
        if (xl >= w - 1) { xl = xh = w - 1; xv = xl; } else xh = xl + 1;
        double ly = y - yl, lx = xv - xl, hy = 1 - ly, hx = 1 - lx;
        int o = plane * h * w;
        return hy * hx * x[o + yl * w + xl] + hy * lx * x[o + yl * w + xh] + ly * hx * x[o + yh * w + xl] + ly * lx * x[o + yh * w + xh];
    }

    /** Adds g times the RA weights of (y, x) into grad (the adjoint of bilinear). */
    static void bilinearAdjoint(double[] grad, int plane, int h, int w, double yy, double xx, double g) {
        if (yy < -1.0 || yy > h || xx < -1.0 || xx > w) return;
        double y = Math.max(yy, 0), xv = Math.max(xx, 0);
        int yl = (int) y, xl = (int) xv, yh, xh;
        if (yl >= h - 1) { yl = yh = h - 1; y = yl; } else yh = yl + 1;
        if (xl >= w - 1) { xl = xh = w - 1; xv = xl; } else xh = xl + 1;
        double ly = y - yl, lx = xv - xl, hy = 1 - ly, hx = 1 - lx;
        int o = plane * h * w;
        grad[o + yl * w + xl] += g * hy * hx;
        grad[o + yl * w + xh] += g * hy * lx;
        grad[o + yh * w + xl] += g * ly * hx;
        grad[o + yh * w + xh] += g * ly * lx;
    }

    /** Visits every (k, c, ph, pw) and its samples: the shared skeleton of forward and backward. */
    interface SampleVisitor {
        void visit(int outIndex, int plane, double y, double x, double count);
    }

    static void walk(int c, double[] rois, int ph, int pw, double scale, int sr, boolean aligned, SampleVisitor v) {
        int k = rois.length / 5;
        double off = aligned ? 0.5 : 0;
        for (int r = 0; r < k; r++) {
            int b = (int) rois[r * 5];
            double xs = rois[r * 5 + 1] * scale - off, ys = rois[r * 5 + 2] * scale - off;
            double rw = rois[r * 5 + 3] * scale - off - xs, rh = rois[r * 5 + 4] * scale - off - ys;
            if (!aligned) { rw = Math.max(rw, 1); rh = Math.max(rh, 1); }
            double bh = rh / ph, bw = rw / pw;
            int gh = sr > 0 ? sr : (int) Math.ceil(rh / ph), gw = sr > 0 ? sr : (int) Math.ceil(rw / pw);
            double count = Math.max(gh * gw, 1);
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < ph; i++)
                    for (int j = 0; j < pw; j++) {
                        int idx = ((r * c + ch) * ph + i) * pw + j;
                        for (int iy = 0; iy < gh; iy++)
                            for (int ix = 0; ix < gw; ix++)
                                v.visit(idx, b * c + ch, ys + i * bh + (iy + 0.5) * bh / gh, xs + j * bw + (ix + 0.5) * bw / gw, count);
                    }
        }
    }

    static double[] forward(double[] x, int c, int h, int w, double[] rois, int ph, int pw, double scale, int sr, boolean aligned) {
        double[] out = new double[rois.length / 5 * c * ph * pw];
        walk(c, rois, ph, pw, scale, sr, aligned, (i, plane, y, xx, count) -> out[i] += bilinear(x, plane, h, w, y, xx) / count);
        return out;
    }

    static double[] backward(double[] g, int n, int c, int h, int w, double[] rois, int ph, int pw, double scale, int sr, boolean aligned) {
        double[] gin = new double[n * c * h * w];
        walk(c, rois, ph, pw, scale, sr, aligned, (i, plane, y, xx, count) -> bilinearAdjoint(gin, plane, h, w, y, xx, g[i] / count));
        return gin;
    }
}
