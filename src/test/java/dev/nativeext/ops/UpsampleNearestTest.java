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

class UpsampleNearestTest {

    @Test
    void handGrid() {
        for (boolean f32 : new boolean[] {true, false}) {
            try (Tensor x = tensor(new double[] {1, 2, 3, 4}, f32, 1, 1, 2, 2); Tensor out = UpsampleNearest.forward(x, 2)) {
                assertArrayEquals(new long[] {1, 1, 4, 4}, out.shape());
                assertArrayEquals(new double[] {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}, values(out));
            }
        }
    }

    @Test
    void matchesTheReferenceForOddSizesAndFactors() {
        int[][] cases = {{1, 1, 1, 1, 2, 2}, {2, 3, 5, 7, 2, 2}, {1, 2, 3, 17, 3, 1}, {1, 1, 1, 33, 1, 4}, {3, 4, 25, 34, 2, 2}, {1, 1, 2, 2, 1, 1}};
        long seed = 40;
        for (int[] c : cases) {
            for (boolean f32 : new boolean[] {true, false}) {
                double[] x = LayerReference.rounded(random(seed++, c[0] * c[1] * c[2] * c[3], -1, 1), f32);
                double[] want = LayerReference.upsample(x, c[0], c[1], c[2], c[3], c[4], c[5]);
                try (Tensor t = tensor(x, f32, c[0], c[1], c[2], c[3]); Tensor out = UpsampleNearest.forward(t, c[4], c[5])) {
                    assertArrayEquals(new long[] {c[0], c[1], (long) c[2] * c[4], (long) c[3] * c[5]}, out.shape());
                    assertArrayEquals(want, values(out));
                }
            }
        }
    }

    @Test
    void badInputNamesTheArgument() {
        try (Tensor x = Tensor.zeros(DType.FLOAT32, Device.CPU, 1, 2, 3, 3); Tensor x0 = Tensor.zeros(DType.FLOAT32, Device.CPU, 1, 0, 3, 3);
             Tensor x2 = Tensor.zeros(DType.FLOAT32, Device.CPU, 3, 3)) {
            Rejects.withMessage("factor must be an integer >= 1, got 0 x 2", () -> UpsampleNearest.forward(x, 0, 2));
            Rejects.withMessage("x must have C, H, W >= 1", () -> UpsampleNearest.forward(x0, 2));
            Rejects.withMessage("x must have rank 4", () -> UpsampleNearest.forward(x2, 2));
        }
    }

    @Test
    @RequiresCuda
    void cudaMatchesTheCpu() {
        double[] x = random(3, 2 * 3 * 7 * 9, -1, 1);
        try (Tensor t = tensor(x, true, 2, 3, 7, 9); Tensor want = UpsampleNearest.forward(t, 2);
             Tensor g = t.to(Device.cuda(0)); Tensor out = UpsampleNearest.forward(g, 2)) {
            assertArrayEquals(values(want), values(out));
        }
    }
}
