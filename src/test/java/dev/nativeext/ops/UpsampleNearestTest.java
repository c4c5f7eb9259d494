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

    /**
     * One step of FPN's top-down path, as maskrcnn-benchmark writes it: inner = fpn_inner(C)
     * (1×1 conv with bias), inner += nearest×2(last_inner), out = fpn_layer(inner) (3×3 pad 1 with
     * bias), here with the GN variant's GroupNorm + ReLU after it; against the float64 chain.
     */
    @Test
    void fpnTopDownStepMatchesTheReference() {
        int cin = 8, c = 16, h = 6, w = 10;
        double[] feat = random(71, cin * h * w, -1, 1), top = random(72, c * (h / 2) * (w / 2), -1, 1);
        double[] w1 = random(73, c * cin, -0.4, 0.4), b1 = random(74, c, -0.1, 0.1);
        double[] w3 = random(75, c * c * 9, -0.2, 0.2), b3 = random(76, c, -0.1, 0.1);
        double[] inner = LayerReference.conv2d(feat, 1, cin, h, w, w1, c, 1, b1, 1, 0, 1);
        double[] up = LayerReference.upsample(top, 1, c, h / 2, w / 2, 2, 2);
        for (int i = 0; i < inner.length; i++) inner[i] += up[i];
        double[] want = LayerReference.groupNorm(LayerReference.conv2d(inner, 1, c, h, w, w3, c, 3, b3, 1, 1, 1), 1, c, 4, 1e-5, null, null, true);
        for (boolean f32 : new boolean[] {true, false}) {
            try (Tensor tf = tensor(feat, f32, 1, cin, h, w); Tensor tt = tensor(top, f32, 1, c, h / 2, w / 2);
                 Tensor tw1 = tensor(w1, f32, c, cin, 1, 1); Tensor tb1 = tensor(b1, f32, c); Tensor tw3 = tensor(w3, f32, c, c, 3, 3);
                 Tensor tb3 = tensor(b3, f32, c); Tensor in = NnOps.conv2d(tf, tw1, tb1, Conv2d.Params.of(1, 0, 1, 1), null);
                 Tensor u = NnOps.upsampleNearest(tt, 2)) {
                NnOps.addInPlace(in, u);
                try (Tensor o = NnOps.conv2d(in, tw3, tb3, Conv2d.Params.of(1, 1, 1, 1), null);
                     Tensor g = NnOps.groupNorm(o, 4, 1e-5, null, null, true)) {
                    LayerReference.assertClose(want, values(g), 0, f32 ? 2e-4 : 1e-10, "fpn step f32=" + f32);
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
