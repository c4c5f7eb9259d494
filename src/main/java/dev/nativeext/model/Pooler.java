package dev.nativeext.model;

import dev.nativeext.ops.VisionOps;
import dev.nativeext.tensor.Tensor;

import java.util.List;

/**
 * maskrcnn-benchmark's multi-level ROIAlign Pooler: each box goes to one feature level by the
 * LevelMapper, is pooled there by ROIAlign at that level's scale, and the results come back in
 * the boxes' order. This is where ROIAlign plugs into the backbone.
 *
 * <p>LevelMapper: {@code s = sqrt((x2 − x1 + 1)(y2 − y1 + 1))} (maskrcnn-benchmark's +1 box area),
 * {@code level = floor(4 + log2(s / 224 + 1e-6))} clamped to {@code [kMin, kMax]} where
 * {@code kMin = −log2(scales[0])}, {@code kMax = −log2(scales[last])}. ROIAlign is the legacy,
 * unaligned one (no half-pixel shift), as maskrcnn-benchmark's; Detectron2 would pass aligned.
 */
public final class Pooler {

    public static final double CANONICAL_SCALE = 224, CANONICAL_LEVEL = 4, EPS = 1e-6;

    private final int outputSize;
    private final double[] scales;
    private final int samplingRatio;
    private final boolean aligned;
    private final int kMin, kMax;

    public Pooler(int outputSize, double[] scales, int samplingRatio) {
        this(outputSize, scales, samplingRatio, false);
    }

    public Pooler(int outputSize, double[] scales, int samplingRatio, boolean aligned) {
        if (scales.length == 0) throw new IllegalArgumentException("Pooler: scales must not be empty");
        this.outputSize = outputSize;
        this.scales = scales.clone();
        this.samplingRatio = samplingRatio;
        this.aligned = aligned;
        this.kMin = (int) Math.round(-log2(scales[0]));
        this.kMax = (int) Math.round(-log2(scales[scales.length - 1]));
        for (double s : scales) {
            double l = -log2(s);
            if (Math.abs(l - Math.round(l)) > 1e-9) throw new IllegalArgumentException("Pooler: scale " + s + " is not a power of 2");
        }
        if (scales.length > 1 && kMax - kMin + 1 != scales.length) {
            throw new IllegalArgumentException("Pooler: scales must be consecutive powers of 1/2, got " + java.util.Arrays.toString(scales));
        }
    }

    private static double log2(double v) {
        return Math.log(v) / Math.log(2);
    }

    /** The level index (0 = scales[0]) of each box of {@code rois [K, 5]}. */
    public int[] levels(float[] rois) {
        int k = rois.length / 5;
        int[] lv = new int[k];
        if (scales.length == 1) return lv;
        for (int i = 0; i < k; i++) {
            // float32 as in PyTorch: area, sqrt, division and log2 on float tensors
            float w = rois[i * 5 + 3] - rois[i * 5 + 1] + 1f, h = rois[i * 5 + 4] - rois[i * 5 + 2] + 1f;
            float s = (float) Math.sqrt(w * h);
            float t = (float) (CANONICAL_LEVEL + log2((float) (s / (float) CANONICAL_SCALE + (float) EPS)));
            int level = (int) Math.floor(t);
            lv[i] = Math.min(Math.max(level, kMin), kMax) - kMin;
        }
        return lv;
    }

    /** {@code [K, C, outputSize, outputSize]} for {@code rois [K, 5]} = (batch index, x1, y1, x2, y2) in image pixels. */
    public Tensor forward(List<Tensor> features, Tensor rois) {
        if (features.size() < scales.length) {
            throw new IllegalArgumentException("Pooler: " + scales.length + " scales but " + features.size() + " feature levels");
        }
        if (scales.length == 1) return VisionOps.roiAlign(features.get(0), rois, new int[] {outputSize, outputSize}, scales[0], samplingRatio, aligned);
        // the multi-level path reads the boxes on the host: their shape is checked here, as ROIAlign checks it
        if (rois.shape().length != 2 || rois.shape(1) != 5 || rois.dtype() != dev.nativeext.tensor.DType.FLOAT32) {
            throw new IllegalArgumentException("Pooler: rois must be FLOAT32 [K, 5] (batch index, x1, y1, x2, y2), got " + rois.dtype() + " "
                    + java.util.Arrays.toString(rois.shape()));
        }
        float[] r = rois.toFloatArray();
        int k = r.length / 5;
        long c = features.get(0).shape(1);
        int per = (int) (c * outputSize * outputSize);
        if ((long) k * per > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("Pooler: " + k + " rois x " + c + " channels x " + outputSize + "^2 = " + (long) k * per
                    + " values, more than one output holds here (2^31); pool them in chunks of rois");
        }
        float[] out = new float[k * per];
        int[] lv = levels(r);
        for (int level = 0; level < scales.length; level++) {
            int count = 0;
            for (int v : lv) if (v == level) count++;
            if (count == 0) continue;
            float[] sub = new float[count * 5];
            int[] index = new int[count];
            for (int i = 0, j = 0; i < k; i++) {
                if (lv[i] != level) continue;
                System.arraycopy(r, i * 5, sub, j * 5, 5);
                index[j++] = i;
            }
            try (Tensor subRois = Tensor.of(sub, count, 5);
                 Tensor pooled = VisionOps.roiAlign(features.get(level), subRois, new int[] {outputSize, outputSize}, scales[level],
                         samplingRatio, aligned)) {
                float[] p = pooled.toFloatArray();
                for (int j = 0; j < count; j++) System.arraycopy(p, j * per, out, index[j] * per, per);
            }
        }
        return Tensor.of(out, k, c, outputSize, outputSize);
    }
}
