package dev.nativeext.data.image;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.SplittableRandom;

/** Synthetic images for the tests: smooth gradients plus seeded noise, written as PNG or JPEG. */
public final class TestImages {

    private TestImages() {
    }

    public static ByteImage synthetic(int w, int h, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] bgr = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int o = (y * w + x) * 3;
                bgr[o] = (byte) ((x * 255 / Math.max(1, w - 1) + r.nextInt(16)) & 0xff);
                bgr[o + 1] = (byte) ((y * 255 / Math.max(1, h - 1) + r.nextInt(16)) & 0xff);
                bgr[o + 2] = (byte) (((x + y) * 3 + (int) (seed * 41)) & 0xff);
            }
        }
        return new ByteImage(w, h, bgr);
    }

    public static BufferedImage toBufferedImage(ByteImage img) {
        BufferedImage b = new BufferedImage(img.width(), img.height(), BufferedImage.TYPE_3BYTE_BGR);
        byte[] dst = ((java.awt.image.DataBufferByte) b.getRaster().getDataBuffer()).getData();
        System.arraycopy(img.bgr(), 0, dst, 0, dst.length);
        return b;
    }

    /** Writes {@code img} to {@code file} as PNG or JPEG (by extension) and returns the file. */
    public static Path write(ByteImage img, Path file) {
        String name = file.getFileName().toString();
        String format = name.endsWith(".png") ? "png" : "jpg";
        try {
            if (!ImageIO.write(toBufferedImage(img), format, file.toFile())) throw new IOException("no writer for " + format);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }
}
