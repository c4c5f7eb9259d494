package dev.nativeext.data.image;

import dev.nativeext.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class BatchCollatorTest {

    private static DetectionSample sample(int h, int w, int index) {
        float[] d = new float[3 * h * w];
        for (int i = 0; i < d.length; i++) d[i] = 1 + i + 1000 * index;
        return new DetectionSample(new FloatImage(3, h, w, d), Target.empty(w, h), index);
    }

    /**
     * With the native kernel, {@link DetectionTransform#apply} defers the pixels and the collator
     * has them computed straight into the batch tensor: the same bits as collating the computed
     * arrays, padding zero, with and without flip, up- and downscaled.
     */
    @Test
    void deferredImagesAreComputedIntoTheBatchWithTheSameBits() {
        org.junit.jupiter.api.Assumptions.assumeTrue(DetectionTransform.NATIVE, "libnativeext_image_resize did not load (or -Dnativeext.data.native=false)");
        java.util.SplittableRandom r = new java.util.SplittableRandom(11);
        ByteImage[] imgs = new ByteImage[3];
        int[][] sizes = {{37, 23}, {50, 31}, {20, 45}};
        for (int k = 0; k < 3; k++) {
            byte[] bgr = new byte[sizes[k][0] * sizes[k][1] * 3];
            for (int i = 0; i < bgr.length; i++) bgr[i] = (byte) r.nextInt(256);
            imgs[k] = new ByteImage(sizes[k][0], sizes[k][1], bgr);
        }
        for (double flip : new double[]{0, 1}) {
            for (Normalize norm : new Normalize[]{Normalize.maskRcnn(), new Normalize(new float[]{0.485f, 0.456f, 0.406f}, new float[]{0.229f, 0.224f, 0.225f}, false)}) {
                DetectionTransform tr = new DetectionTransform(new Resize(new int[]{40}, 70), flip, norm, 7);
                java.util.List<DetectionSample> deferred = new java.util.ArrayList<>();
                java.util.List<DetectionSample> computed = new java.util.ArrayList<>();
                for (int k = 0; k < 3; k++) {
                    deferred.add(tr.apply(imgs[k], null, k, 0));
                    DetectionSample c = tr.apply(imgs[k], null, k, 0);
                    c.image().data();
                    computed.add(c);
                    org.junit.jupiter.api.Assertions.assertTrue(deferred.get(k).image().pending());
                }
                try (ImageBatch a = new BatchCollator(32).apply(deferred); ImageBatch b = new BatchCollator(32).apply(computed)) {
                    assertArrayEquals(b.images().shape(), a.images().shape());
                    float[] va = a.images().toFloatArray();
                    float[] vb = b.images().toFloatArray();
                    assertArrayEquals(vb, va, "flip " + flip + " bgr " + norm.toBgr255());
                    long[] sh = a.images().shape();
                    for (int n = 0; n < 3; n++) {
                        for (int c = 0; c < 3; c++) {
                            for (int y = 0; y < sh[2]; y++) {
                                for (int x = 0; x < sh[3]; x++) {
                                    if (y < a.heights()[n] && x < a.widths()[n]) continue;
                                    assertEquals(0f, va[(int) (((n * 3 + c) * sh[2] + y) * sh[3] + x)], "padding n=" + n + " c=" + c + " y=" + y + " x=" + x);
                                }
                            }
                        }
                    }
                    for (int k = 0; k < 3; k++) org.junit.jupiter.api.Assertions.assertTrue(deferred.get(k).image().pending(), "no array was made");
                    for (int k = 0; k < 3; k++) assertArrayEquals(computed.get(k).image().data(), deferred.get(k).image().data(), "data() of a deferred image");
                }
                deferred.forEach(DetectionSample::close);
                computed.forEach(DetectionSample::close);
            }
        }
    }

    @Test
    void padsToTheLargestSizeRoundedUp() {
        List<DetectionSample> s = List.of(sample(5, 7, 0), sample(9, 3, 1));
        try (ImageBatch b = new BatchCollator(4).apply(s)) {
            Tensor t = b.images();
            assertArrayEquals(new long[]{2, 3, 12, 8}, t.shape());
            assertArrayEquals(new int[]{5, 9}, b.heights());
            assertArrayEquals(new int[]{7, 3}, b.widths());
            assertArrayEquals(new int[]{0, 1}, b.indices());
            float[] v = t.toFloatArray();
            for (int n = 0; n < 2; n++) {
                FloatImage im = s.get(n).image();
                for (int c = 0; c < 3; c++) {
                    for (int y = 0; y < 12; y++) {
                        for (int x = 0; x < 8; x++) {
                            float want = y < im.height() && x < im.width() ? im.get(c, y, x) : 0f;
                            assertEquals(want, v[((n * 3 + c) * 12 + y) * 8 + x], "n=" + n + " c=" + c + " y=" + y + " x=" + x);
                        }
                    }
                }
            }
        }
        try (ImageBatch b = new BatchCollator(0).apply(List.of(sample(5, 7, 0)))) {
            assertArrayEquals(new long[]{1, 3, 5, 7}, b.images().shape());
        }
        assertEquals(832, BatchCollator.roundUp(810, 32));
    }

    @Test
    void theLoaderReleasesCollatedSamplesForReuse() {
        ByteImage img = TestImages.synthetic(40, 30, 1);
        DetectionTransform tr = new DetectionTransform(new Resize(new int[]{600}, 1000), 0, Normalize.maskRcnn(), 0);
        List<DetectionSample> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        dev.nativeext.data.Dataset<DetectionSample> ds = dev.nativeext.data.Dataset.from(4, i -> {
            DetectionSample s = tr.apply(img, null, i, 0);
            seen.add(s);
            return s;
        });
        FloatArrayPool.trim();
        try (dev.nativeext.data.DataLoader<DetectionSample, ImageBatch> l = dev.nativeext.data.DataLoader.builder(ds, new BatchCollator(32))
                .batchSize(2).build()) {
            float[] first = null;
            for (ImageBatch b : l) {
                try (b) {
                    assertEquals(600, b.heights()[0]);
                    if (first == null) {
                        first = b.images().toFloatArray();
                    } else {
                        // the second batch's samples were written into the first batch's released arrays (Java kernel) or straight into the tensor (native): same pixels
                        org.junit.jupiter.api.Assertions.assertArrayEquals(first, b.images().toFloatArray());
                    }
                }
            }
        }
        assertEquals(4, seen.size());
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> seen.get(0).image().data());
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("released"), e.getMessage());
        if (DetectionTransform.NATIVE) {
            // the native kernel wrote the pixels straight into the batch tensors: no array was made
            assertEquals(0, FloatArrayPool.cachedBytes());
        } else {
            org.junit.jupiter.api.Assertions.assertTrue(FloatArrayPool.cachedBytes() > 0);
        }
        float[] a = FloatArrayPool.take(1 << 17);
        FloatArrayPool.give(a);
        org.junit.jupiter.api.Assertions.assertSame(a, FloatArrayPool.take(1 << 17));
        assertEquals(800, BatchCollator.roundUp(800, 32));
        assertEquals(1088, BatchCollator.roundUp(1066, 32));
        assertEquals(800, BatchCollator.roundUp(800, 0));
    }
}
