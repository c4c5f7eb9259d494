package dev.nativeext.cli;

import dev.nativeext.tensor.Tensor;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;

/** A PNG-ready grid: one row per feature level, its strongest channels (by mean activation), each min-max scaled. */
final class FeatureGrid {

    private FeatureGrid() {
    }

    static BufferedImage render(List<Tensor> levels, List<String> names, int perLevel, int cell) {
        int label = 60;
        BufferedImage img = new BufferedImage(label + perLevel * (cell + 2), levels.size() * (cell + 2), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.DARK_GRAY);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
        for (int l = 0; l < levels.size(); l++) {
            Tensor t = levels.get(l);
            int c = (int) t.shape(1), h = (int) t.shape(2), w = (int) t.shape(3);
            float[] d = t.toFloatArray(); // image 0
            double[] mean = new double[c];
            for (int ch = 0; ch < c; ch++) {
                double s = 0;
                for (int i = 0; i < h * w; i++) s += d[ch * h * w + i];
                mean[ch] = s / (h * w);
            }
            Integer[] order = new Integer[c];
            for (int i = 0; i < c; i++) order[i] = i;
            java.util.Arrays.sort(order, (a, b) -> Double.compare(mean[b], mean[a]));
            g.setColor(Color.WHITE);
            g.drawString(names.get(l), 4, l * (cell + 2) + cell / 2);
            for (int k = 0; k < Math.min(perLevel, c); k++) {
                int ch = order[k];
                float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < h * w; i++) {
                    lo = Math.min(lo, d[ch * h * w + i]);
                    hi = Math.max(hi, d[ch * h * w + i]);
                }
                BufferedImage tile = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        int v = hi > lo ? (int) (255 * (d[(ch * h + y) * w + x] - lo) / (hi - lo)) : 0;
                        tile.setRGB(x, y, (v << 16) | (v << 8) | v);
                    }
                }
                double scale = Math.min((double) cell / w, (double) cell / h);
                g.drawImage(tile, label + k * (cell + 2), l * (cell + 2), (int) Math.max(1, w * scale), (int) Math.max(1, h * scale), null);
            }
        }
        g.dispose();
        return img;
    }
}
