package dev.nativeext.ops;

/** Deformable PS-ROI pooling forward from docs/ops.md §6.1 (math steps 1-7), in double. */
final class DeformPsRoiPoolReference {

    private DeformPsRoiPoolReference() {
    }

    /** DP sampler: floor/ceil corners on a position already clamped to the image. */
    static double dp(double[] x, int base, int w, double px, double py) {
        int x1 = (int) Math.floor(px), x2 = (int) Math.ceil(px), y1 = (int) Math.floor(py), y2 = (int) Math.ceil(py);
        double dx = px - x1, dy = py - y1;
        return (1 - dx) * (1 - dy) * x[base + y1 * w + x1] + (1 - dx) * dy * x[base + y2 * w + x1]
                + dx * (1 - dy) * x[base + y1 * w + x2] + dx * dy * x[base + y2 * w + x2];
    }

    /** Returns {output, count}, each [K, outputDim, P, P]. */
    static double[][] forward(double[] data, int n, int c, int h, int w, double[] rois, int k, double[] trans, int ncls,
                              double scale, int odim, int pp, int part, int gs, int spp, double std) {
        double[] out = new double[k * odim * pp * pp], cnt = new double[out.length];
        for (int r = 0; r < k; r++) {
            int b = (int) rois[r * 5];
            double xs = Math.round(rois[r * 5 + 1]) * scale - 0.5, ys = Math.round(rois[r * 5 + 2]) * scale - 0.5;
            double xe = (Math.round(rois[r * 5 + 3]) + 1) * scale - 0.5, ye = (Math.round(rois[r * 5 + 4]) + 1) * scale - 0.5;
            double rw = Math.max(xe - xs, 0.1), rh = Math.max(ye - ys, 0.1);
            double bw = rw / pp, bh = rh / pp, sw = bw / spp, sh = bh / spp;
            for (int ct = 0; ct < odim; ct++)
                for (int ph = 0; ph < pp; ph++)
                    for (int pw = 0; pw < pp; pw++) {
                        int partH = (int) Math.floor((double) ph / pp * part), partW = (int) Math.floor((double) pw / pp * part);
                        int cls = ct / (odim / ncls);
                        double tx = trans == null ? 0 : trans[((r * ncls + cls) * 2 * part + partH) * part + partW] * std;
                        double ty = trans == null ? 0 : trans[(((r * ncls + cls) * 2 + 1) * part + partH) * part + partW] * std;
                        double wstart = pw * bw + xs + tx * rw, hstart = ph * bh + ys + ty * rh;
                        int gw = Math.min(Math.max((int) Math.floor((double) pw * gs / pp), 0), gs - 1);
                        int gh = Math.min(Math.max((int) Math.floor((double) ph * gs / pp), 0), gs - 1);
                        int ch = (ct * gs + gh) * gs + gw;
                        double sum = 0;
                        int count = 0;
                        for (int ih = 0; ih < spp; ih++)
                            for (int iw = 0; iw < spp; iw++) {
                                double x = wstart + iw * sw, y = hstart + ih * sh;
                                if (x < -0.5 || x > w - 0.5 || y < -0.5 || y > h - 0.5) continue;
                                x = Math.min(Math.max(x, 0), w - 1);
                                y = Math.min(Math.max(y, 0), h - 1);
                                sum += dp(data, (b * c + ch) * h * w, w, x, y);
                                count++;
                            }
                        int o = ((r * odim + ct) * pp + ph) * pp + pw;
                        out[o] = count == 0 ? 0 : sum / count;
                        cnt[o] = count;
                    }
        }
        return new double[][] {out, cnt};
    }
}
