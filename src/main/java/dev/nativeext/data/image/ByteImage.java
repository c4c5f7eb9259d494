package dev.nativeext.data.image;

import java.util.Objects;

/**
 * An 8-bit colour image as decoded: {@code height × width} pixels, 3 interleaved bytes per pixel
 * in <b>B, G, R</b> order (the layout the JDK's JPEG decoder produces, and the order
 * maskrcnn-benchmark's TO_BGR255 wants, so neither step copies channels around).
 */
public final class ByteImage {

    private final int width;
    private final int height;
    private final byte[] bgr;

    /** Wraps {@code bgr} (not copied): {@code height × width × 3} bytes, B, G, R per pixel. */
    public ByteImage(int width, int height, byte[] bgr) {
        if (width < 1 || height < 1) throw new IllegalArgumentException("image size must be >= 1x1, got " + width + "x" + height);
        Objects.requireNonNull(bgr, "bgr");
        if (bgr.length != (long) width * height * 3) {
            throw new IllegalArgumentException("bgr must hold width*height*3 = " + (long) width * height * 3 + " bytes, got " + bgr.length);
        }
        this.width = width;
        this.height = height;
        this.bgr = bgr;
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /** The pixels, B, G, R interleaved, row-major (shared, not copied). */
    public byte[] bgr() {
        return bgr;
    }

    /** Channel {@code c} (0 = red, 1 = green, 2 = blue) of pixel (x, y), 0..255. */
    public int rgb(int x, int y, int c) {
        return bgr[(y * width + x) * 3 + (2 - c)] & 0xff;
    }

    /** The image mirrored left-right (PIL's {@code FLIP_LEFT_RIGHT}). */
    public ByteImage flipHorizontal() {
        byte[] out = new byte[bgr.length];
        for (int y = 0; y < height; y++) {
            int row = y * width * 3;
            for (int x = 0; x < width; x++) {
                int s = row + x * 3;
                int d = row + (width - 1 - x) * 3;
                out[d] = bgr[s];
                out[d + 1] = bgr[s + 1];
                out[d + 2] = bgr[s + 2];
            }
        }
        return new ByteImage(width, height, out);
    }
}
