package dev.nativeext.ops;

import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static dev.nativeext.ops.LayerReference.random;
import static dev.nativeext.ops.LayerReference.rounded;
import static dev.nativeext.ops.LayerReference.tensor;
import static dev.nativeext.ops.LayerReference.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class DfConv2dLayerTest {

    /** n, cin, h, w, cout, k, stride, dilation, groups, dg, modulated */
    static final int[][] CASES = {
        {1, 4, 7, 9, 6, 3, 1, 1, 1, 1, 1}, {2, 4, 8, 7, 4, 3, 1, 1, 1, 2, 1}, {1, 6, 9, 10, 4, 3, 2, 1, 2, 3, 0},
        {1, 4, 9, 9, 5, 3, 1, 2, 1, 1, 0}, {1, 2, 5, 6, 3, 1, 1, 1, 1, 2, 1}, {1, 4, 1, 1, 2, 3, 1, 1, 1, 1, 1},
    };

    /** The layer from the math: offset conv, split by dg, sigmoid mask, deformable conv, epilogue. */
    static double[] reference(int[] c, double[] x, double[] ow, double[] ob, double[] wt, double[] sc, double[] sh, double[] res, boolean relu) {
        int n = c[0], cin = c[1], h = c[2], w = c[3], cout = c[4], k = c[5], s = c[6], d = c[7], dg = c[9];
        int p = d * (k - 1) / 2, m = c[10] == 1 ? 3 : 2, kk = k * k;
        int ho = (h + 2 * p - d * (k - 1) - 1) / s + 1, wo = (w + 2 * p - d * (k - 1) - 1) / s + 1;
        double[] om = LayerReference.conv2d(x, n, cin, h, w, ow, m * kk * dg, k, ob, s, p, d);
        int plane = ho * wo, split = 2 * kk * dg;
        double[] off = new double[n * split * plane], mask = c[10] == 1 ? new double[n * kk * dg * plane] : null;
        for (int b = 0; b < n; b++) {
            System.arraycopy(om, b * m * kk * dg * plane, off, b * split * plane, split * plane);
            if (mask != null)
                for (int i = 0; i < kk * dg * plane; i++) mask[b * kk * dg * plane + i] = LayerReference.sigmoid(om[(b * m * kk * dg + split) * plane + i]);
        }
        double[] y = DeformConv2dReference.forward(x, n, cin, h, w, off, mask, wt, cout, k, k, null, new int[] {s, s}, new int[] {p, p}, new int[] {d, d});
        return LayerReference.channelAffine(y, n, cout, sc, sh, res, relu);
    }

    @Test
    void matchesTheReference() {
        long seed = 1;
        for (int[] c : CASES) {
            for (boolean f32 : new boolean[] {true, false}) {
                for (int epi = 0; epi < 2; epi++) {
                    int n = c[0], cin = c[1], k = c[5], cout = c[4], oc = (c[10] == 1 ? 3 : 2) * k * k * c[9];
                    double[] x = rounded(random(seed++, n * cin * c[2] * c[3], -1, 1), f32);
                    // offsets of about ±2 pixels: fractional bilinear taps, some outside the image
                    double[] ow = rounded(random(seed++, oc * cin * k * k, -0.5, 0.5), f32), ob = rounded(random(seed++, oc, -1, 1), f32);
                    double[] wt = rounded(random(seed++, cout * (cin / c[8]) * k * k, -1, 1), f32);
                    try (DfConv2dLayer layer = layer(c, ow, ob, wt, f32); Tensor tx = tensor(x, f32, n, cin, c[2], c[3])) {
                        long ho = layer.outputSize(c[2]), wo = layer.outputSize(c[3]);
                        double[] sc = epi == 0 ? null : rounded(random(seed++, cout, 0.5, 2), f32);
                        double[] sh = epi == 0 ? null : rounded(random(seed++, cout, -1, 1), f32);
                        double[] res = epi == 0 ? null : rounded(random(seed++, (int) (n * cout * ho * wo), -1, 1), f32);
                        double[] want = reference(c, x, ow, ob, wt, sc, sh, res, epi == 1);
                        try (Tensor ts = sc == null ? null : tensor(sc, f32, cout); Tensor tsh = sh == null ? null : tensor(sh, f32, cout);
                             Tensor tr = res == null ? null : tensor(res, f32, n, cout, ho, wo);
                             Tensor out = NnOps.dfConv2d(layer, tx, ts, tsh, tr, epi == 1)) {
                            assertArrayEquals(new long[] {n, cout, ho, wo}, out.shape());
                            double scale = Math.max(1, LayerReference.maxAbs(want));
                            LayerReference.assertClose(want, values(out), 0, (f32 ? 2e-5 : 1e-11) * scale, Arrays.toString(c) + " f32=" + f32 + " epi=" + epi);
                        }
                    }
                }
            }
        }
    }

    static DfConv2dLayer layer(int[] c, double[] ow, double[] ob, double[] wt, boolean f32) {
        int cin = c[1], k = c[5], oc = ob.length;
        Tensor tow = tensor(ow, f32, oc, cin, k, k), tob = tensor(ob, f32, oc), twt = tensor(wt, f32, c[4], cin / c[8], k, k);
        // The layer keeps the caller's tensors (v1) or copies of their rows (modulated); these stay open for the test's life.
        return new DfConv2dLayer(tow, tob, twt, c[6], c[7], c[9], c[10] == 1);
    }

    @Test
    @dev.nativeext.RequiresCuda
    void cudaMatchesTheCpu() {
        int[] c = {2, 4, 8, 7, 4, 3, 1, 1, 1, 2, 1};
        double[] x = random(1, 2 * 4 * 56, -1, 1), ow = random(2, 54 * 4 * 9, -0.5, 0.5), ob = random(3, 54, -1, 1);
        double[] wt = random(4, 4 * 4 * 9, -1, 1);
        Device gpu = Device.cuda(0);
        try (DfConv2dLayer cpu = layer(c, ow, ob, wt, true); Tensor tx = tensor(x, true, 2, 4, 8, 7); Tensor want = cpu.forward(tx, null, null, null, true);
             Tensor gow = tensor(ow, true, 54, 4, 3, 3).to(gpu); Tensor gob = tensor(ob, true, 54).to(gpu);
             Tensor gwt = tensor(wt, true, 4, 4, 3, 3).to(gpu); Tensor gx = tx.to(gpu);
             DfConv2dLayer g = new DfConv2dLayer(gow, gob, gwt, 1, 1, 2, true); Tensor got = g.forward(gx, null, null, null, true)) {
            LayerReference.assertClose(values(want), values(got), 1e-4, 1e-4 * Math.max(1, LayerReference.maxAbs(values(want))), "cuda");
        }
    }

    @Test
    void maskrcnnBenchmarksPaddingAndEmptyBatch() {
        int[] c = {0, 4, 7, 9, 6, 3, 1, 2, 1, 1, 1};
        try (DfConv2dLayer layer = layer(c, new double[27 * 4 * 9], new double[27], new double[6 * 4 * 9], true);
             Tensor x = Tensor.zeros(DType.FLOAT32, Device.CPU, 0, 4, 7, 9); Tensor out = layer.forward(x)) {
            assertEquals(2, layer.padding());   // dilation * (k - 1) / 2
            assertArrayEquals(new long[] {0, 6, 7, 9}, out.shape());
        }
    }

    @Test
    void badInputNamesTheArgument() {
        try (Tensor ow18 = Tensor.zeros(DType.FLOAT32, Device.CPU, 18, 4, 3, 3); Tensor ow27 = Tensor.zeros(DType.FLOAT32, Device.CPU, 27, 4, 3, 3);
             Tensor w = Tensor.zeros(DType.FLOAT32, Device.CPU, 8, 4, 3, 3); Tensor w3 = Tensor.zeros(DType.FLOAT32, Device.CPU, 8, 3, 3, 3);
             Tensor wd = Tensor.zeros(DType.FLOAT64, Device.CPU, 8, 4, 3, 3); Tensor ob = Tensor.zeros(DType.FLOAT32, Device.CPU, 20);
             Tensor x5 = Tensor.zeros(DType.FLOAT32, Device.CPU, 1, 5, 6, 6); Tensor xd = Tensor.zeros(DType.FLOAT64, Device.CPU, 1, 4, 6, 6);
             Tensor x = Tensor.zeros(DType.FLOAT32, Device.CPU, 1, 4, 6, 6); Tensor s7 = Tensor.zeros(DType.FLOAT32, Device.CPU, 7)) {
            Rejects.withMessage("offsetWeight must be [deformableGroups*k*k*3, C_in, k, k] = [27, 4, 3, 3], got [18, 4, 3, 3]",
                    () -> new DfConv2dLayer(ow18, null, w, 1, 1, 1, true));
            Rejects.withMessage("offsetWeight must be [deformableGroups*k*k*2, C_in, k, k] = [36, 4, 3, 3]",
                    () -> new DfConv2dLayer(ow18, null, w, 1, 1, 2, false));
            Rejects.withMessage("offsetBias must have shape [18]", () -> new DfConv2dLayer(ow18, ob, w, 1, 1, 1, false));
            Rejects.withMessage("weight must have the input's dtype", () -> new DfConv2dLayer(ow18, null, wd, 1, 1, 1, false));
            Rejects.withMessage("weight.shape[1] must divide C_in", () -> new DfConv2dLayer(ow18, null, w3, 1, 1, 1, false));
            Rejects.withMessage("stride must be >= 1", () -> new DfConv2dLayer(ow18, null, w, 0, 1, 1, false));
            Rejects.withMessage("padding must be >= 0", () -> new DfConv2dLayer(ow18, null, w, 1, -2, 1, 1, false));
            Rejects.withMessage("deformableGroups must be >= 1", () -> new DfConv2dLayer(ow18, null, w, 1, 1, 0, false));
            try (DfConv2dLayer layer = new DfConv2dLayer(ow27, null, w, 1, 1, 1, true)) {
                Rejects.withMessage("x must be [N, C_in = 4, H >= 1, W >= 1], got [1, 5, 6, 6]", () -> layer.forward(x5));
                Rejects.withMessage("x must have the weights' dtype FLOAT32, got FLOAT64", () -> layer.forward(xd));
                Rejects.withMessage("scale must have shape [8]", () -> layer.forward(x, s7, null, null, false));
            }
        }
    }
}
