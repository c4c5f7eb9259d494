package dev.nativeext.model;

import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Tensor;

/**
 * The two small steps of torchvision's classifier that have no native op: global average
 * pooling and a reshape (float32, on the host; both run once per image on a [N, 2048, 7, 7] map).
 */
final class Layers {

    private Layers() {
    }

    private static float[] data(Tensor x, String op) {
        if (x.dtype() != DType.FLOAT32) throw new IllegalArgumentException(op + ": expects float32, got " + x.dtype());
        return x.toFloatArray();
    }

    private static void rank4(Tensor x, String op) {
        if (x.ndim() != 4) throw new IllegalArgumentException(op + ": expects [N, C, H, W], got " + java.util.Arrays.toString(x.shape()));
    }

    /** {@code adaptive_avg_pool2d(x, 1)}: [N, C, 1, 1]. */
    static Tensor globalAveragePool(Tensor x) {
        rank4(x, "avgpool");
        long[] sh = x.shape();
        int n = (int) sh[0], c = (int) sh[1], hw = (int) (sh[2] * sh[3]);
        float[] in = data(x, "avgpool"), out = new float[n * c];
        // four planes side by side: four independent sums (each in the same order as alone, so the
        // same bits), where one plane at a time waited on each addition's latency (ResNet-50's
        // 2048 x 7 x 7: ~0.13 ms of dependent adds)
        int p = 0;
        for (; p + 4 <= n * c; p += 4) {
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            int b0 = p * hw, b1 = b0 + hw, b2 = b1 + hw, b3 = b2 + hw;
            for (int j = 0; j < hw; j++) {
                s0 += in[b0 + j];
                s1 += in[b1 + j];
                s2 += in[b2 + j];
                s3 += in[b3 + j];
            }
            out[p] = s0 / hw;
            out[p + 1] = s1 / hw;
            out[p + 2] = s2 / hw;
            out[p + 3] = s3 / hw;
        }
        for (; p < n * c; p++) {
            float s = 0;
            for (int j = 0; j < hw; j++) s += in[p * hw + j];
            out[p] = s / hw;
        }
        return Tensor.of(out, n, c, 1, 1);
    }

    /** {@code x} with a new shape of the same element count (a copy). */
    static Tensor reshape(Tensor x, long... shape) {
        return Tensor.fromBytes(x.dtype(), java.nio.ByteBuffer.wrap(x.toRawBytes()), shape);
    }
}
