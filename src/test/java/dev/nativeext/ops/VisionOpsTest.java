package dev.nativeext.ops;

import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The facade reaches each op; the ops' own tests check the math. */
class VisionOpsTest {

    @Test
    void roiAlignOfAConstantMapIsThatConstantAndItsGradientSumsToTheBins() {
        try (Tensor x = Tensor.of(new float[16], 1, 1, 4, 4); Tensor ones = Tensor.of(new float[]{1}, 1, 1, 1, 1);
             Tensor three = x.add(ones).mul(Tensor.of(new float[]{3}, 1));
             Tensor rois = Tensor.of(new float[]{0, 0, 0, 3, 3}, 1, 5);
             Tensor y = VisionOps.roiAlign(three, rois, new int[]{2, 2}, 1.0, 2, true)) {
            assertArrayEquals(new long[]{1, 1, 2, 2}, y.shape());
            for (float v : y.toFloatArray()) assertEquals(3f, v, 1e-6f);
            try (Tensor g = Tensor.of(new float[]{1, 1, 1, 1}, 1, 1, 2, 2);
                 Tensor gin = VisionOps.roiAlignBackward(g, rois, new long[]{1, 1, 4, 4}, 1.0, 2, true, true)) {
                double sum = 0;
                for (float v : gin.toFloatArray()) sum += v;
                assertEquals(4.0, sum, 1e-5, "each bin's unit gradient spreads over its samples");
            }
        }
    }

    @Test
    void nmsKeepsTheBestOfOverlappingBoxes() {
        try (Tensor boxes = Tensor.of(new float[]{0, 0, 10, 10, 1, 1, 11, 11, 50, 50, 60, 60}, 3, 4);
             Tensor scores = Tensor.of(new float[]{0.9f, 0.8f, 0.7f}, 3);
             Tensor keep = VisionOps.nms(boxes, scores, 0.5);
             Tensor cats = Tensor.of(new long[]{0, 1, 0}, 3);
             Tensor keepBatched = VisionOps.batchedNms(boxes, scores, cats, 0.5)) {
            assertArrayEquals(new long[]{0, 2}, keep.toLongArray());
            assertArrayEquals(new long[]{0, 1, 2}, keepBatched.toLongArray(), "different categories never suppress each other");
        }
    }

    @Test
    void deformConvWithZeroOffsetsIsAPlainConvolution() {
        try (Tensor x = Tensor.of(new float[]{1, 2, 3, 4}, 1, 1, 2, 2); Tensor w = Tensor.of(new float[]{1, 1, 1, 1}, 1, 1, 2, 2);
             Tensor off = Tensor.zeros(DType.FLOAT32, Device.CPU, 1, 8, 1, 1);
             Tensor y = VisionOps.deformConv2d(x, off, w, null, new int[]{1, 1}, new int[]{0, 0}, new int[]{1, 1}, null)) {
            assertArrayEquals(new float[]{10}, y.toFloatArray());
        }
    }

    @Test
    void badShapesAreNamed() {
        try (Tensor x = Tensor.zeros(DType.FLOAT32, Device.CPU, 1, 1, 4, 4); Tensor rois = Tensor.of(new float[]{0, 0, 0, 3}, 1, 4)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> VisionOps.roiAlign(x, rois, new int[]{2, 2}, 1.0, 2, true));
            assertTrue(e.getMessage().contains("rois"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> VisionOps.roiAlignBackward(x, rois, new long[]{1, 1, 4}, 1.0, 2, true, false));
            assertTrue(e.getMessage().contains("inputShape"), e.getMessage());
        }
    }
}
