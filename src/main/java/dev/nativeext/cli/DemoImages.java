package dev.nativeext.cli;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * The demo's default images, drawn on first use instead of shipped (no binary files in the
 * repository): simple scenes (sky, ground, a few objects) in landscape and portrait sizes, as
 * JPEG and PNG, seeded so that every run sees the same pictures.
 */
final class DemoImages {

    static final int[][] SIZES = {{640, 480}, {480, 640}, {800, 533}, {512, 512}, {1024, 576}, {427, 640}};

    private DemoImages() {
    }

    /** Writes the images into {@code dir} unless they are there already; returns {@code dir}. */
    static Path ensure(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (int i = 0; i < SIZES.length; i++) {
            String name = String.format("scene_%02d.%s", i, i % 3 == 2 ? "png" : "jpg");
            Path f = dir.resolve(name);
            if (Files.exists(f)) continue;
            BufferedImage img = scene(SIZES[i][0], SIZES[i][1], i);
            Path tmp = dir.resolve(name + ".tmp");
            ImageIO.write(img, name.endsWith("png") ? "png" : "jpg", tmp.toFile());
            Files.move(tmp, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return dir;
    }

    static BufferedImage scene(int w, int h, long seed) {
        SplittableRandom r = new SplittableRandom(seed * 7919 + 1);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        int horizon = h / 2 + r.nextInt(h / 5) - h / 10;
        g.setPaint(new GradientPaint(0, 0, new Color(70, 120, 200), 0, horizon, new Color(190, 215, 240)));
        g.fillRect(0, 0, w, horizon);
        g.setPaint(new GradientPaint(0, horizon, new Color(90, 140, 60), 0, h, new Color(50, 90, 30)));
        g.fillRect(0, horizon, w, h - horizon);
        g.setColor(new Color(250, 230, 120));
        int sun = Math.min(w, h) / 8;
        g.fillOval(r.nextInt(w - sun), r.nextInt(Math.max(1, horizon - sun)), sun, sun);
        for (int k = 0; k < 5; k++) {
            Color c = new Color(r.nextInt(40, 230), r.nextInt(40, 230), r.nextInt(40, 230));
            int ow = w / 10 + r.nextInt(w / 5);
            int oh = h / 10 + r.nextInt(h / 4);
            int x = r.nextInt(w - ow);
            int y = Math.min(h - oh, horizon - oh / 2 + r.nextInt(Math.max(1, (h - horizon) / 2)));
            g.setColor(c);
            if (k % 2 == 0) g.fillRoundRect(x, y, ow, oh, ow / 4, oh / 4);
            else g.fillOval(x, y, ow, oh);
            g.setColor(c.darker().darker());
            g.setStroke(new BasicStroke(3));
            g.drawLine(x + ow / 2, y, x + ow / 2, y + oh);
        }
        g.dispose();
        return img;
    }
}
