package dev.nativeext.model;

import dev.nativeext.model.config.BackboneConfig;
import dev.nativeext.tensor.Tensor;

import java.awt.image.BufferedImage;

/**
 * maskrcnn-benchmark's test-time input side (backbone.md §4): {@code Resize.get_size} (shorter
 * side to MIN_SIZE_TEST unless the longer would pass MAX_SIZE_TEST), bilinear resampling, BGR in
 * [0, 255] when TO_BGR255 (else RGB in [0, 1]), {@code (x − PIXEL_MEAN) / PIXEL_STD}, zero padding
 * at the bottom/right to a multiple of SIZE_DIVISIBILITY.
 */
public final class ImageInput {

    /** The network input {@code [1, 3, H_pad, W_pad]} and the resized image's own size. */
    public record Batch(Tensor tensor, int height, int width) {
    }

    private ImageInput() {
    }

    /** maskrcnn-benchmark's Resize.get_size for an image of {@code w × h}: {@code {height, width}}. */
    public static int[] size(int w, int h, int minSize, int maxSize) {
        double size = minSize;
        if (maxSize > 0) {
            double minOrig = Math.min(w, h), maxOrig = Math.max(w, h);
            if (maxOrig / minOrig * size > maxSize) size = Math.round(maxSize * minOrig / maxOrig);
        }
        if ((w <= h && w == size) || (h <= w && h == size)) return new int[] {h, w};
        int ow, oh;
        if (w < h) {
            ow = (int) size;
            oh = (int) (size * h / w);
        } else {
            oh = (int) size;
            ow = (int) (size * w / h);
        }
        return new int[] {oh, ow};
    }

    public static Batch prepare(BufferedImage img, BackboneConfig c) {
        return prepare(img, c, c.minSizeTest(), c.maxSizeTest(), c.sizeDivisibility());
    }

    /** With explicit sizes; {@code divisibility} 0 pads nothing. */
    public static Batch prepare(BufferedImage img, BackboneConfig c, int minSize, int maxSize, int divisibility) {
        int w = img.getWidth(), h = img.getHeight();
        int[] s = size(w, h, minSize, maxSize);
        int oh = s[0], ow = s[1];
        int div = divisibility;
        int ph = div > 0 ? (oh + div - 1) / div * div : oh, pw = div > 0 ? (ow + div - 1) / div * div : ow;
        double[] mean = c.pixelMean(), std = c.pixelStd();
        boolean bgr255 = c.toBgr255();
        int[] rgb = img.getRGB(0, 0, w, h, null, 0, w);
        float[] out = new float[3 * ph * pw];
        double sy = (double) h / oh, sx = (double) w / ow;
        for (int y = 0; y < oh; y++) {
            double fy = Math.max(0, (y + 0.5) * sy - 0.5);
            int y0 = Math.min((int) fy, h - 1), y1 = Math.min(y0 + 1, h - 1);
            double ly = fy - y0;
            for (int x = 0; x < ow; x++) {
                double fx = Math.max(0, (x + 0.5) * sx - 0.5);
                int x0 = Math.min((int) fx, w - 1), x1 = Math.min(x0 + 1, w - 1);
                double lx = fx - x0;
                for (int ch = 0; ch < 3; ch++) {
                    int shift = 16 - 8 * ch; // R, G, B
                    double v = (1 - ly) * ((1 - lx) * comp(rgb[y0 * w + x0], shift) + lx * comp(rgb[y0 * w + x1], shift))
                            + ly * ((1 - lx) * comp(rgb[y1 * w + x0], shift) + lx * comp(rgb[y1 * w + x1], shift));
                    int plane = bgr255 ? 2 - ch : ch;
                    double px = bgr255 ? v : v / 255.0;
                    out[(plane * ph + y) * pw + x] = (float) ((px - mean[plane]) / std[plane]);
                }
            }
        }
        return new Batch(Tensor.of(out, 1, 3, ph, pw), oh, ow);
    }

    private static int comp(int argb, int shift) {
        return (argb >>> shift) & 0xff;
    }

    /**
     * The bundled input: a deterministic 640×480 scene drawn here (sky gradient, ground, a few
     * shapes and text), so that the command runs without any file.
     */
    public static BufferedImage bundled() {
        BufferedImage img = new BufferedImage(640, 480, BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = img.createGraphics();
        g.setRenderingHint(java.awt.RenderingHints.KEY_ANTIALIASING, java.awt.RenderingHints.VALUE_ANTIALIAS_ON);
        g.setPaint(new java.awt.GradientPaint(0, 0, new java.awt.Color(90, 150, 230), 0, 300, new java.awt.Color(200, 225, 250)));
        g.fillRect(0, 0, 640, 300);
        g.setColor(new java.awt.Color(70, 120, 50));
        g.fillRect(0, 300, 640, 180);
        g.setColor(new java.awt.Color(180, 40, 40));
        g.fillRect(80, 220, 160, 110);
        g.setColor(new java.awt.Color(60, 60, 70));
        g.fillPolygon(new int[] {70, 160, 250}, new int[] {220, 150, 220}, 3);
        g.setColor(new java.awt.Color(250, 210, 60));
        g.fillOval(480, 40, 90, 90);
        g.setColor(new java.awt.Color(30, 30, 30));
        g.fillRoundRect(330, 330, 220, 70, 30, 30);
        g.setColor(new java.awt.Color(20, 20, 20));
        g.fillOval(350, 380, 50, 50);
        g.fillOval(480, 380, 50, 50);
        g.setColor(java.awt.Color.WHITE);
        g.setFont(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.BOLD, 36));
        g.drawString("nativeext", 380, 260);
        g.dispose();
        return img;
    }
}
