package dev.nativeext.ops;

import dev.nativeext.RequiresCuda;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SigmoidFocalLossTest {

    @AfterEach
    void restore() {
        CpuOptions.setThreads(Runtime.getRuntime().availableProcessors());
    }

    /** Inputs of one case; dense == null means labels. */
    record Case(double[] x, long[] labels, double[] dense, int n, int c, double gamma, double alpha, double[] g) {
        Tensor logits(boolean f32) {
            return NmsTest.tensor(x, f32, n, c);
        }

        Tensor targets(boolean f32) {
            return labels != null ? Tensor.of(labels.clone(), n) : NmsTest.tensor(dense, f32, n, c);
        }

        double[] fwd(boolean f32, Device dev) {
            try (Tensor l = logits(f32).to(dev); Tensor t = targets(f32).to(dev);
                 Tensor out = SigmoidFocalLoss.forward(l, t, gamma, alpha); Tensor h = out.to(Device.CPU)) {
                return f32 ? toDouble(h.toFloatArray()) : h.toDoubleArray();
            }
        }

        double[] bwd(boolean f32, Device dev) {
            try (Tensor l = logits(f32).to(dev); Tensor t = targets(f32).to(dev); Tensor gl = NmsTest.tensor(g, f32, n, c).to(dev);
                 Tensor out = SigmoidFocalLoss.backward(l, t, gamma, alpha, gl); Tensor h = out.to(Device.CPU)) {
                return f32 ? toDouble(h.toFloatArray()) : h.toDoubleArray();
            }
        }
    }

    static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    static Case randomCase(long seed, int n, int c, boolean labels) {
        Random r = new Random(seed);
        double[] gammas = {0, 0.5, 1, 2, 3.7};
        double[] alphas = {0.25, 0.5, -1, 0.9};
        double[] x = new double[n * c];
        double[] g = new double[n * c];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * 4 + 0.137);
            g[i] = (float) (r.nextDouble() * 2 - 0.5);
        }
        long[] lab = null;
        double[] dense = null;
        if (labels) {
            lab = new long[n];
            for (int i = 0; i < n; i++) lab[i] = r.nextInt(c + 2) - 1;
        } else {
            // Half the rows all 0/1 (the kernel's vectorised hard-target rows), half with soft targets.
            dense = new double[n * c];
            for (int i = 0; i < n; i++) {
                boolean hardRow = r.nextBoolean();
                for (int j = 0; j < c; j++) dense[i * c + j] = !hardRow && r.nextInt(3) == 0 ? (float) r.nextDouble() : r.nextInt(2);
            }
        }
        return new Case(x, lab, dense, n, c, gammas[r.nextInt(gammas.length)], alphas[r.nextInt(alphas.length)], g);
    }

    static void assertClose(double[] want, double[] got, double rtol, double atol, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            double tol = atol + rtol * Math.abs(want[i]);
            int k = i;
            assertTrue(Math.abs(want[i] - got[i]) <= tol, () -> what + " [" + k + "]: want " + want[k] + " got " + got[k]);
        }
    }

    // ---- docs/ops.md §9 T11 --------------------------------------------------------------------------

    @Test
    void t11HandValues() {
        // rows: x=0 positive, x=0 negative, x=2 negative, x=-3 positive (C = 1; label 1 positive, 0 background)
        Case c = new Case(new double[]{0, 0, 2, -3}, new long[]{1, 0, 0, 1}, null, 4, 1, 2, 0.25, new double[]{1, 1, 1, 1});
        double[] loss = {0.0433217, 0.1299651, 1.2375586, 0.6915701};
        double[] grad = {-0.0745717, 0.2237151, 0.8075353, -0.2816875};
        for (boolean f32 : new boolean[]{false, true}) {
            assertClose(loss, c.fwd(f32, Device.CPU), 1e-6, 1e-7, "loss f32=" + f32);
            assertClose(grad, c.bwd(f32, Device.CPU), 1e-6, 1e-7, "grad f32=" + f32);
        }
    }

    @Test
    void largeLogitsStayFinite() {
        // A negative at x = 20 costs about 0.75·20 = 15 (mmcv's clamp gives 65.5); at x = -100 a positive ~ 0.25·100.
        Case c = new Case(new double[]{20, -100, 100, -20, 60}, new long[]{0, 1, 0, 1, 1}, null, 5, 1, 2, 0.25, new double[]{1, 1, 1, 1, 1});
        for (boolean f32 : new boolean[]{false, true}) {
            double[] l = c.fwd(f32, Device.CPU);
            double[] g = c.bwd(f32, Device.CPU);
            assertEquals(15.0, l[0], 1e-5);
            assertEquals(25.0, l[1], 1e-4);
            assertEquals(75.0, l[2], 1e-4);
            assertEquals(0.0, l[4], 1e-20);
            for (double v : l) assertTrue(Double.isFinite(v));
            for (double v : g) assertTrue(Double.isFinite(v));
            assertEquals(0.75, g[0], 1e-5);
            assertEquals(-0.25, g[1], 1e-5);
        }
    }

    // ---- randomised, against the reference ----------------------------------------------------

    @Test
    void randomCasesMatchReference() {
        int[][] shapes = {{1, 1}, {7, 5}, {64, 80}, {3, 1}, {33, 9}};
        long seed = 0;
        for (int[] s : shapes) {
            for (boolean labels : new boolean[]{true, false}) {
                for (int rep = 0; rep < 4; rep++, seed++) {
                    Case c = randomCase(seed, s[0], s[1], labels);
                    double[] lw = SigmoidFocalLossReference.forward(c.x(), c.labels(), c.dense(), c.n(), c.c(), c.gamma(), c.alpha());
                    double[] gw = SigmoidFocalLossReference.backward(c.x(), c.labels(), c.dense(), c.n(), c.c(), c.gamma(), c.alpha(), c.g());
                    String what = "seed " + seed + " gamma " + c.gamma() + " alpha " + c.alpha() + " labels " + labels;
                    assertClose(lw, c.fwd(false, Device.CPU), 1e-10, 1e-13, what + " f64 loss");
                    assertClose(gw, c.bwd(false, Device.CPU), 1e-9, 1e-13, what + " f64 grad");
                    assertClose(lw, c.fwd(true, Device.CPU), 2e-5, 1e-6, what + " f32 loss");
                    assertClose(gw, c.bwd(true, Device.CPU), 2e-5, 1e-6, what + " f32 grad");
                }
            }
        }
    }

    /** Central differences of sum(g · loss) in float64, random non-integer logits. */
    @Test
    void gradientMatchesFiniteDifferences() {
        for (long seed = 0; seed < 6; seed++) {
            Case c = randomCase(100 + seed, 5, 4, seed % 2 == 0);
            double[] analytic = c.bwd(false, Device.CPU);
            double h = 1e-6;
            for (int k = 0; k < c.x().length; k++) {
                double[] xp = c.x().clone();
                double[] xm = c.x().clone();
                xp[k] += h;
                xm[k] -= h;
                double fp = dot(new Case(xp, c.labels(), c.dense(), c.n(), c.c(), c.gamma(), c.alpha(), c.g()).fwd(false, Device.CPU), c.g());
                double fm = dot(new Case(xm, c.labels(), c.dense(), c.n(), c.c(), c.gamma(), c.alpha(), c.g()).fwd(false, Device.CPU), c.g());
                double numeric = (fp - fm) / (2 * h);
                assertEquals(numeric, analytic[k], 1e-6 + 1e-5 * Math.abs(numeric), "seed " + seed + " element " + k);
            }
        }
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    /** torchvision's property: focal / BCE == (1 - p_t)^gamma · alpha_t; alpha -1, gamma 0 is BCE. */
    @Test
    void torchvisionRatioAndBce() {
        Case c = randomCase(5, 6, 7, false);
        double[] l = c.fwd(false, Device.CPU);
        Case bce = new Case(c.x(), null, c.dense(), 6, 7, 0, -1, c.g());
        double[] b = bce.fwd(false, Device.CPU);
        for (int i = 0; i < l.length; i++) {
            double p = 1 / (1 + Math.exp(-c.x()[i])), t = c.dense()[i];
            double pt = p * t + (1 - p) * (1 - t);
            double at = c.alpha() < 0 ? 1 : c.alpha() * t + (1 - c.alpha()) * (1 - t);
            double want = -(t * Math.log(p) + (1 - t) * Math.log(1 - p));
            assertEquals(want, b[i], 1e-12 + 1e-10 * want);
            assertEquals(Math.pow(1 - pt, c.gamma()) * at, l[i] / b[i], 1e-9);
        }
        double[] gb = bce.bwd(false, Device.CPU);
        for (int i = 0; i < gb.length; i++) {
            double p = 1 / (1 + Math.exp(-c.x()[i]));
            assertEquals(c.g()[i] * (p - c.dense()[i]), gb[i], 1e-12);
        }
    }

    @Test
    void ignoreAndEmpty() {
        Case c = new Case(new double[]{1, 2, 3, 4}, new long[]{-1, 2}, null, 2, 2, 2, 0.25, new double[]{1, 1, 1, 1});
        double[] l = c.fwd(false, Device.CPU);
        assertEquals(0.0, l[0]);
        assertEquals(0.0, l[1]);
        assertEquals(0.0, c.bwd(false, Device.CPU)[1]);
        try (Tensor x = Tensor.of(new float[0], 0, 80); Tensor t = Tensor.of(new long[0], 0);
             Tensor out = SigmoidFocalLoss.forward(x, t)) {
            assertArrayEquals(new long[]{0, 80}, out.shape());
        }
    }

    @Test
    void threadCountsGiveIdenticalResults() {
        for (boolean labels : new boolean[]{true, false}) {
            Case c = randomCase(77, 700, 80, labels);
            CpuOptions.setThreads(1);
            double[] f = c.fwd(true, Device.CPU), b = c.bwd(false, Device.CPU);
            for (int t = 2; t <= 3; t++) {
                CpuOptions.setThreads(t);
                assertArrayEquals(f, c.fwd(true, Device.CPU));
                assertArrayEquals(b, c.bwd(false, Device.CPU));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = CpuOptions.Isa.class, names = {"AVX2", "AVX512"})
    void simdVariantsGiveIdenticalResults(CpuOptions.Isa isa) {
        Isas.assumeSupported(isa);
        try {
            for (boolean labels : new boolean[]{true, false}) {
                for (long seed = 40; seed < 46; seed++) {
                    Case c = randomCase(seed, 29, 80, labels);
                    CpuOptions.setIsa(CpuOptions.Isa.BASELINE);
                    double[] f = c.fwd(true, Device.CPU), b = c.bwd(true, Device.CPU), f64 = c.bwd(false, Device.CPU);
                    CpuOptions.setIsa(isa);
                    String what = isa + " seed " + seed + " gamma " + c.gamma() + " labels " + labels;
                    assertArrayEquals(f, c.fwd(true, Device.CPU), what);
                    assertArrayEquals(b, c.bwd(true, Device.CPU), what);
                    assertArrayEquals(f64, c.bwd(false, Device.CPU), what);
                }
            }
        } finally {
            CpuOptions.setIsa(CpuOptions.Isa.AUTO);
        }
    }

    @Test
    void aBadDenseTargetIsNamedWhereverItIs() {
        double[] t = new double[3 * 2000];
        t[2 * 2000 + 1234] = Double.NaN; // past the native scan's first 4096-element block
        t[2 * 2000 + 1500] = -0.5;
        try (Tensor x = Tensor.of(new double[t.length], 3, 2000); Tensor d = Tensor.of(t, 3, 2000)) {
            Rejects.withMessage("targets[2, 1234] = NaN is outside [0, 1]", () -> SigmoidFocalLoss.forward(x, d));
        }
    }

    @Test
    void rejectsBadInputs() {
        try (Tensor x = Tensor.of(new float[6], 2, 3); Tensor lab = Tensor.of(new long[]{0, 4}, 2); Tensor neg = Tensor.of(new long[]{-2, 0}, 2);
             Tensor ok = Tensor.of(new long[]{0, 3}, 2); Tensor dense = Tensor.of(new float[]{0, 1, 0.5f, 0, 1.5f, 0}, 2, 3);
             Tensor i32 = Tensor.of(new int[]{0, 1}, 2); Tensor x1 = Tensor.of(new float[6], 6); Tensor xd = Tensor.of(new double[6], 2, 3)) {
            Rejects.withMessage("targets[1] = 4 is outside [-1, 3]", () -> SigmoidFocalLoss.forward(x, lab));
            Rejects.withMessage("targets[0] = -2 is outside", () -> SigmoidFocalLoss.forward(x, neg));
            Rejects.withMessage("targets[1, 1] = 1.5 is outside [0, 1]", () -> SigmoidFocalLoss.forward(x, dense));
            Rejects.withMessage("targets must be int64 labels [N] or FLOAT32 [N, C], got INT32", () -> SigmoidFocalLoss.forward(x, i32));
            Rejects.withMessage("logits must be [N, C]", () -> SigmoidFocalLoss.forward(x1, ok));
            Rejects.withMessage("gamma must be finite and >= 0", () -> SigmoidFocalLoss.forward(x, ok, -1, 0.25));
            Rejects.withMessage("alpha must be finite", () -> SigmoidFocalLoss.forward(x, ok, 2, Double.NaN));
            Rejects.withMessage("gradLoss must be FLOAT32[2, 3]", () -> SigmoidFocalLoss.backward(x, ok, 2, 0.25, xd));
        }
    }

    @Test
    @RequiresCuda
    void cudaEqualsCpu() {
        long seed = 500;
        for (int[] s : new int[][]{{1, 1}, {64, 80}, {1000, 9}}) {
            for (boolean labels : new boolean[]{true, false}) {
                for (boolean f32 : new boolean[]{true, false}) {
                    Case c = randomCase(seed++, s[0], s[1], labels);
                    assertClose(c.fwd(f32, Device.CPU), c.fwd(f32, Device.cuda(0)), 1e-5, 1e-7, "fwd seed " + seed);
                    assertClose(c.bwd(f32, Device.CPU), c.bwd(f32, Device.cuda(0)), 1e-4, 1e-7, "bwd seed " + seed);
                }
            }
        }
    }
}
