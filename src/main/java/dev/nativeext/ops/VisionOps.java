package dev.nativeext.ops;

import dev.nativeext.tensor.Tensor;

/**
 * The detection ops in the spirit of {@code torchvision.ops}, one entry point each, with its
 * backward. Each delegates to the op's own class, whose javadoc gives the shapes in full:
 * {@link RoiAlign}, {@link RoiPool}, {@link Nms}, {@link DeformConv2d}, {@link DeformPsRoiPool},
 * {@link SigmoidFocalLoss}. Every op validates its arguments in Java before any native call
 * ({@link IllegalArgumentException} naming the argument, what was expected and what came) and
 * runs on the device of its tensors, CPU or CUDA, in float32 or float64.
 *
 * <p>Shapes: features {@code [N, C, H, W]}; {@code rois [K, 5]} = (batch index, x1, y1, x2, y2) in
 * input-image pixels (scaled by {@code spatialScale} onto the feature map); {@code boxes [N, 4]}
 * = (x1, y1, x2, y2).
 */
public final class VisionOps {

    private VisionOps() {
    }

    /**
     * ROIAlign: {@code [K, C, outputSize[0], outputSize[1]]}, each bin the mean of
     * {@code samplingRatio²} bilinear samples ({@code <= 0}: adaptive, ceil(bin size);
     * torchvision's default is -1). {@code aligned}
     * shifts boxes by -0.5 pixel (torchvision's {@code aligned=True}, Detectron2's default).
     */
    public static Tensor roiAlign(Tensor input, Tensor rois, int[] outputSize, double spatialScale, int samplingRatio,
                                  boolean aligned) {
        return RoiAlign.forward(input, rois, outputSize, spatialScale, samplingRatio, aligned);
    }

    /** The gradient of {@link #roiAlign} with respect to its input {@code [N, C, H, W]}; {@code deterministic} avoids atomics on CUDA. */
    public static Tensor roiAlignBackward(Tensor gradOutput, Tensor rois, long[] inputShape, double spatialScale,
                                          int samplingRatio, boolean aligned, boolean deterministic) {
        return RoiAlign.backward(gradOutput, rois, dim(inputShape, 0), dim(inputShape, 1), dim(inputShape, 2), dim(inputShape, 3),
                spatialScale, samplingRatio, aligned, deterministic);
    }

    /** ROIPool: max over each bin, with the argmax (int32 flat index into H×W) for the backward. */
    public static RoiPool.Result roiPool(Tensor input, Tensor rois, int[] outputSize, double spatialScale) {
        return RoiPool.forward(input, rois, outputSize, spatialScale);
    }

    public static Tensor roiPoolBackward(Tensor gradOutput, Tensor argmax, Tensor rois, long[] inputShape) {
        return RoiPool.backward(gradOutput, argmax, rois, dim(inputShape, 0), dim(inputShape, 1), dim(inputShape, 2), dim(inputShape, 3));
    }

    /** Indices (int64) of the boxes kept, by decreasing score; torchvision's semantics. */
    public static Tensor nms(Tensor boxes, Tensor scores, double iouThreshold) {
        return Nms.nms(boxes, scores, iouThreshold);
    }

    /** NMS within each category of {@code idxs [N]} (int64): boxes of different categories never suppress each other. */
    public static Tensor batchedNms(Tensor boxes, Tensor scores, Tensor idxs, double iouThreshold) {
        return Nms.batchedNms(boxes, scores, idxs, iouThreshold);
    }

    /**
     * Deformable convolution: v1, or modulated v2 when {@code mask} is given. Groups and offset
     * groups are inferred as torchvision does ({@code C_in / weight.shape[1]} and
     * {@code offset.shape[1] / (2·kh·kw)}); {@code bias} may be null.
     */
    public static Tensor deformConv2d(Tensor input, Tensor offset, Tensor weight, Tensor bias, int[] stride, int[] padding,
                                      int[] dilation, Tensor mask) {
        return DeformConv2d.forward(input, offset, weight, bias, stride, padding, dilation, mask);
    }

    /**
     * The backward of {@link #deformConv2d}, with torchvision's offset gradient at sample points
     * exactly on -1 ({@link DeformConv2d.OffsetGradient#TORCHVISION}).
     */
    public static DeformConv2d.Gradients deformConv2dBackward(Tensor gradOutput, Tensor input, Tensor offset, Tensor weight,
                                                              Tensor bias, int[] stride, int[] padding, int[] dilation, Tensor mask) {
        return DeformConv2d.backward(gradOutput, input, offset, weight, bias, stride, padding, dilation, mask);
    }

    /** maskrcnn-benchmark's deformable position-sensitive ROI pooling; {@code trans} may be null. */
    public static DeformPsRoiPool.Result deformPsRoiPool(Tensor data, Tensor rois, Tensor trans, DeformPsRoiPool.Params params) {
        return DeformPsRoiPool.forward(data, rois, trans, params);
    }

    public static DeformPsRoiPool.Gradients deformPsRoiPoolBackward(Tensor gradOutput, Tensor data, Tensor rois, Tensor trans,
                                                                    Tensor topCount, DeformPsRoiPool.Params params) {
        return DeformPsRoiPool.backward(gradOutput, data, rois, trans, topCount, params);
    }

    /** Per-element sigmoid focal loss {@code [N, C]}; see {@link SigmoidFocalLoss} for the two target conventions. */
    public static Tensor sigmoidFocalLoss(Tensor logits, Tensor targets, double gamma, double alpha) {
        return SigmoidFocalLoss.forward(logits, targets, gamma, alpha);
    }

    public static Tensor sigmoidFocalLossBackward(Tensor logits, Tensor targets, double gamma, double alpha, Tensor gradLoss) {
        return SigmoidFocalLoss.backward(logits, targets, gamma, alpha, gradLoss);
    }

    private static int dim(long[] shape, int i) {
        if (shape == null || shape.length != 4) {
            throw new IllegalArgumentException("inputShape must be [N, C, H, W], got " + java.util.Arrays.toString(shape));
        }
        if (shape[i] < 0 || shape[i] > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("inputShape[" + i + "] (" + "NCHW".charAt(i) + ") must be in [0, " + Integer.MAX_VALUE
                    + "], got " + shape[i] + " in " + java.util.Arrays.toString(shape));
        }
        return (int) shape[i];
    }
}
