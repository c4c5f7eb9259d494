package dev.nativeext.ops;

import dev.nativeext.RequiresCuda;
import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.nativeext.ops.LayerReference.assertMatches;
import static dev.nativeext.ops.LayerReference.assertSameBits;
import static dev.nativeext.ops.LayerReference.random;
import static dev.nativeext.ops.LayerReference.rounded;
import static dev.nativeext.ops.LayerReference.tensor;
import static dev.nativeext.ops.LayerReference.values;
import static org.junit.jupiter.api.Assertions.assertEquals;

class GroupNormTest {

    /** n, c, h, w, groups */
    static final int[][] SHAPES = {
        {2, 8, 5, 7, 4}, {1, 6, 1, 1, 3}, {1, 4, 1, 1, 4}, {3, 5, 3, 17, 5}, {1, 32, 9, 13, 32}, {1, 12, 33, 47, 1},
        {2, 64, 20, 21, 32}, {1, 3, 1, 37, 1},
    };

    static double[] run(double[] x, int[] s, double eps, double[] w, double[] b, boolean relu, boolean f32) {
        try (Tensor tx = tensor(x, f32, s[0], s[1], s[2], s[3]); Tensor tw = w == null ? null : tensor(w, f32, s[1]);
             Tensor tb = b == null ? null : tensor(b, f32, s[1]); Tensor out = GroupNorm.forward(tx, s[4], eps, tw, tb, relu)) {
            return values(out);
        }
    }

    @Test
    void matchesTheFloat64ReferenceOverShapesDtypesAndOptions() {
        long seed = 1;
        for (int[] s : SHAPES) {
            for (boolean f32 : new boolean[] {true, false}) {
                for (int variant = 0; variant < 3; variant++) {
                    int count = s[0] * s[1] * s[2] * s[3];
                    double[] x = rounded(random(seed++, count, -2, 3), f32);
                    double[] w = variant == 2 ? null : rounded(random(seed++, s[1], 0.5, 2), f32);
                    double[] b = variant == 2 ? null : rounded(random(seed++, s[1], -1, 1), f32);
                    boolean relu = variant == 1;
                    double eps = variant == 0 ? 1e-5 : 0.1;
                    double[] want = LayerReference.groupNorm(x, s[0], s[1], s[4], eps, w, b, relu);
                    assertMatches(want, run(x, s, eps, w, b, relu, f32), f32, "GN " + java.util.Arrays.toString(s) + " f32=" + f32 + " v" + variant);
                }
            }
        }
    }

    /**
     * (x − mean)·a + bias with x = mean exactly. PyTorch 1.13's x·a + (bias − mean·a) gives
     * 0.12493896484375 for the bias 0.125 of this case (a = 1.5/sqrt(1e-5)) in float32: within its
     * rounding, but not the bias.
     */
    @Test
    void aConstantPlaneGivesTheBiasExactly() {
        for (boolean f32 : new boolean[] {true, false}) {
            int[] s = {2, 4, 5, 6, 2};
            double[] x = new double[2 * 4 * 30];
            for (int i = 0; i < x.length; i++) x[i] = 2.5 + (i / 60);   // each (b, group) constant
            double[] w = {1.5, -2, 3, 0.25}, b = {0.125, -7.5, 3.25, 100};
            double[] got = run(x, s, 1e-5, w, b, false, f32);
            for (int i = 0; i < x.length; i++) assertEquals(b[(i / 30) % 4], got[i], 0.0, "element " + i);
        }
    }

    @Test
    void aLargeMeanDoesNotCancelTheVariance() {
        // mean 1000, std ~0.3: sum-of-squares without a shift would lose about 6 digits.
        int[] s = {1, 4, 16, 16, 2};
        double[] x = random(7, 4 * 256, 999.5, 1000.5);
        for (boolean f32 : new boolean[] {true, false}) {
            double[] xr = rounded(x, f32);
            double[] want = LayerReference.groupNorm(xr, 1, 4, 2, 1e-5, null, null, false);
            double[] got = run(xr, s, 1e-5, null, null, false, f32);
            // float32: (x - m) is exact, m itself is within half an ulp of 1000 (3e-5), times rstd ~3.5.
            LayerReference.assertClose(want, got, 0, f32 ? 2e-4 : 1e-9, "large mean f32=" + f32);
        }
    }

    @Test
    void bitIdenticalForEveryIsaAndThreadCount() {
        int[] s = {2, 64, 37, 41, 32};  // 2 * 37*41*2 elements per group: several 32K chunks across groups
        double[] x = random(11, s[0] * s[1] * s[2] * s[3], -3, 3), w = random(12, 64, 0.5, 1.5), b = random(13, 64, -1, 1);
        for (boolean f32 : new boolean[] {true, false}) {
            List<double[]> results = new ArrayList<>();
            LayerReference.forEachIsaAndThreads((isa, t) -> results.add(run(x, s, 1e-5, w, b, true, f32)));
            for (double[] r : results) assertSameBits(results.get(0), r, "f32=" + f32);
        }
    }

    @Test
    void oneGroupOverManyChunksUsesEveryThreadAndStaysExact() {
        int[] s = {1, 8, 100, 100, 1};  // 80000 elements: 3 chunks of one group
        double[] x = random(21, 80000, -1, 1);
        double[] want = LayerReference.groupNorm(x, 1, 8, 1, 1e-5, null, null, false);
        assertMatches(want, run(x, s, 1e-5, null, null, false, false), false, "one group");
    }

    @Test
    void largeOutputsTakeTheStreamingStoresAndStayExact() {
        int[] s = {1, 64, 181, 180, 32};  // 8.3 MB of float32: over the non-temporal store threshold; odd plane (hw % 16 = 4)
        double[] x = rounded(random(41, 64 * 181 * 180, -2, 2), true), w = rounded(random(42, 64, 0.5, 1.5), true);
        double[] b = rounded(random(43, 64, -1, 1), true);
        double[] want = LayerReference.groupNorm(x, 1, 64, 32, 1e-5, w, b, true);
        assertMatches(want, run(x, s, 1e-5, w, b, true, true), true, "streamed");
        try (Tensor tx = tensor(x, true, 1, 64, 181, 180); Tensor tw = tensor(w, true, 64); Tensor tb = tensor(b, true, 64);
             Tensor out = ChannelAffine.apply(tx, tw, tb, tx, true)) {
            assertMatches(LayerReference.channelAffine(x, 1, 64, w, b, x, true), values(out), true, "channel affine streamed");
        }
    }

    @Test
    void maskrcnnBenchmarkGroupCountRule() {
        assertEquals(32, GroupNorm.groupsFor(256, -1, 32));
        assertEquals(16, GroupNorm.groupsFor(256, 16, -1));
        assertEquals(1, GroupNorm.groupsFor(7, 7, -1));
        Rejects.withMessage("divisible by numGroups", () -> GroupNorm.groupsFor(100, -1, 32));
        Rejects.withMessage("divisible by dimPerGroup", () -> GroupNorm.groupsFor(100, 16, -1));
        Rejects.withMessage("only one of dimPerGroup", () -> GroupNorm.groupsFor(256, 16, 32));
    }

    @Test
    void badInputNamesTheArgument() {
        try (Tensor x = Tensor.zeros(DType.FLOAT32, Device.CPU, 1, 6, 2, 2); Tensor w4 = Tensor.zeros(DType.FLOAT32, Device.CPU, 4);
             Tensor w6d = Tensor.zeros(DType.FLOAT64, Device.CPU, 6); Tensor xi = Tensor.zeros(DType.INT32, Device.CPU, 1, 6, 2, 2);
             Tensor x0 = Tensor.zeros(DType.FLOAT32, Device.CPU, 1, 6, 0, 2); Tensor x1 = Tensor.zeros(DType.FLOAT32, Device.CPU, 6)) {
            Rejects.withMessage("groups must be >= 1 and divide C = 6, got 4", () -> GroupNorm.forward(x, 4, 1e-5, null, null, false));
            Rejects.withMessage("groups", () -> GroupNorm.forward(x, 0, 1e-5, null, null, false));
            Rejects.withMessage("weight must have shape [6]", () -> GroupNorm.forward(x, 3, 1e-5, w4, null, false));
            Rejects.withMessage("bias must have the input's dtype", () -> GroupNorm.forward(x, 3, 1e-5, null, w6d, false));
            Rejects.withMessage("x must be float32 or float64", () -> GroupNorm.forward(xi, 3, 1e-5, null, null, false));
            Rejects.withMessage("spatial sizes >= 1", () -> GroupNorm.forward(x0, 3, 1e-5, null, null, false));
            Rejects.withMessage("x must be [N, C, ...]", () -> GroupNorm.forward(x1, 3, 1e-5, null, null, false));
            Rejects.withMessage("eps", () -> GroupNorm.forward(x, 3, -1, null, null, false));
            Rejects.withMessage("x must not be null", () -> GroupNorm.forward(null, 3, 1e-5, null, null, false));
        }
    }

    @Test
    @RequiresCuda
    void cudaMatchesTheCpu() {
        int[] s = {2, 64, 20, 21, 32};
        double[] x = random(31, 2 * 64 * 420, -2, 2), w = random(32, 64, 0.5, 1.5), b = random(33, 64, -1, 1);
        for (boolean f32 : new boolean[] {true, false}) {
            double[] want = run(x, s, 1e-5, w, b, true, f32);
            try (Tensor tx = tensor(x, f32, 2, 64, 20, 21).to(Device.cuda(0)); Tensor tw = tensor(w, f32, 64).to(Device.cuda(0));
                 Tensor tb = tensor(b, f32, 64).to(Device.cuda(0)); Tensor out = GroupNorm.forward(tx, 32, 1e-5, tw, tb, true)) {
                assertMatches(want, values(out), true, "cuda f32=" + f32);
            }
        }
    }
}
