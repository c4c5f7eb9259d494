package dev.nativeext.data.coco;

import dev.nativeext.data.DataLoader;
import dev.nativeext.data.GroupedBatchSampler;
import dev.nativeext.data.SampleException;
import dev.nativeext.data.Sampler;
import dev.nativeext.data.image.BatchCollator;
import dev.nativeext.data.image.DetectionSample;
import dev.nativeext.data.image.DetectionTransform;
import dev.nativeext.data.image.ImageBatch;
import dev.nativeext.data.image.ImageDecodeException;
import dev.nativeext.data.image.Normalize;
import dev.nativeext.data.image.Resize;
import dev.nativeext.data.image.TestImages;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CocoDatasetTest {

    @TempDir
    Path dir;
    Path ann;

    /**
     * Images 30 (40x30), 10 (20x36), 20 (24x24, no annotations), 40 (16x12, only a crowd box).
     * Categories listed as ids 7, 3 (file order gives labels 7 -> 1, 3 -> 2).
     */
    static String json() {
        return """
                {"images": [
                  {"id": 30, "file_name": "c.jpg", "width": 40, "height": 30},
                  {"id": 10, "file_name": "a.png", "width": 20, "height": 36},
                  {"id": 20, "file_name": "b.png", "width": 24, "height": 24},
                  {"id": 40, "file_name": "d.png", "width": 16, "height": 12}],
                 "categories": [{"id": 7, "name": "cat"}, {"id": 3, "name": "dog"}],
                 "annotations": [
                  {"id": 1, "image_id": 10, "category_id": 3, "iscrowd": 0, "bbox": [2, 4, 10, 20],
                   "segmentation": [[2, 4, 12, 4, 12, 24, 2, 24]]},
                  {"id": 2, "image_id": 10, "category_id": 7, "iscrowd": 1, "bbox": [0, 0, 5, 5],
                   "segmentation": {"counts": [0, 25], "size": [36, 20]}},
                  {"id": 3, "image_id": 10, "category_id": 7, "iscrowd": 0, "bbox": [15, 30, 10, 10],
                   "segmentation": [[15, 30, 25, 30, 25, 40]]},
                  {"id": 4, "image_id": 30, "category_id": 7, "iscrowd": 0, "bbox": [1.5, 2, 3, 4],
                   "segmentation": [[1.5, 2, 4.5, 2, 4.5, 6]]},
                  {"id": 5, "image_id": 40, "category_id": 3, "iscrowd": 1, "bbox": [1, 1, 5, 5]}
                 ]}""";
    }

    @BeforeEach
    void write() throws Exception {
        TestImages.write(TestImages.synthetic(40, 30, 1), dir.resolve("c.jpg"));
        TestImages.write(TestImages.synthetic(20, 36, 2), dir.resolve("a.png"));
        TestImages.write(TestImages.synthetic(24, 24, 3), dir.resolve("b.png"));
        TestImages.write(TestImages.synthetic(16, 12, 4), dir.resolve("d.png"));
        ann = Files.writeString(dir.resolve("instances.json"), json());
    }

    private CocoDataset plain(boolean skip) {
        return new CocoDataset(ann, dir, skip, new DetectionTransform(null, 0, Normalize.maskRcnn(), 0));
    }

    @Test
    void readsLikeMaskRcnnBenchmark() {
        CocoDataset d = plain(false);
        assertEquals(4, d.size());
        assertEquals(List.of(10L, 20L, 30L, 40L), List.of(d.info(0).id(), d.info(1).id(), d.info(2).id(), d.info(3).id()));
        assertEquals(7, d.categoryId(1));
        assertEquals("dog", d.categoryName(2));
        DetectionSample s = d.get(0);                                   // image 10, 20x36
        assertEquals(20, s.image().width());
        assertEquals(36, s.image().height());
        // crowd dropped; [2,4,10,20] -> [2,4,11,23]; [15,30,10,10] -> [15,30,24,39] clipped to [15,30,19,35]
        assertArrayEquals(new float[]{2, 4, 11, 23, 15, 30, 19, 35}, s.target().boxes());
        assertArrayEquals(new int[]{2, 1}, s.target().labels());
        assertTrue(s.target().hasMasks());
        byte[] m = s.target().mask(0);
        int area = 0;
        for (byte b : m) area += b;
        assertEquals(10 * 20, area);
        DetectionSample c = d.get(2);                                   // image 30: a fractional box
        assertArrayEquals(new float[]{1.5f, 2, 3.5f, 5}, c.target().boxes());
        assertEquals(0, d.get(1).target().size());
        assertEquals(0, d.get(3).target().size());                      // only a crowd box
        assertArrayEquals(new int[]{1, 1, 0, 0}, d.aspectRatioGroups());      // h/w >= 1 -> group 1 (bisect_right)
    }

    @Test
    void skipsImagesWithoutUsableAnnotations() {
        CocoDataset d = plain(true);
        // 20 has none; 40 has a crowd box, which counts for has_valid_annotation as in the reference
        assertEquals(List.of(10L, 30L, 40L), List.of(d.info(0).id(), d.info(1).id(), d.info(2).id()));
    }

    @Test
    void resizedAndBatched() {
        DetectionTransform tr = new DetectionTransform(new Resize(new int[]{64}, 100), 0, Normalize.maskRcnn(), 0);
        CocoDataset d = new CocoDataset(ann, dir, false, tr);
        DetectionSample s = d.get(0);                                   // 20x36 -> 64 x int(64*36/20)=115 > 100: size = round(100*20/36) = 56
        assertEquals(56, s.image().width());
        assertEquals(100, s.image().height());
        int[] groups = d.aspectRatioGroups();
        List<String> shapes = new ArrayList<>();
        try (DataLoader<DetectionSample, ImageBatch> l = DataLoader.builder(d, new BatchCollator(32))
                .batchSampler(new GroupedBatchSampler(Sampler.sequential(d.size()), groups, 2, false)).numWorkers(2).build()) {
            for (ImageBatch b : l) {
                try (b) {
                    shapes.add(java.util.Arrays.toString(b.images().shape()) + java.util.Arrays.toString(b.indices()));
                    assertEquals(0, b.images().shape(2) % 32);
                }
            }
        }
        // groups {1, 1, 0, 0}; 56x100 and 64x64 -> 64x128 padded; 85x64 twice -> 96x64
        assertEquals(List.of("[2, 3, 128, 64][0, 1]", "[2, 3, 64, 96][2, 3]"), shapes);
    }

    @Test
    void malformedFilesNameTheField() throws Exception {
        assertMessage("{\"images\": [", "not valid JSON");
        assertMessage("{\"categories\": []}", "images: missing");
        assertMessage(json().replace("\"bbox\": [2, 4, 10, 20]", "\"bbox\": [2, 4, 10]"), "annotations[0].bbox");
        assertMessage(json().replace("\"bbox\": [2, 4, 10, 20]", "\"bbox\": [2, \"x\", 10, 20]"), "annotations[0].bbox[1]");
        assertMessage(json().replace("\"category_id\": 3, \"iscrowd\": 0, \"bbox\": [2", "\"category_id\": 99, \"iscrowd\": 0, \"bbox\": [2"),
                "annotations[0].category_id: no category has id 99");
        assertMessage(json().replace("{\"id\": 30, \"file_name\": \"c.jpg\", ", "{\"id\": 30, "), "images[0].file_name: missing");
        assertMessage(json().replace("\"image_id\": 30", "\"image_id\": 31"), "annotations[3].image_id: no image has id 31");
        assertMessage(json().replace("[[15, 30, 25, 30, 25, 40]]", "[[15, 30, 25]]"), "annotations[2].segmentation[0]");
        assertMessage(json().replace("\"category_id\": 7, \"iscrowd\": 0, \"bbox\": [15", "\"category_id\": 7, \"bbox\": [15"),
                "annotations[2].iscrowd: missing");
        CocoFormatException none = assertThrows(CocoFormatException.class, () -> new CocoDataset(dir.resolve("x.json"), dir, false, null));
        assertTrue(none.getMessage().contains("x.json"), none.getMessage());
    }

    private void assertMessage(String content, String expected) throws Exception {
        Path f = Files.writeString(dir.resolve("bad.json"), content);
        CocoFormatException e = assertThrows(CocoFormatException.class, () -> new CocoDataset(f, dir, false, null));
        assertTrue(e.getMessage().contains("bad.json") && e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void missingOrCorruptImagesNameTheFileThroughTheLoader() throws Exception {
        Files.delete(dir.resolve("b.png"));
        Files.writeString(dir.resolve("c.jpg"), "garbage");
        CocoDataset d = plain(false);
        ImageDecodeException missing = assertThrows(ImageDecodeException.class, () -> d.get(1));
        assertTrue(missing.getMessage().contains("b.png") && missing.getMessage().contains("image id 20")
                && missing.getMessage().contains("no such file"), missing.getMessage());
        ImageDecodeException corrupt = assertThrows(ImageDecodeException.class, () -> d.get(2));
        assertTrue(corrupt.getMessage().contains("c.jpg") && corrupt.getMessage().contains("index 2"), corrupt.getMessage());
        try (DataLoader<DetectionSample, ImageBatch> l = DataLoader.builder(d, new BatchCollator(32)).numWorkers(2).build()) {
            SampleException e = assertThrows(SampleException.class, () -> {
                for (ImageBatch b : l) b.close();
            });
            assertEquals(1, e.index());
            assertTrue(e.getMessage().contains("b.png"), e.getMessage());
            assertFalse(l.workers().stream().anyMatch(Thread::isAlive));
        }
    }
}
