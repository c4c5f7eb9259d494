package dev.nativeext.ops;

import dev.nativeext.RequiresCuda;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.SplittableRandom;

import static dev.nativeext.ops.DeformConv2dTest.any;
import static dev.nativeext.ops.DeformConv2dTest.assertClose;
import static dev.nativeext.ops.DeformConv2dTest.fill;
import static dev.nativeext.ops.DeformConv2dTest.t;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeformPsRoiPoolTest {

    /** x = rand(2, 50, 10, 10) as in torchvision's RoIOpTester (50 = 2·5²), plus out-of-image boxes. */
    static final double[] ROIS = {0, 0, 0, 9, 9, 0, 0, 5, 4, 9, 0, 5, 5, 9, 9, 1, 0, 0, 9, 9, 1, -3, -2, 14, 12, 0, 7, 7, 6, 5,
            1, 12, 12, 20, 20};

    record Setup(double[] data, double[] trans, DeformPsRoiPool.Params p, int ncls) {
        static Setup of(long seed, int gs, int ncls, boolean withTrans) {
            SplittableRandom r = new SplittableRandom(seed);
            int odim = 50 / (gs * gs);
            DeformPsRoiPool.Params p = new DeformPsRoiPool.Params(1.0, odim, 5, 3, gs, 2, 0.1);
            double[] trans = withTrans ? fill(r, 7 * 2 * ncls * 9, -1.5, 1.5) : null;
            return new Setup(fill(r, 2 * 50 * 100, 0, 1), trans, p, withTrans ? ncls : 1);
        }

        double[][] reference() {
            return DeformPsRoiPoolReference.forward(data, 2, 50, 10, 10, ROIS, 7, trans, ncls, p.spatialScale(), p.outputDim(),
                    p.pooled(), p.partSize(), p.groupSize(), p.samplePerPart(), p.transStd());
        }

        Tensor[] tensors(boolean f32) {
            return new Tensor[] {t(data, f32, 2, 50, 10, 10), t(ROIS, f32, 7, 5),
                    trans == null ? null : t(trans, f32, 7, 2L * ncls, 3, 3)};
        }

        double[][] run(boolean f32) {
            Tensor[] a = tensors(f32);
            try (DeformPsRoiPool.Result res = DeformPsRoiPool.forward(a[0], a[1], a[2], p)) {
                return new double[][] {any(res.output()), any(res.topCount())};
            } finally {
                DeformConv2dTest.close(a);
            }
        }
    }

    @Test
    void matchesTheReference() {
        long seed = 1;
        for (int gs : new int[] {1, 5})
            for (boolean tr : new boolean[] {false, true})
                for (int ncls : new int[] {1, 2}) {
                    Setup s = Setup.of(seed++, gs, ncls, tr);
                    double[][] ref = s.reference();
                    double[][] f64 = s.run(false), f32 = s.run(true);
                    assertClose(ref[0], f64[0], 1e-12, 1e-12, "float64 output");
                    assertArrayEquals(ref[1], f64[1], 0.0, "float64 count");
                    assertClose(ref[0], f32[0], 1e-4, 1e-5, "float32 output");
                }
    }

    @Test
    void emptyRoisAndOutsideBoxes() {
        DeformPsRoiPool.Params p = new DeformPsRoiPool.Params(1.0, 2, 2, 2, 1, 2, 0.0);
        try (Tensor d = Tensor.of(new double[2 * 9], 1, 2, 3, 3); Tensor r = Tensor.of(new double[0], 0, 5);
             DeformPsRoiPool.Result res = DeformPsRoiPool.forward(d, r, null, p)) {
            assertEquals(0, res.output().numel());
        }
        // A box far outside: every sample skipped, output 0 and count 0; its backward adds nothing.
        try (Tensor d = Tensor.of(fill(new SplittableRandom(1), 18, 0, 1), 1, 2, 3, 3);
             Tensor r = Tensor.of(new double[] {0, 40, 40, 50, 50}, 1, 5);
             DeformPsRoiPool.Result res = DeformPsRoiPool.forward(d, r, null, p);
             Tensor g = Tensor.of(new double[] {1, 1, 1, 1, 1, 1, 1, 1}, 1, 2, 2, 2);
             DeformPsRoiPool.Gradients gr = DeformPsRoiPool.backward(g, d, r, null, res.topCount(), p)) {
            assertArrayEquals(new double[8], res.output().toDoubleArray(), 0.0);
            assertArrayEquals(new double[18], gr.gradInput().toDoubleArray(), 0.0);
        }
    }

    /** Central differences in float64 for data and trans (random non-integer trans). */
    @Test
    void gradientsMatchCentralDifferences() {
        for (long seed = 21; seed < 24; seed++) {
            Setup s = Setup.of(seed, 1, 2, true);
            double[] rw = fill(new SplittableRandom(seed), 7 * s.p().outputDim() * 25, -1, 1);
            Tensor[] a = s.tensors(false);
            try (DeformPsRoiPool.Result res = DeformPsRoiPool.forward(a[0], a[1], a[2], s.p());
                 Tensor go = Tensor.of(rw, 7, s.p().outputDim(), 5, 5);
                 DeformPsRoiPool.Gradients g = DeformPsRoiPool.backward(go, a[0], a[1], a[2], res.topCount(), s.p())) {
                check(s, rw, s.data(), any(g.gradInput()), 97, "data");
                check(s, rw, s.trans(), any(g.gradTrans()), 1, "trans");
            } finally {
                DeformConv2dTest.close(a);
            }
        }
    }

    private static void check(Setup s, double[] rw, double[] param, double[] got, int stride, String what) {
        double eps = 1e-6;
        for (int i = 0; i < param.length; i += stride) {
            double keep = param[i];
            param[i] = keep + eps;
            double up = dot(s.run(false)[0], rw);
            param[i] = keep - eps;
            double down = dot(s.run(false)[0], rw);
            param[i] = keep;
            double num = (up - down) / (2 * eps);
            assertEquals(num, got[i], 1e-6 * Math.max(1, Math.abs(num)), what + "[" + i + "]");
        }
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = CpuOptions.Isa.class, names = {"BASELINE", "AVX2", "AVX512"})
    void bitIdenticalAcrossThreadsAndIsas(CpuOptions.Isa isa) {
        Isas.assumeSupported(isa);
        Setup s = Setup.of(3, 5, 2, true);
        double[][] base = null;
        for (int th = 0; th <= 3; th++) {
            CpuOptions.setThreads(Math.max(th, 1));
            CpuOptions.setIsa(th == 0 ? CpuOptions.Isa.BASELINE : isa);  // th 0: the baseline on one thread
            Tensor[] a = s.tensors(true);
            try (DeformPsRoiPool.Result res = DeformPsRoiPool.forward(a[0], a[1], a[2], s.p());
                 DeformPsRoiPool.Gradients g = DeformPsRoiPool.backward(res.output(), a[0], a[1], a[2], res.topCount(), s.p())) {
                double[][] now = {any(res.output()), any(g.gradInput()), any(g.gradTrans())};
                if (base == null) base = now;
                else for (int k = 0; k < now.length; k++) assertArrayEquals(base[k], now[k], 0.0, isa + " threads " + th);
            } finally {
                DeformConv2dTest.close(a);
            }
        }
        CpuOptions.setThreads(Runtime.getRuntime().availableProcessors());
        CpuOptions.setIsa(CpuOptions.Isa.AUTO);
    }

    @Test
    void badInputsNameTheArgument() {
        DeformPsRoiPool.Params p = new DeformPsRoiPool.Params(1.0, 2, 2, 2, 1, 2, 0.1);
        try (Tensor d = Tensor.of(new double[2 * 9], 1, 2, 3, 3); Tensor bad = Tensor.of(new double[] {1, 0, 0, 1, 1}, 1, 5);
             Tensor nan = Tensor.of(new double[] {0, Double.NaN, 0, 1, 1}, 1, 5); Tensor r4 = Tensor.of(new double[4], 1, 4);
             Tensor ok = Tensor.of(new double[] {0, 0, 0, 1, 1}, 1, 5); Tensor tr = Tensor.of(new double[2 * 3 * 3], 1, 2, 3, 3)) {
            Rejects.withMessage("batch index must be an integer in [0, 1), got 1.0", () -> DeformPsRoiPool.forward(d, bad, null, p));
            Rejects.withMessage("rois[0] must be finite, got NaN", () -> DeformPsRoiPool.forward(d, nan, null, p));
            Rejects.withMessage("rois must be FLOAT64[K, 5]", () -> DeformPsRoiPool.forward(d, r4, null, p));
            Rejects.withMessage("data channels must be outputDim*groupSize² = 8, got 2",
                    () -> DeformPsRoiPool.forward(d, ok, null, new DeformPsRoiPool.Params(1.0, 2, 2, 2, 2, 2, 0.1)));
            Rejects.withMessage("transStd must be in [0, 1], got 2.0",
                    () -> DeformPsRoiPool.forward(d, ok, null, new DeformPsRoiPool.Params(1.0, 2, 2, 2, 1, 2, 2.0)));
            Rejects.withMessage("trans must be FLOAT64[K=1, 2*numClasses", () -> DeformPsRoiPool.forward(d, ok, tr, p));
        }
    }

    @Test
    @RequiresCuda
    void cudaMatchesCpu() {
        Device gpu = Device.cuda(0);
        for (boolean f32 : new boolean[] {true, false}) {
            Setup s = Setup.of(9, 5, 2, true);
            Tensor[] a = s.tensors(f32);
            Tensor[] g = {a[0].to(gpu), a[1].to(gpu), a[2].to(gpu)};
            try (DeformPsRoiPool.Result rc = DeformPsRoiPool.forward(a[0], a[1], a[2], s.p());
                 DeformPsRoiPool.Result rg = DeformPsRoiPool.forward(g[0], g[1], g[2], s.p());
                 Tensor oh = rg.output().to(Device.CPU);
                 DeformPsRoiPool.Gradients bc = DeformPsRoiPool.backward(rc.output(), a[0], a[1], a[2], rc.topCount(), s.p());
                 DeformPsRoiPool.Gradients bg = DeformPsRoiPool.backward(rg.output(), g[0], g[1], g[2], rg.topCount(), s.p());
                 Tensor gi = bg.gradInput().to(Device.CPU); Tensor gt = bg.gradTrans().to(Device.CPU)) {
                assertClose(any(rc.output()), any(oh), 1e-5, 1e-6, "cuda forward");
                assertClose(any(bc.gradInput()), any(gi), 1e-4, 1e-5, "cuda grad input");
                assertClose(any(bc.gradTrans()), any(gt), 1e-4, 1e-5, "cuda grad trans");
            } finally {
                DeformConv2dTest.close(a);
                DeformConv2dTest.close(g);
            }
        }
    }
}
