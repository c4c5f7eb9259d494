package dev.nativeext.ops;

import dev.nativeext.RequiresCuda;
import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.nativeext.ops.LayerReference.random;
import static dev.nativeext.ops.LayerReference.rounded;
import static dev.nativeext.ops.LayerReference.tensor;
import static dev.nativeext.ops.LayerReference.values;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** FrozenBatchNorm2d (both spellings), its folding, and the channel-affine epilogue it runs on. */
class FrozenBatchNorm2dTest {

    record Params(double[] w, double[] b, double[] m, double[] v) {
        static Params random(long seed, int c, boolean f32) {
            return new Params(rounded(LayerReference.random(seed, c, 0.5, 2), f32), rounded(LayerReference.random(seed + 1, c, -1, 1), f32),
                    rounded(LayerReference.random(seed + 2, c, -3, 3), f32), rounded(LayerReference.random(seed + 3, c, 1e-4, 4), f32));
        }

        FrozenBatchNorm2d bn(boolean f32, boolean maskrcnn, List<Tensor> keep) {
            Tensor[] t = {tensor(w, f32, w.length), tensor(b, f32, w.length), tensor(m, f32, w.length), tensor(v, f32, w.length)};
            keep.addAll(List.of(t));
            return maskrcnn ? FrozenBatchNorm2d.maskrcnnBenchmark(t[0], t[1], t[2], t[3]) : FrozenBatchNorm2d.torchvision(t[0], t[1], t[2], t[3]);
        }
    }

    static void closeAll(List<Tensor> ts) {
        for (Tensor t : ts) t.close();
    }

    @Test
    void bothSpellingsMatchTheReference() {
        int[][] shapes = {{2, 5, 3, 7}, {1, 1, 1, 1}, {1, 64, 13, 17}, {3, 3, 1, 33}};
        long seed = 1;
        for (int[] s : shapes) {
            for (boolean f32 : new boolean[] {true, false}) {
                for (boolean maskrcnn : new boolean[] {true, false}) {
                    Params p = Params.random(seed += 10, s[1], f32);
                    double[] x = rounded(random(seed, s[0] * s[1] * s[2] * s[3], -4, 4), f32);
                    double[] want = LayerReference.frozenBn(x, s[0], s[1], p.w, p.b, p.m, p.v, maskrcnn ? 0 : 1e-5);
                    List<Tensor> keep = new ArrayList<>();
                    try (Tensor tx = tensor(x, f32, s[0], s[1], s[2], s[3]); Tensor out = p.bn(f32, maskrcnn, keep).forward(tx)) {
                        LayerReference.assertMatches(want, values(out), f32, "bn " + java.util.Arrays.toString(s) + " maskrcnn=" + maskrcnn);
                    } finally {
                        closeAll(keep);
                    }
                }
            }
        }
    }

    @Test
    void theTwoSpellingsDifferByTheEpsilon() {
        // var 1e-4: eps 1e-5 changes the scale by 5%, so a swapped spelling cannot pass.
        double[] one = {1}, zero = {0}, v = {1e-4};
        List<Tensor> keep = new ArrayList<>();
        try (Tensor x = tensor(new double[] {1}, false, 1, 1, 1, 1)) {
            Params p = new Params(one, zero, zero, v);
            try (Tensor a = p.bn(false, true, keep).forward(x); Tensor b = p.bn(false, false, keep).forward(x)) {
                assertEquals(100.0, values(a)[0], 1e-12);
                assertEquals(1 / Math.sqrt(1.1e-4), values(b)[0], 1e-12);
            }
        } finally {
            closeAll(keep);
        }
    }

    @Test
    void foldGivesScaleAndShift() {
        List<Tensor> keep = new ArrayList<>();
        try {
            Params p = new Params(new double[] {2, 3}, new double[] {1, -1}, new double[] {0.5, 4}, new double[] {4, 0.25});
            FrozenBatchNorm2d bn = p.bn(false, true, keep);
            try (FrozenBatchNorm2d.Folded f = bn.fold()) {
                LayerReference.assertClose(new double[] {1, 6}, values(f.scale()), 0, 0, "scale");
                LayerReference.assertClose(new double[] {0.5, -25}, values(f.shift()), 0, 0, "shift");
                assertEquals(DType.FLOAT64, f.scale().dtype());
            }
        } finally {
            closeAll(keep);
        }
    }

    /**
     * Folding into the affine epilogue = the unfolded layer within float32 rounding, on a given
     * convolution output (the folding alone; with conv2d below).
     */
    @Test
    void foldedEqualsUnfoldedWithinFloat32Rounding() {
        int n = 2, c = 16, hw = 45;
        Params p = Params.random(5, c, true);
        double[] conv = rounded(random(6, n * c * hw, -10, 10), true);
        double[] want = LayerReference.frozenBn(conv, n, c, p.w, p.b, p.m, p.v, 0);
        List<Tensor> keep = new ArrayList<>();
        try (Tensor x = tensor(conv, true, n, c, 5, 9); FrozenBatchNorm2d.Folded f = p.bn(true, true, keep).fold();
             Tensor out = ChannelAffine.apply(x, f.scale(), f.shift(), null, false)) {
            LayerReference.assertF32(want, values(out), "folded");
        } finally {
            closeAll(keep);
        }
    }

    /**
     * conv2d with the folded batch norm in its epilogue = conv2d then the batch norm, within float32
     * rounding, for both spellings, a 3×3 (Winograd on the CPU) and a strided 1×1 (GEMM), with a
     * residual and ReLU; both against the float64 reference.
     */
    @Test
    void foldedIntoConv2dEqualsConvThenBatchNorm() {
        int n = 2, cin = 16, h = 13, w = 11, cout = 24;
        long seed = 60;
        for (int k : new int[] {3, 1}) {
            for (boolean maskrcnn : new boolean[] {true, false}) {
                int stride = k == 1 ? 2 : 1, pad = k / 2;
                int ho = (h + 2 * pad - k) / stride + 1, wo = (w + 2 * pad - k) / stride + 1;
                double[] x = rounded(random(seed++, n * cin * h * w, -1, 1), true);
                double[] wt = rounded(random(seed++, cout * cin * k * k, -0.3, 0.3), true);
                double[] res = rounded(random(seed++, n * cout * ho * wo, -1, 1), true);
                Params p = Params.random(seed++, cout, true);
                double[] conv = LayerReference.conv2d(x, n, cin, h, w, wt, cout, k, null, stride, pad, 1);
                double[] bn = LayerReference.frozenBn(conv, n, cout, p.w, p.b, p.m, p.v, maskrcnn ? 0 : 1e-5);
                double[] want = LayerReference.channelAffine(bn, n, cout, null, null, res, true);
                List<Tensor> keep = new ArrayList<>();
                Conv2d.Params cp = Conv2d.Params.of(stride, pad, 1, 1);
                try (Tensor tx = tensor(x, true, n, cin, h, w); Tensor tw = tensor(wt, true, cout, cin, k, k);
                     Tensor tr = tensor(res, true, n, cout, ho, wo); FrozenBatchNorm2d.Folded f = p.bn(true, maskrcnn, keep).fold();
                     Tensor folded = Conv2d.forward(tx, tw, null, cp, Conv2d.Epilogue.none().scaleShift(f.scale(), f.shift()).residual(tr).relu());
                     Tensor plain = Conv2d.forward(tx, tw, null, cp, null);
                     Tensor unfolded = p.bn(true, maskrcnn, keep).forward(plain, tr, true)) {
                    double tol = 2e-5 * Math.max(1, LayerReference.maxAbs(want));
                    String what = "k=" + k + " maskrcnn=" + maskrcnn;
                    LayerReference.assertClose(want, values(folded), 1e-5, tol, "folded " + what);
                    LayerReference.assertClose(want, values(unfolded), 1e-5, tol, "unfolded " + what);
                    LayerReference.assertClose(values(unfolded), values(folded), 1e-5, tol, "folded vs unfolded " + what);
                } finally {
                    closeAll(keep);
                }
            }
        }
    }

    @Test
    void everyEpilogueCombination() {
        int n = 2, c = 3, h = 5, w = 19;
        long seed = 40;
        for (boolean f32 : new boolean[] {true, false}) {
            for (int mask = 0; mask < 16; mask++) {
                boolean hasScale = (mask & 1) != 0, hasShift = (mask & 2) != 0, hasRes = (mask & 4) != 0, relu = (mask & 8) != 0;
                double[] x = rounded(random(seed++, n * c * h * w, -3, 3), f32);
                double[] sc = hasScale ? rounded(random(seed++, c, -2, 2), f32) : null, sh = hasShift ? rounded(random(seed++, c, -1, 1), f32) : null;
                double[] res = hasRes ? rounded(random(seed++, x.length, -2, 2), f32) : null;
                double[] want = LayerReference.channelAffine(x, n, c, sc, sh, res, relu);
                try (Tensor tx = tensor(x, f32, n, c, h, w); Tensor ts = sc == null ? null : tensor(sc, f32, c);
                     Tensor tsh = sh == null ? null : tensor(sh, f32, c); Tensor tr = res == null ? null : tensor(res, f32, n, c, h, w);
                     Tensor out = ChannelAffine.apply(tx, ts, tsh, tr, relu)) {
                    LayerReference.assertMatches(want, values(out), f32, "mask " + mask + " f32=" + f32);
                    // in place, over x and over the residual
                    ChannelAffine.into(tx, ts, tsh, tr, relu, tx);
                    LayerReference.assertSameBits(values(out), values(tx), "in place over x, mask " + mask);
                    if (tr != null) {
                        try (Tensor tx2 = tensor(x, f32, n, c, h, w)) {
                            ChannelAffine.into(tx2, ts, tsh, tr, relu, tr);
                            LayerReference.assertSameBits(values(out), values(tr), "in place over residual, mask " + mask);
                        }
                    }
                }
            }
        }
    }

    @Test
    void channelAffineBitIdenticalForEveryIsaAndThreadCount() {
        int n = 2, c = 7, h = 33, w = 71;
        double[] x = random(1, n * c * h * w, -3, 3), s = random(2, c, -2, 2), b = random(3, c, -1, 1), r = random(4, x.length, -1, 1);
        for (boolean f32 : new boolean[] {true, false}) {
            List<double[]> got = new ArrayList<>();
            LayerReference.forEachIsaAndThreads((isa, t) -> {
                try (Tensor tx = tensor(x, f32, n, c, h, w); Tensor ts = tensor(s, f32, c); Tensor tb = tensor(b, f32, c);
                     Tensor tr = tensor(r, f32, n, c, h, w); Tensor out = ChannelAffine.apply(tx, ts, tb, tr, true)) {
                    got.add(values(out));
                }
            });
            for (double[] g : got) LayerReference.assertSameBits(got.get(0), g, "f32=" + f32);
        }
    }

    @Test
    void badInputNamesTheArgument() {
        try (Tensor w = Tensor.zeros(DType.FLOAT32, Device.CPU, 4); Tensor w3 = Tensor.zeros(DType.FLOAT32, Device.CPU, 3);
             Tensor wd = Tensor.zeros(DType.FLOAT64, Device.CPU, 4); Tensor w2 = Tensor.zeros(DType.FLOAT32, Device.CPU, 2, 2);
             Tensor x = Tensor.zeros(DType.FLOAT32, Device.CPU, 1, 4, 2, 2); Tensor x5 = Tensor.zeros(DType.FLOAT32, Device.CPU, 1, 5, 2, 2);
             Tensor xd = Tensor.zeros(DType.FLOAT64, Device.CPU, 1, 4, 2, 2); Tensor r = Tensor.zeros(DType.FLOAT32, Device.CPU, 1, 4, 2, 3)) {
            Rejects.withMessage("runningVar must have shape [4], got [3]", () -> FrozenBatchNorm2d.maskrcnnBenchmark(w, w, w, w3));
            Rejects.withMessage("bias must have the input's dtype FLOAT32, got FLOAT64", () -> FrozenBatchNorm2d.torchvision(w, wd, w, w));
            Rejects.withMessage("weight must be [C]", () -> FrozenBatchNorm2d.torchvision(w2, w, w, w));
            Rejects.withMessage("runningMean must not be null", () -> FrozenBatchNorm2d.torchvision(w, w, null, w));
            Rejects.withMessage("eps must be finite and >= 0", () -> FrozenBatchNorm2d.withEps(w, w, w, w, -1e-5));
            FrozenBatchNorm2d bn = FrozenBatchNorm2d.maskrcnnBenchmark(w, w, w, w);
            Rejects.withMessage("x must be [N, C = 4, H, W], got [1, 5, 2, 2]", () -> bn.forward(x5));
            Rejects.withMessage("x must have the parameters' dtype FLOAT32, got FLOAT64", () -> bn.forward(xd));
            Rejects.withMessage("residual must have shape [1, 4, 2, 2]", () -> bn.forward(x, r, true));
            Rejects.withMessage("out must have shape", () -> ChannelAffine.into(x, null, null, null, true, r));
        }
    }

    @Test
    @RequiresCuda
    void cudaMatchesTheCpu() {
        int n = 2, c = 8, h = 9, w = 13;
        double[] x = random(1, n * c * h * w, -3, 3), r = random(4, x.length, -1, 1);
        Params p = Params.random(9, c, true);
        List<Tensor> keep = new ArrayList<>();
        try (Tensor tx = tensor(x, true, n, c, h, w); Tensor tr = tensor(r, true, n, c, h, w);
             Tensor want = p.bn(true, true, keep).forward(tx, tr, true);
             Tensor gx = tx.to(Device.cuda(0)); Tensor gr = tr.to(Device.cuda(0))) {
            List<Tensor> dev = new ArrayList<>();
            for (Tensor t : keep) dev.add(t.to(Device.cuda(0)));
            try (Tensor got = FrozenBatchNorm2d.maskrcnnBenchmark(dev.get(0), dev.get(1), dev.get(2), dev.get(3)).forward(gx, gr, true)) {
                LayerReference.assertClose(values(want), values(got), 1e-6, 1e-6, "cuda");
            } finally {
                closeAll(dev);
            }
        } finally {
            closeAll(keep);
        }
        assertTrue(true);
    }
}
