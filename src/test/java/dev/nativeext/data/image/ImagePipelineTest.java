package dev.nativeext.data.image;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImagePipelineTest {

    @Test
    void getSizeFollowsMaskRcnnBenchmark() {
        // {oh, ow} for (w, h), min 800, max 1333
        assertArrayEquals(new int[]{800, 1066}, Resize.getSize(640, 480, 800, 1333));    // int(800*640/480)=1066
        assertArrayEquals(new int[]{1066, 800}, Resize.getSize(480, 640, 800, 1333));
        assertArrayEquals(new int[]{800, 1201}, Resize.getSize(500, 333, 800, 1333));    // 1201.2 -> 1201
        // the max size binds: 1000x300 -> size = round(1333*300/1000) = round(399.9) = 400
        assertArrayEquals(new int[]{400, 1333}, Resize.getSize(1000, 300, 800, 1333));
        // Python's round is half-to-even: 1333*250/1250 = 266.6 -> 267; 1000*5/2000... exact half
        assertArrayEquals(new int[]{2, 800}, Resize.getSize(2000, 5, 800, 1000));       // round(2.5) = 2, int(2*2000/5)
        assertArrayEquals(new int[]{800, 800}, Resize.getSize(800, 800, 800, 1333));     // already that size
        assertArrayEquals(new int[]{800, 1000}, Resize.getSize(1000, 800, 800, 1333));   // shorter side is 800: unchanged
        assertArrayEquals(new int[]{800, 1333}, Resize.getSize(1333, 800, 800, 0));
        // the case: a 640x480 JPEG to 800x1067 needs max 1333 and min 800 -> 1066 by truncation
        assertEquals(1066, Resize.getSize(640, 480, 800, 1333)[1]);
    }

    /** The fixture was written by Pillow 9.4 ({@code Image.resize(size, BILINEAR)}) from the same formula. */
    @Test
    void resizeMatchesPillowBitForBit() throws Exception {
        int w0 = 23;
        int h0 = 17;
        byte[] bgr = new byte[w0 * h0 * 3];
        for (int y = 0; y < h0; y++) {
            for (int x = 0; x < w0; x++) {
                for (int c = 0; c < 3; c++) bgr[(y * w0 + x) * 3 + (2 - c)] = (byte) ((x * 37 + y * 91 + c * 53 + (x * y) % 17) & 255);
            }
        }
        ByteImage src = new ByteImage(w0, h0, bgr);
        byte[] expected;
        try (InputStream in = getClass().getResourceAsStream("pil_bilinear_23x17.bin")) {
            assertNotNull(in);
            expected = in.readAllBytes();
        }
        int[][] sizes = {{40, 31}, {11, 9}, {23, 30}, {7, 17}, {64, 48}, {5, 3}};
        int at = 0;
        for (int[] s : sizes) {
            ByteImage r = Resize.resize(src, s[0], s[1]);
            for (int y = 0; y < s[1]; y++) {
                for (int x = 0; x < s[0]; x++) {
                    for (int c = 0; c < 3; c++) {
                        int want = expected[at++] & 0xff;
                        assertEquals(want, r.rgb(x, y, c), "size " + s[0] + "x" + s[1] + " pixel (" + x + ", " + y + ") channel " + c);
                    }
                }
            }
        }
        assertEquals(expected.length, at);
    }

    @Test
    void fusedTransformEqualsTheStepsOneByOne() {
        ByteImage img = TestImages.synthetic(61, 45, 3);
        Normalize norm = Normalize.maskRcnn();
        for (boolean flip : new boolean[]{false, true}) {
            for (int[] size : new int[][]{{80, 59}, {30, 22}, {61, 45}, {61, 70}}) {
                ByteImage resized = Resize.resize(img, size[0], size[1]);
                FloatImage steps = norm.apply(flip ? resized.flipHorizontal() : resized);
                FloatImage fused = DetectionTransform.resizeNormalize(img, size[0], size[1], norm, flip);
                assertArrayEquals(steps.data(), fused.data(), "size " + size[0] + "x" + size[1] + " flip " + flip);
            }
        }
    }

    /**
     * The strided native path (a deferred image written into native memory, as the collator does)
     * gives the Java kernel's bits in each row, zeroes the row's tail up to the stride and touches
     * nothing below the image: up, down, one axis, no resize, flips, both normalisations.
     */
    @Test
    void deferredNativeWritesTheSameBitsWithStrides() {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.nativeext.ops.ImageResize.available(), "libnativeext_image_resize did not load");
        ByteImage img = TestImages.synthetic(97, 61, 4);
        Normalize[] norms = {Normalize.maskRcnn(), new Normalize(new float[]{0.485f, 0.456f, 0.406f}, new float[]{0.229f, 0.224f, 0.225f}, false)};
        for (Normalize norm : norms) {
            for (boolean flip : new boolean[]{false, true}) {
                for (int[] size : new int[][]{{150, 120}, {40, 25}, {97, 61}, {97, 140}, {30, 61}, {200, 33}}) {
                    int w = size[0], h = size[1], W = w + 5, H = h + 3;
                    float[] init = new float[3 * H * W];
                    java.util.Arrays.fill(init, Float.NaN);
                    float[] want = DetectionTransform.resizeNormalizeJava(img, w, h, norm, flip).data();
                    FloatImage d = DetectionTransform.deferredNative(img, w, h, norm, flip);
                    try (dev.nativeext.tensor.Tensor t = dev.nativeext.tensor.Tensor.of(init, 3, H, W)) {
                        assertTrue(d.writeInto(t.address(), W, (long) H * W));
                        float[] got = t.toFloatArray();
                        for (int c = 0; c < 3; c++) {
                            for (int y = 0; y < H; y++) {
                                for (int x = 0; x < W; x++) {
                                    float g = got[(c * H + y) * W + x];
                                    String at = "size " + w + "x" + h + " flip " + flip + " bgr " + norm.toBgr255() + " c=" + c + " y=" + y + " x=" + x;
                                    if (y >= h) assertTrue(Float.isNaN(g), at + ": below the image, untouched");
                                    else if (x >= w) assertEquals(0f, g, at + ": right padding");
                                    else assertEquals(Float.floatToRawIntBits(want[(c * h + y) * w + x]), Float.floatToRawIntBits(g), at);
                                }
                            }
                        }
                    }
                    assertArrayEquals(want, d.data(), "data() of a deferred image");
                }
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> dev.nativeext.ops.ImageResize.resizeNormalizeInto(
                2, 2, new byte[12], 2, 2, null, null, new float[768], new int[3], new float[3], new float[3], false, new byte[12], 4096, 1, 4));
        assertTrue(e.getMessage().contains("rowStride"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> dev.nativeext.ops.ImageResize.resizeNormalizeInto(
                2, 2, new byte[12], 2, 2, null, null, new float[768], new int[3], new float[3], new float[3], false, new byte[12], 4096, 3, 5));
        assertTrue(e.getMessage().contains("planeStride"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> dev.nativeext.ops.ImageResize.resizeNormalizeInto(
                2, 2, new byte[12], 2, 2, null, null, new float[768], new int[3], new float[3], new float[3], false, new byte[12], 0, 2, 4));
        assertTrue(e.getMessage().contains("out"), e.getMessage());
    }

    /** The native kernel and the Java one give the same bits: up, down, one axis, flips, both normalisations. */
    @Test
    void nativeKernelMatchesJava() {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.nativeext.ops.ImageResize.available(), "libnativeext_image_resize did not load");
        ByteImage img = TestImages.synthetic(97, 61, 4);
        Normalize[] norms = {Normalize.maskRcnn(), new Normalize(new float[]{0.485f, 0.456f, 0.406f}, new float[]{0.229f, 0.224f, 0.225f}, false)};
        for (Normalize norm : norms) {
            for (boolean flip : new boolean[]{false, true}) {
                for (int[] size : new int[][]{{150, 120}, {40, 25}, {97, 61}, {97, 140}, {30, 61}, {200, 33}}) {
                    FloatImage j = DetectionTransform.resizeNormalizeJava(img, size[0], size[1], norm, flip);
                    FloatImage n = DetectionTransform.resizeNormalizeNative(img, size[0], size[1], norm, flip);
                    assertArrayEquals(j.data(), n.data(), "size " + size[0] + "x" + size[1] + " flip " + flip + " bgr " + norm.toBgr255());
                }
            }
        }
    }

    @Test
    void normalizeIsTorchsFormula() {
        ByteImage px = new ByteImage(1, 1, new byte[]{(byte) 10, (byte) 200, (byte) 255});   // B, G, R
        FloatImage bgr = Normalize.maskRcnn().apply(px);
        assertEquals(((10 / 255f) * 255f - 102.9801f) / 1f, bgr.get(0, 0, 0));
        assertEquals(((200 / 255f) * 255f - 115.9465f), bgr.get(1, 0, 0));
        assertEquals((255f - 122.7717f), bgr.get(2, 0, 0));
        FloatImage rgb = Normalize.toTensor(px);
        assertEquals(1f, rgb.get(0, 0, 0));
        assertEquals(200 / 255f, rgb.get(1, 0, 0));
        assertEquals(10 / 255f, rgb.get(2, 0, 0));
        FloatImage custom = new Normalize(new float[]{0.485f, 0.456f, 0.406f}, new float[]{0.229f, 0.224f, 0.225f}, false).apply(px);
        assertEquals((1f - 0.485f) / 0.229f, custom.get(0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Normalize(new float[3], new float[]{1, 0, 1}, true));
    }

    @Test
    void transformIsSeededPerSampleAndFlipsTargets() {
        ByteImage img = TestImages.synthetic(40, 30, 1);
        Target t = new Target(40, 30, new float[]{2, 3, 11, 20}, new int[]{1}, null);
        DetectionTransform tr = new DetectionTransform(new Resize(new int[]{60}, 1000), 0.5, Normalize.maskRcnn(), 5);
        int flipped = 0;
        for (int i = 0; i < 40; i++) {
            DetectionSample a = tr.apply(img, t, i, 0);
            DetectionSample b = tr.apply(img, t, i, 0);
            assertArrayEquals(a.image().data(), b.image().data());
            assertEquals(80, a.image().width());
            assertEquals(60, a.image().height());
            float[] box = a.target().boxes();
            if (box[0] != 4f) {
                flipped++;
                // resize by 2 then flip: x1' = 80 - 22 - 1, x2' = 80 - 4 - 1
                assertArrayEquals(new float[]{57, 6, 75, 40}, box);
                assertEquals(a.image().get(0, 0, 0), DetectionTransform.resizeNormalize(img, 80, 60, Normalize.maskRcnn(), false).get(0, 0, 79));
            } else {
                assertArrayEquals(new float[]{4, 6, 22, 40}, box);
            }
        }
        assertTrue(flipped > 5 && flipped < 35, "flipped " + flipped + " of 40");
    }

    @Test
    void randomFlipIsSeededPerSampleAndEpoch() {
        RandomHorizontalFlip f = new RandomHorizontalFlip(0.5, 7);
        int same = 0;
        int flips = 0;
        for (int i = 0; i < 200; i++) {
            assertEquals(f.flips(i, 0), new RandomHorizontalFlip(0.5, 7).flips(i, 0));
            if (f.flips(i, 0) == f.flips(i, 1)) same++;
            if (f.flips(i, 0)) flips++;
        }
        assertTrue(flips > 70 && flips < 130, "flips " + flips);
        assertTrue(same < 150, "epochs 0 and 1 should differ, same " + same);
        ByteImage img = TestImages.synthetic(5, 3, 1);
        int i = 0;
        while (!f.flips(i, 0)) i++;
        assertEquals(img.rgb(0, 1, 2), f.apply(img, i, 0).rgb(4, 1, 2));
        assertTrue(new RandomHorizontalFlip(0, 7).apply(img, i, 0) == img);
        assertThrows(IllegalArgumentException.class, () -> new RandomHorizontalFlip(1.5, 0));
    }

    @Test
    void targetFlipTwiceIsIdentityAndMasksRasterise() {
        java.util.List<java.util.List<float[]>> polys = java.util.List.of(java.util.List.of(new float[]{2, 2, 8, 2, 8, 6, 2, 6}));
        Target t = new Target(12, 10, new float[]{2, 2, 8, 6}, new int[]{3}, polys);
        Target back = t.flipHorizontal().flipHorizontal();
        assertArrayEquals(t.boxes(), back.boxes());
        assertArrayEquals(t.polygons(0).get(0), back.polygons(0).get(0));
        byte[] m = t.mask(0);
        int area = 0;
        for (byte b : m) area += b;
        assertEquals(6 * 4, area);
        assertEquals(1, m[2 * 12 + 2]);
        assertEquals(0, m[6 * 12 + 8]);
        // flipped polygon covers the mirrored pixels shifted by maskrcnn-benchmark's TO_REMOVE
        byte[] f = t.flipHorizontal().mask(0);
        for (int y = 0; y < 10; y++) {
            for (int x = 0; x < 11; x++) assertEquals(m[y * 12 + (10 - x)], f[y * 12 + x], "(" + x + ", " + y + ")");
        }
    }

    @Test
    void clipRemovesEmptyBoxes() {
        Target t = new Target(10, 10, new float[]{-5, 2, 4, 4, 12, 1, 20, 8, 3, 3, 3, 9}, new int[]{1, 2, 3}, null).clipToImage(true);
        assertArrayEquals(new float[]{0, 2, 4, 4}, t.boxes());
        assertArrayEquals(new int[]{1}, t.labels());
    }

    @Test
    void decodesPngExactlyAndJpegClosely(@TempDir Path dir) throws Exception {
        ByteImage img = TestImages.synthetic(33, 21, 9);
        ByteImage png = ImageDecoder.read(TestImages.write(img, dir.resolve("a.png")));
        assertArrayEquals(img.bgr(), png.bgr());
        ByteImage jpg = ImageDecoder.read(TestImages.write(img, dir.resolve("a.jpg")));
        assertEquals(33, jpg.width());
        double err = 0;
        for (int i = 0; i < img.bgr().length; i++) err += Math.abs((img.bgr()[i] & 0xff) - (jpg.bgr()[i] & 0xff));
        assertTrue(err / img.bgr().length < 12, "mean abs error " + err / img.bgr().length);
        // grey and RGBA PNGs: grey replicated, alpha dropped
        BufferedImage grey = new BufferedImage(4, 3, BufferedImage.TYPE_BYTE_GRAY);
        grey.getRaster().setSample(1, 2, 0, 77);
        ImageIO.write(grey, "png", dir.resolve("g.png").toFile());
        ByteImage g = ImageDecoder.read(dir.resolve("g.png"));
        assertEquals(77, g.rgb(1, 2, 0));
        assertEquals(77, g.rgb(1, 2, 2));
        BufferedImage rgba = new BufferedImage(2, 2, BufferedImage.TYPE_INT_ARGB);
        rgba.setRGB(1, 0, 0x10203040);
        ImageIO.write(rgba, "png", dir.resolve("t.png").toFile());
        ByteImage t = ImageDecoder.read(dir.resolve("t.png"));
        assertEquals(0x20, t.rgb(1, 0, 0));
        assertEquals(0x40, t.rgb(1, 0, 2));
    }

    @Test
    void badFilesAreNamed(@TempDir Path dir) throws Exception {
        ImageDecodeException missing = assertThrows(ImageDecodeException.class, () -> ImageDecoder.read(dir.resolve("nope.jpg")));
        assertTrue(missing.getMessage().contains("nope.jpg") && missing.getMessage().contains("no such file"), missing.getMessage());
        Path junk = Files.write(dir.resolve("junk.png"), "not an image".getBytes());
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> ImageDecoder.read(junk));
        assertTrue(e.getMessage().contains("junk.png"), e.getMessage());
        byte[] jpeg = Files.readAllBytes(TestImages.write(TestImages.synthetic(64, 64, 2), dir.resolve("ok.jpg")));
        Path cut = Files.write(dir.resolve("cut.jpg"), java.util.Arrays.copyOf(jpeg, 200));
        ImageDecodeException c = assertThrows(ImageDecodeException.class, () -> ImageDecoder.read(cut));
        assertTrue(c.getMessage().contains("cut.jpg"), c.getMessage());
    }

    /**
     * A small file whose header claims a huge image (a decompression bomb, or a corrupt size) is
     * refused from its header, as PIL refuses it, before a raster is allocated; JPEG and PNG.
     */
    @Test
    void anImageLargerThanTheLimitIsRefusedFromItsHeader(@TempDir Path dir) throws Exception {
        // PNG: IHDR's width and height (bytes 16..23) made 20000 x 20000 (1.2 GB of RGB), its CRC recomputed
        byte[] png = Files.readAllBytes(TestImages.write(TestImages.synthetic(8, 8, 1), dir.resolve("small.png")));
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(png);
        b.putInt(16, 20_000).putInt(20, 20_000);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(png, 12, 17);
        b.putInt(29, (int) crc.getValue());
        Path bomb = Files.write(dir.resolve("bomb.png"), png);
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> ImageDecoder.read(bomb));
        assertTrue(e.getMessage().contains("bomb.png") && e.getMessage().contains("20000x20000")
                && e.getMessage().contains("more than the " + ImageDecoder.MAX_PIXELS), e.getMessage());
        // JPEG: the SOF0 frame's height and width (after 0xFFC0, length, precision) made 60000 x 60000
        byte[] jpeg = Files.readAllBytes(TestImages.write(TestImages.synthetic(8, 8, 2), dir.resolve("small.jpg")));
        int sof = -1;
        for (int i = 0; i + 1 < jpeg.length; i++) if ((jpeg[i] & 0xff) == 0xff && (jpeg[i + 1] & 0xff) == 0xc0) { sof = i; break; }
        assertTrue(sof > 0, "the JPEG has a baseline frame header");
        java.nio.ByteBuffer.wrap(jpeg).putShort(sof + 5, (short) 60000).putShort(sof + 7, (short) 60000);
        Path big = Files.write(dir.resolve("big.jpg"), jpeg);
        ImageDecodeException j = assertThrows(ImageDecodeException.class, () -> ImageDecoder.read(big));
        assertTrue(j.getMessage().contains("big.jpg") && j.getMessage().contains("60000x60000"), j.getMessage());
    }

    @Test
    void randomMinSizeChoiceIsSeeded() {
        Resize r = new Resize(new int[]{600, 700, 800}, 1333);
        int[] a = r.outputSize(640, 480, new SplittableRandom(1));
        int[] b = r.outputSize(640, 480, new SplittableRandom(1));
        assertArrayEquals(a, b);
    }
}
