package dev.nativeext.data.image;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;

/**
 * Decodes JPEG and PNG files with the JDK's ImageIO into {@link ByteImage}s (PIL's
 * {@code convert("RGB")}: alpha dropped, grey replicated, palettes expanded). ImageIO's disk
 * cache is turned off: it costs a temporary file per image.
 */
public final class ImageDecoder {

    static {
        ImageIO.setUseCache(false);
    }

    /**
     * The most pixels a decoded image may have: PIL's {@code Image.MAX_IMAGE_PIXELS} doubled, where
     * PIL raises its DecompressionBombError (89,478,485 is 1024^3 / 4 / 3: a quarter GiB of RGB).
     * A larger header is a decompression bomb or a corrupt file, refused before decoding.
     */
    public static final long MAX_PIXELS = 2L * 89_478_485;

    private ImageDecoder() {
    }

    /** Reads and decodes {@code file}; a missing, unreadable or corrupt file is an {@link ImageDecodeException} naming it. */
    public static ByteImage read(Path file) {
        return decode(bytes(file), file);
    }

    /** {@link #read} as the BufferedImage ImageIO decodes, with the same checks and errors. */
    public static BufferedImage readBuffered(Path file) {
        return decodeBuffered(bytes(file), file);
    }

    private static byte[] bytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ImageDecodeException(file, "no such file", e);
        } catch (IOException e) {
            throw new ImageDecodeException(file, "cannot read: " + e.getMessage(), e);
        }
    }

    /** Decodes an encoded image held in memory; {@code name} only labels errors. */
    public static ByteImage decode(byte[] encoded, Path name) {
        return fromBufferedImage(decodeBuffered(encoded, name));
    }

    private static BufferedImage decodeBuffered(byte[] encoded, Path name) {
        BufferedImage img;
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(encoded))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) throw new ImageDecodeException(name, "not a JPEG or PNG image (no ImageIO reader recognises its header)", null);
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                // the size from the header first: a huge one is refused before its raster is allocated
                long w = reader.getWidth(0), h = reader.getHeight(0);
                if (w * h > MAX_PIXELS) {
                    throw new ImageDecodeException(name, w + "x" + h + " pixels, more than the " + MAX_PIXELS
                            + " an image may have (PIL's decompression-bomb limit)", null);
                }
                img = reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof ImageDecodeException d) throw d;
            throw new ImageDecodeException(name, "corrupt or truncated image: " + e, e);
        }
        return img;
    }

    /** The pixels of {@code img} as B, G, R bytes; the decoder's own buffer is taken as is when it already has that layout. */
    public static ByteImage fromBufferedImage(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        Raster r = img.getRaster();
        if (img.getType() == BufferedImage.TYPE_3BYTE_BGR && r.getSampleModel() instanceof ComponentSampleModel sm
                && sm.getPixelStride() == 3 && sm.getScanlineStride() == 3 * w
                && r.getSampleModelTranslateX() == 0 && r.getSampleModelTranslateY() == 0
                && r.getDataBuffer() instanceof DataBufferByte db && db.getNumBanks() == 1
                && db.getOffset() == 0 && db.getData().length == 3 * w * h) {
            int[] off = sm.getBandOffsets();
            if (off[0] == 2 && off[1] == 1 && off[2] == 0) return new ByteImage(w, h, db.getData());
        }
        byte[] out = new byte[3 * w * h];
        if (img.getType() == BufferedImage.TYPE_BYTE_GRAY) {
            // getRGB would run grey through a colour-space conversion that brightens it; PIL copies.
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                r.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    byte v = (byte) row[x];
                    int o = (y * w + x) * 3;
                    out[o] = v;
                    out[o + 1] = v;
                    out[o + 2] = v;
                }
            }
            return new ByteImage(w, h, out);
        }
        int[] argb = new int[w];
        for (int y = 0; y < h; y++) {
            img.getRGB(0, y, w, 1, argb, 0, w);
            for (int x = 0; x < w; x++) {
                int p = argb[x];
                int o = (y * w + x) * 3;
                out[o] = (byte) p;
                out[o + 1] = (byte) (p >> 8);
                out[o + 2] = (byte) (p >> 16);
            }
        }
        return new ByteImage(w, h, out);
    }
}
