package dev.nativeext.ops;

import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static dev.nativeext.ops.Rejects.withMessage;

/**
 * Every rejected input is an IllegalArgumentException naming the argument and the expected range.
 * Before: NullPointerExceptions for null arguments, ArithmeticExceptions for sizes that overflow,
 * "ROIAlign failed: out of memory (status 3)" for a huge sampling grid, an
 * ArrayIndexOutOfBoundsException from Tensor.shape(5); and silently accepted inputs: argmax values
 * outside the plane (gradients dropped), a fractional batch index in deformPsRoiPool.
 */
class ClearErrorsTest {

    private static Tensor features() {
        return Tensor.zeros(DType.FLOAT32, Device.CPU, 1, 2, 8, 8);
    }

    private static Tensor oneRoi() {
        return Tensor.of(new float[]{0, 1, 1, 6, 6}, 1, 5);
    }

    @Test
    void nullArgumentsAreNamed() {
        try (Tensor x = features(); Tensor r = oneRoi()) {
            withMessage("input is null", () -> VisionOps.roiAlign(null, r, new int[]{2, 2}, 1, 2, true));
            withMessage("rois is null", () -> VisionOps.roiAlign(x, null, new int[]{2, 2}, 1, 2, true));
            withMessage("outputSize", () -> VisionOps.roiAlign(x, r, null, 1, 2, true));
            withMessage("rois is null", () -> VisionOps.roiPool(x, null, new int[]{2, 2}, 1));
            withMessage("argmax is null", () -> VisionOps.roiPoolBackward(Tensor.zeros(DType.FLOAT32, Device.CPU, 1, 2, 2, 2), null, r,
                    new long[]{1, 2, 8, 8}));
            withMessage("params is null", () -> VisionOps.deformPsRoiPool(x, r, null, null));
            withMessage("scores is null", () -> VisionOps.nms(Tensor.zeros(DType.FLOAT32, Device.CPU, 0, 4), null, 0.5));
            withMessage("weight is null", () -> VisionOps.deformConv2d(x, x, null, null, new int[]{1, 1}, new int[]{0, 0},
                    new int[]{1, 1}, null));
            withMessage("targets is null", () -> VisionOps.sigmoidFocalLoss(x, null, 2, 0.25));
            withMessage("b is null", () -> x.add(null));
            withMessage("a is null", () -> Elementwise.mul(null, x));
            withMessage("dtype is null", () -> Tensor.zeros(null, Device.CPU, 2));
            withMessage("device is null", () -> Tensor.zeros(DType.FLOAT32, null, 2));
            withMessage("shape is null", () -> Tensor.zeros(DType.FLOAT32, Device.CPU, (long[]) null));
            withMessage("data is null", () -> Tensor.of((float[]) null));
            withMessage("data is null", () -> Tensor.of((long[]) null, 1));
            withMessage("device is null", () -> x.to(null));
        }
    }

    @Test
    void sizesThatOverflowAreNamedNotArithmeticExceptions() {
        try (Tensor x = features(); Tensor r = oneRoi()) {
            withMessage("overflows", () -> VisionOps.roiAlign(x, r, new int[]{Integer.MAX_VALUE, Integer.MAX_VALUE}, 1, 2, true));
            withMessage("inputShape[2] (H)", () -> VisionOps.roiAlignBackward(Tensor.zeros(DType.FLOAT32, Device.CPU, 1, 2, 2, 2), r,
                    new long[]{1, 2, 3_000_000_000L, 8}, 1, 2, true, false));
            withMessage("more than", () -> Tensor.zeros(DType.FLOAT32, Device.CPU, 1L << 32, 1L << 32));
            withMessage("bytes", () -> Tensor.zeros(DType.FLOAT64, Device.CPU, 1L << 31, 1L << 31));
        }
    }

    @Test
    void aHugeSamplingGridNamesTheArgumentAndTheSizeItImplies() {
        try (Tensor x = features(); Tensor r = oneRoi()) {
            withMessage("samplingRatio 65536", () -> VisionOps.roiAlign(x, r, new int[]{7, 7}, 1, 65536, true));
            try (Tensor huge = Tensor.of(new float[]{0, 0, 0, 1e6f, 1e6f}, 1, 5)) {
                withMessage("adaptive sampling", () -> VisionOps.roiAlign(x, huge, new int[]{7, 7}, 1, 0, true));
                withMessage("adaptive sampling", () -> VisionOps.roiAlignBackward(Tensor.zeros(DType.FLOAT32, Device.CPU, 1, 2, 7, 7), huge,
                        new long[]{1, 2, 8, 8}, 1, 0, true, false));
            }
        }
    }

    @Test
    void anAxisOutOfRangeIsNamed() {
        try (Tensor x = Tensor.zeros(DType.FLOAT32, Device.CPU, 2, 3)) {
            withMessage("axis 5 is out of range for a 2-D tensor", () -> x.shape(5));
            withMessage("expected [-2, 1]", () -> x.shape(-3));
            org.junit.jupiter.api.Assertions.assertEquals(3, x.shape(-1));
        }
    }

    @Test
    void argmaxOutsideThePlaneIsRejectedInsteadOfDroppingGradients() {
        try (Tensor g = Tensor.zeros(DType.FLOAT32, Device.CPU, 1, 1, 1, 2); Tensor r = oneRoi()) {
            for (int bad : new int[]{64, -2, 1 << 20}) {
                try (Tensor arg = Tensor.of(new int[]{0, bad}, 1, 1, 1, 2)) {
                    withMessage("outside [-1, H*W = 64)", () -> VisionOps.roiPoolBackward(g, arg, r, new long[]{1, 1, 8, 8}));
                }
            }
            try (Tensor arg = Tensor.of(new int[]{-1, 63}, 1, 1, 1, 2);
                 Tensor gin = VisionOps.roiPoolBackward(g, arg, r, new long[]{1, 1, 8, 8})) {
                org.junit.jupiter.api.Assertions.assertEquals(64, gin.numel());
            }
        }
    }

    @Test
    void aFractionalBatchIndexIsRejectedByDeformPsRoiPoolAsByRoiAlign() {
        DeformPsRoiPool.Params p = new DeformPsRoiPool.Params(1.0, 2, 2, 2, 1, 2, 0.0);
        try (Tensor data = Tensor.zeros(DType.FLOAT32, Device.CPU, 1, 2, 8, 8);
             Tensor r = Tensor.of(new float[]{0.7f, 1, 1, 6, 6}, 1, 5)) {
            withMessage("batch index must be an integer", () -> VisionOps.deformPsRoiPool(data, r, null, p));
        }
    }
}
