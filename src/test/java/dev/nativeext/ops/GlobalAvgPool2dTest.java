package dev.nativeext.ops;

import dev.nativeext.RequiresCuda;
import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static dev.nativeext.ops.LayerReference.random;
import static dev.nativeext.ops.LayerReference.tensor;
import static dev.nativeext.ops.LayerReference.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GlobalAvgPool2dTest {

    /** Each plane's elements added in index order from 0 in the dtype, then divided once: the expected bits. */
    static double[] inOrder(double[] x, boolean f32, int planes, int hw) {
        double[] out = new double[planes];
        for (int p = 0; p < planes; p++) {
            if (f32) {
                float s = 0;
                for (int j = 0; j < hw; j++) s += (float) x[p * hw + j];
                out[p] = s / hw;
            } else {
                double s = 0;
                for (int j = 0; j < hw; j++) s += x[p * hw + j];
                out[p] = s / hw;
            }
        }
        return out;
    }

    /** The planes in groups of eight and the rest alone, 1x1 planes, ResNet-50's 2048 x 7 x 7. */
    @Test
    void sumsEachPlaneInOrderThenDividesExactly() {
        for (long[] shape : new long[][] {{2, 13, 7, 7}, {1, 8, 3, 5}, {1, 3, 1, 1}, {1, 2048, 7, 7}, {3, 5, 2, 9}}) {
            int planes = (int) (shape[0] * shape[1]), hw = (int) (shape[2] * shape[3]);
            double[] x = random(planes + hw, planes * hw, -2, 3);
            for (boolean f32 : new boolean[] {true, false}) {
                try (Tensor t = tensor(x, f32, shape); Tensor y = NnOps.globalAvgPool2d(t)) {
                    assertArrayEquals(new long[] {shape[0], shape[1], 1, 1}, y.shape());
                    assertArrayEquals(inOrder(x, f32, planes, hw), values(y), 0.0, "f32=" + f32 + " " + java.util.Arrays.toString(shape));
                }
            }
        }
    }

    /** Planes split between threads (an input large enough to be split) give the same bits; a NaN stays in its plane. */
    @Test
    void threadCountsGiveIdenticalBitsAndNaNStaysInItsPlane() {
        long[] shape = {2, 70, 61, 67};
        int planes = 140, hw = 61 * 67;
        double[] x = random(3, planes * hw, -1, 1);
        x[5 * hw + 17] = Double.NaN;
        double[] want = inOrder(x, true, planes, hw);
        int saved = CpuOptions.threads();
        try {
            for (int threads : new int[] {1, 2, 3}) {
                CpuOptions.setThreads(threads);
                try (Tensor t = tensor(x, true, shape); Tensor y = NnOps.globalAvgPool2d(t)) {
                    double[] got = values(y);
                    assertArrayEquals(want, got, 0.0, "threads " + threads);
                    assertTrue(Double.isNaN(got[5]) && !Double.isNaN(got[4]) && !Double.isNaN(got[6]));
                }
            }
        } finally {
            CpuOptions.setThreads(saved);
        }
    }

    @Test
    void badInputIsRejectedNamingTheArgument() {
        try (Tensor x3 = Tensor.uniform(1, -1, 1, 2, 3, 4); Tensor xi = Tensor.zeros(DType.INT32, Device.CPU, 1, 2, 3, 3)) {
            Rejects.withMessage("x must have rank 4", () -> NnOps.globalAvgPool2d(x3));
            Rejects.withMessage("x must be float32 or float64", () -> NnOps.globalAvgPool2d(xi));
        }
    }

    @Test
    @RequiresCuda
    void cudaMatchesTheCpu() {
        double[] x = random(9, 2 * 3 * 17 * 23, -2, 2);
        for (boolean f32 : new boolean[] {true, false}) {
            try (Tensor t = tensor(x, f32, 2, 3, 17, 23).to(Device.cuda(0)); Tensor out = NnOps.globalAvgPool2d(t)) {
                assertArrayEquals(inOrder(x, f32, 6, 17 * 23), values(out), 0.0, "cuda f32=" + f32);
            }
        }
    }
}
