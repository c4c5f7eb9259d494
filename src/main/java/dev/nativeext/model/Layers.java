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
        // Each plane's sum in ascending order from 0 (the same bits as one plane at a time), 8
        // planes side by side: 8 independent addition chains instead of one (resnet50's head sums
        // 2048 planes of 49; one chain waited on the add's latency at every element).
        int p = 0;
        for (; p + 8 <= n * c; p += 8) {
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
            int b = p * hw;
            for (int j = 0; j < hw; j++, b++) {
                s0 += in[b];
                s1 += in[b + hw];
                s2 += in[b + 2 * hw];
                s3 += in[b + 3 * hw];
                s4 += in[b + 4 * hw];
                s5 += in[b + 5 * hw];
                s6 += in[b + 6 * hw];
                s7 += in[b + 7 * hw];
            }
            out[p] = s0 / hw;
            out[p + 1] = s1 / hw;
            out[p + 2] = s2 / hw;
            out[p + 3] = s3 / hw;
            out[p + 4] = s4 / hw;
            out[p + 5] = s5 / hw;
            out[p + 6] = s6 / hw;
            out[p + 7] = s7 / hw;
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
