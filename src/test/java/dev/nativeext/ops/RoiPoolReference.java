package dev.nativeext.ops;

/** A slow float64 ROIPool from docs/ops.md §3.2 (integer rois in the tests, so rounding modes agree). */
final class RoiPoolReference {

    private RoiPoolReference() {
    }

    /** Returns {output..., argmax...} concatenated: [0, K*C*PH*PW) values, then as many argmax. */
    static double[] forward(double[] x, int c, int h, int w, double[] rois, int ph, int pw, double scale) {
        int k = rois.length / 5, m = k * c * ph * pw;
        double[] res = new double[2 * m];
        for (int r = 0; r < k; r++) {
            int b = (int) rois[r * 5];
            long xs = cRound(rois[r * 5 + 1] * scale), ys = cRound(rois[r * 5 + 2] * scale);
            long xe = cRound(rois[r * 5 + 3] * scale), ye = cRound(rois[r * 5 + 4] * scale);
            long rw = Math.max(xe - xs + 1, 1), rh = Math.max(ye - ys + 1, 1);
            double bh = (double) rh / ph, bw = (double) rw / pw;
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < ph; i++)
                    for (int j = 0; j < pw; j++) {
                        long hs = clip((long) Math.floor(i * bh) + ys, h), he = clip((long) Math.ceil((i + 1) * bh) + ys, h);
                        long ws = clip((long) Math.floor(j * bw) + xs, w), we = clip((long) Math.ceil((j + 1) * bw) + xs, w);
                        double best = (he <= hs || we <= ws) ? 0 : -Float.MAX_VALUE;
                        int arg = -1;
                        for (long y = hs; y < he; y++)
                            for (long xx = ws; xx < we; xx++) {
                                double v = x[(int) (((b * c + ch) * h + y) * w + xx)];
                                if (v > best) { best = v; arg = (int) (y * w + xx); }
                            }
                        int o = ((r * c + ch) * ph + i) * pw + j;
                        res[o] = best;
                        res[m + o] = arg;
                    }
        }
        return res;
    }

    /** C's round: half away from zero (Java's Math.round goes half up, so -1.5 -> -1, not -2). */
    static long cRound(double v) {
        return (long) (Math.signum(v) * Math.floor(Math.abs(v) + 0.5));
    }

    static long clip(long v, long hi) {
        return Math.max(0, Math.min(v, hi));
    }
}
