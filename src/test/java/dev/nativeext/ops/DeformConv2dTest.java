package dev.nativeext.ops;

import dev.nativeext.RequiresCuda;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeformConv2dTest {

    /** One problem: shapes, parameters and float64 data (offsets non-integer, in about [-2, 2]). */
    record Case(int n, int cin, int h, int w, int cout, int groups, int dg, int kh, int kw, int[] s, int[] p, int[] d,
                boolean withMask, boolean withBias, double[] in, double[] off, double[] mask, double[] wt, double[] bias,
                int ho, int wo) {

        static Case random(long seed, int n, int cin, int h, int w, int cout, int groups, int dg, int kh, int kw,
                           int[] s, int[] p, int[] d, boolean withMask, boolean withBias) {
            SplittableRandom r = new SplittableRandom(seed);
            int ho = (h + 2 * p[0] - (d[0] * (kh - 1) + 1)) / s[0] + 1;
            int wo = (w + 2 * p[1] - (d[1] * (kw - 1) + 1)) / s[1] + 1;
            double[] in = fill(r, n * cin * h * w, -1, 1);
            double[] off = fill(r, n * 2 * dg * kh * kw * ho * wo, -2, 2);
            double[] mask = withMask ? fill(r, n * dg * kh * kw * ho * wo, 0, 1) : null;
            double[] wt = fill(r, cout * (cin / groups) * kh * kw, -1, 1);
            double[] bias = withBias ? fill(r, cout, -1, 1) : null;
            return new Case(n, cin, h, w, cout, groups, dg, kh, kw, s, p, d, withMask, withBias, in, off, mask, wt, bias, ho, wo);
        }

        double[] reference() {
            return DeformConv2dReference.forward(in, n, cin, h, w, off, mask, wt, cout, kh, kw, bias, s, p, d);
        }

        Tensor[] tensors(boolean f32) {
            return new Tensor[] {t(in, f32, n, cin, h, w), t(off, f32, n, 2L * dg * kh * kw, ho, wo),
                    mask == null ? null : t(mask, f32, n, (long) dg * kh * kw, ho, wo), t(wt, f32, cout, cin / groups, kh, kw),
                    bias == null ? null : t(bias, f32, cout)};
        }

        double[] forward(boolean f32, int step) {
            Tensor[] a = tensors(f32);
            try (Tensor out = DeformConv2d.forward(a[0], a[1], a[3], a[4], s, p, d, a[2], step)) {
                return any(out);
            } finally {
                close(a);
            }
        }
    }

    static double[] fill(SplittableRandom r, int len, double lo, double hi) {
        double[] a = new double[len];
        for (int i = 0; i < len; i++) a[i] = lo + r.nextDouble() * (hi - lo);
        return a;
    }

    static Tensor t(double[] v, boolean f32, long... shape) {
        if (!f32) return Tensor.of(v.clone(), shape);
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return Tensor.of(f, shape);
    }

    /** The values of a float32 or float64 tensor, as doubles. */
    static double[] any(Tensor x) {
        if (x.dtype() == dev.nativeext.tensor.DType.FLOAT64) return x.toDoubleArray();
        float[] f = x.toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    static void close(Tensor... ts) {
        for (Tensor x : ts) if (x != null) x.close();
    }

    @AfterAll
    static void restore() {
        CpuOptions.setThreads(Runtime.getRuntime().availableProcessors());
        CpuOptions.setIsa(CpuOptions.Isa.AUTO);
    }

    static List<Case> randomCases() {
        List<Case> cs = new ArrayList<>();
        int[] one = {1, 1}, zero = {0, 0};
        long seed = 1;
        for (boolean m : new boolean[] {false, true})
            for (boolean b : new boolean[] {false, true}) {
                cs.add(Case.random(seed++, 2, 4, 6, 5, 6, 1, 1, 3, 3, one, one, one, m, b));
                cs.add(Case.random(seed++, 3, 6, 5, 4, 4, 2, 3, 3, 2, new int[] {2, 1}, new int[] {1, 0}, new int[] {2, 1}, m, b));
                cs.add(Case.random(seed++, 1, 4, 7, 6, 8, 4, 2, 2, 3, new int[] {1, 2}, new int[] {0, 2}, one, m, b));
                cs.add(Case.random(seed++, 2, 2, 1, 5, 2, 1, 2, 1, 3, one, zero, new int[] {1, 2}, m, b));
            }
        return cs;
    }

    @Test
    void randomShapesMatchTheReference() {
        for (Case c : randomCases()) {
            double[] ref = c.reference();
            assertClose(ref, c.forward(false, 64), 1e-12, 1e-12, "float64 " + c);
            assertClose(ref, c.forward(true, 64), 1e-5, 1e-4, "float32");
            assertClose(ref, c.forward(false, 1), 1e-12, 1e-12, "float64 step 1");
        }
    }

    /** torchvision's test_ops.py configuration, batch 33 (chunking 33 = 5+5+...+3) and batch 0. */
    @Test
    void torchvisionConfiguration() {
        for (boolean m : new boolean[] {false, true}) {
            Case c = Case.random(7, 33, 6, 5, 4, 2, 2, 3, 3, 2, new int[] {2, 1}, new int[] {1, 0}, new int[] {2, 1}, m, true);
            assertEquals(2, c.ho());
            assertEquals(3, c.wo());
            assertClose(c.reference(), c.forward(false, 5), 1e-12, 1e-12, "tv batch 33");
            Case e = Case.random(7, 0, 6, 5, 4, 2, 2, 3, 3, 2, new int[] {2, 1}, new int[] {1, 0}, new int[] {2, 1}, m, true);
            assertEquals(0, e.forward(false, 64).length);
        }
    }

    /** docs/ops.md §9 T10: 3x3 input, 2x2 kernel; the offsets at output (0,0) from MM's test, zero elsewhere. */
    @Test
    void handCheckedT10() {
        double[] x = {1, 2, 3, 0, 1, 2, 3, 5, 2};
        double[] w = {.4, .2, .1, .9};
        double[] off = new double[8 * 4];
        double[][] pairs = {{1.7, 1.1}, {3.1, 2.0}, {1.6, 2.5}, {1.7, 1.7}};
        for (int t = 0; t < 4; t++) {
            off[(2 * t) * 4] = pairs[t][0];
            off[(2 * t + 1) * 4] = pairs[t][1];
        }
        int[] one = {1, 1}, zero = {0, 0};
        try (Tensor in = Tensor.of(x, 1, 1, 3, 3); Tensor o = Tensor.of(off, 1, 8, 2, 2); Tensor wt = Tensor.of(w, 1, 1, 2, 2);
             Tensor out = DeformConv2d.forward(in, o, wt, null, one, zero, one, null);
             Tensor g = Tensor.of(new double[] {1, 0, 0, 0}, 1, 1, 2, 2);
             DeformConv2d.Gradients gr = DeformConv2d.backward(g, in, o, wt, null, one, zero, one, null)) {
            assertClose(new double[] {1.65, 3.3, 5.0, 3.1}, out.toDoubleArray(), 1e-12, 1e-12, "T10 output");
            assertClose(new double[] {3.62, 0, 0.40, 0.18}, gr.gradWeight().toDoubleArray(), 1e-12, 1e-12, "T10 dW");
            assertNull(gr.gradMask());
            assertNull(gr.gradBias());
        }
        double[] half = new double[8 * 4];
        for (int t = 0; t < 4; t++) for (int q = 0; q < 4; q++) half[(2 * t) * 4 + q] = 0.5;
        try (Tensor in = Tensor.of(x, 1, 1, 3, 3); Tensor o = Tensor.of(half, 1, 8, 2, 2); Tensor wt = Tensor.of(w, 1, 1, 2, 2);
             Tensor out = DeformConv2d.forward(in, o, wt, null, one, zero, one, null)) {
            assertClose(new double[] {3.35, 3.2, 3.6, 2.75}, out.toDoubleArray(), 1e-12, 1e-12, "T10 dy=+0.5");
        }
    }

    /**
     * The offset gradient at exact integer and border coordinates, by hand. Image v(r, c) = 3r + c + 1
     * (3x3), a 1x1 kernel of weight 1, no padding, gradOutput all ones: each output position's
     * offset gradient is d(sample)/dy and d(sample)/dx at its own sample point. Where a neighbour
     * pair exists, torchvision's one-sided difference; on -1 torchvision's comes from row/column 0
     * and maskrcnn-benchmark's is 0; on H or W both are 0 (no neighbour exists).
     */
    @Test
    void offsetGradientAtIntegerAndBorderCoordinatesUnderBothConventions() {
        double[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        // (dy, dx) per output position, and the sample point it gives:
        double[][] shift = {
            {-1, 0.25},  // (0,0) -> (-1, 0.25): on row -1
            {0, 0},      // (0,1) -> (0, 1): integer, top row
            {-1, -3},    // (0,2) -> (-1, -1): the corner, no coefficient survives
            {0.5, -1},   // (1,0) -> (1.5, -1): on column -1
            {0, 0},      // (1,1) -> (1, 1): integer, interior
            {0, 1},      // (1,2) -> (1, 3): on W
            {-3, 0},     // (2,0) -> (-1, 0): on row -1 at an integer column
            {1, 0},      // (2,1) -> (3, 1): on H
            {0, 0},      // (2,2) -> (2, 2): integer, last row and column
        };
        double[] off = new double[2 * 9];
        for (int q = 0; q < 9; q++) {
            off[q] = shift[q][0];
            off[9 + q] = shift[q][1];
        }
        // torchvision: (1,0): dy = 0.75*v(0,0) + 0.25*v(0,1) = 1.25; (1,0) dx = 0.5*v(2,0) + 0.5*v(1,0) = 5.5;
        // (2,0): dy = v(0,0) = 1; (0,1): dy = v(1,1) - v(0,1) = 3, dx = v(0,2) - v(0,1) = 1; (2,2): -9, -9.
        double[] tvDy = {1.25, 3, 0, 0, 3, 0, 1, 0, -9}, tvDx = {0, 1, 0, 5.5, 1, 0, 0, 0, -9};
        double[] mbDy = {0, 3, 0, 0, 3, 0, 0, 0, -9}, mbDx = {0, 1, 0, 0, 1, 0, 0, 0, -9};
        int[] one = {1, 1}, zero = {0, 0};
        for (boolean f32 : new boolean[] {false, true}) {
            try (Tensor in = t(x, f32, 1, 1, 3, 3); Tensor o = t(off, f32, 1, 2, 3, 3); Tensor wt = t(new double[] {1}, f32, 1, 1, 1, 1);
                 Tensor g = t(new double[] {1, 1, 1, 1, 1, 1, 1, 1, 1}, f32, 1, 1, 3, 3);
                 Tensor out = DeformConv2d.forward(in, o, wt, null, one, zero, one, null);
                 DeformConv2d.Gradients tv = VisionOps.deformConv2dBackward(g, in, o, wt, null, one, zero, one, null);
                 DeformConv2d.Gradients mb = DeformConv2d.backward(g, in, o, wt, null, one, zero, one, null,
                         DeformConv2d.DEFAULT_IM2COL_STEP, DeformConv2d.OffsetGradient.MASKRCNN_BENCHMARK)) {
                assertArrayEquals(new double[] {0, 2, 0, 0, 5, 0, 0, 0, 9}, any(out), 0, "forward");
                assertArrayEquals(concat(tvDy, tvDx), any(tv.gradOffset()), 1e-6, "torchvision, float32 " + f32);
                assertArrayEquals(concat(mbDy, mbDx), any(mb.gradOffset()), 1e-6, "maskrcnn-benchmark, float32 " + f32);
                for (DeformConv2d.Gradients gr : new DeformConv2d.Gradients[] {tv, mb}) {  // the rest does not depend on it
                    assertArrayEquals(new double[] {0, 1, 0, 0, 1, 0, 0, 0, 1}, any(gr.gradInput()), 0, "grad input");
                    assertArrayEquals(new double[] {16}, any(gr.gradWeight()), 0, "grad weight");
                }
            }
        }
        // v2: the mask scales the offset gradient, and grad mask is the sample (0 on -1 under both).
        double[] m = {0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5};
        try (Tensor in = t(x, false, 1, 1, 3, 3); Tensor o = t(off, false, 1, 2, 3, 3); Tensor wt = t(new double[] {1}, false, 1, 1, 1, 1);
             Tensor mk = t(m, false, 1, 1, 3, 3); Tensor g = t(new double[] {1, 1, 1, 1, 1, 1, 1, 1, 1}, false, 1, 1, 3, 3);
             DeformConv2d.Gradients tv = DeformConv2d.backward(g, in, o, wt, null, one, zero, one, mk)) {
            double[] want = concat(tvDy, tvDx);
            for (int i = 0; i < want.length; i++) want[i] *= 0.5;
            assertArrayEquals(want, any(tv.gradOffset()), 1e-12, "torchvision, v2");
            assertArrayEquals(new double[] {0, 2, 0, 0, 5, 0, 0, 0, 9}, any(tv.gradMask()), 0, "grad mask");
        }
    }

    private static double[] concat(double[] a, double[] b) {
        double[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** docs/ops.md §9 T4: ZP on [[4]] at (0.5, 0.5) is 1.0 (three corners zero-padded), not RA's 4.0. */
    /** The CPU forward's output is not zeroed first: it must write every element, here into a 1 MiB
     *  block that the host pool hands back filled with NaN. */
    @Test
    void cpuForwardOverwritesAReusedOutputBlock() {
        int[] one = {1, 1}, zero = {0, 0};
        int c = 64, h = 64, w = 64;
        float[] poison = new float[c * h * w];
        java.util.Arrays.fill(poison, Float.NaN);
        double[] x = fill(new SplittableRandom(7), h * w, -1, 1);
        try (Tensor in = t(x, true, 1, 1, h, w); Tensor o = t(new double[2 * h * w], true, 1, 2, h, w);
             Tensor wt = t(fill(new SplittableRandom(8), c, -1, 1), true, c, 1, 1, 1)) {
            double[] wv = any(wt);
            for (int threads : new int[] {1, 2}) {
                CpuOptions.setThreads(threads);
                Tensor.of(poison, 1, c, h, w).close();
                try (Tensor out = DeformConv2d.forward(in, o, wt, null, one, zero, one, null)) {
                    double[] got = any(out);
                    for (int co = 0; co < c; co++)
                        for (int p = 0; p < h * w; p++)
                            assertEquals((float) ((float) x[p] * (float) wv[co]), got[co * h * w + p], 0, "channel " + co + ", position " + p);
                }
            }
        }
    }

    /** Likewise the CPU backward's gradients: the same bits with grad input in a NaN-filled pooled block. */
    @Test
    void cpuBackwardOverwritesReusedGradientBlocks() {
        int[] one = {1, 1}, zero = {0, 0};
        int c = 64, h = 64, w = 64;
        float[] poison = new float[c * h * w];
        java.util.Arrays.fill(poison, Float.NaN);
        SplittableRandom r = new SplittableRandom(9);
        try (Tensor in = t(fill(r, c * h * w, -1, 1), true, 1, c, h, w); Tensor o = t(fill(r, 2 * h * w, -2, 2), true, 1, 2, h, w);
             Tensor m = t(fill(r, h * w, 0, 1), true, 1, 1, h, w); Tensor wt = t(fill(r, c * c, -1, 1), true, c, c, 1, 1);
             Tensor b = t(fill(r, c, -1, 1), true, c); Tensor gy = t(fill(r, c * h * w, -1, 1), true, 1, c, h, w)) {
            for (int threads : new int[] {1, 2}) {
                CpuOptions.setThreads(threads);
                DeformConv2d.Gradients a = DeformConv2d.backward(gy, in, o, wt, b, one, zero, one, m);
                Tensor.of(poison, 1, c, h, w).close();
                try (a; DeformConv2d.Gradients p = DeformConv2d.backward(gy, in, o, wt, b, one, zero, one, m)) {
                    assertArrayEquals(any(a.gradInput()), any(p.gradInput()), 0, "grad input");
                    assertArrayEquals(any(a.gradOffset()), any(p.gradOffset()), 0, "grad offset");
                    assertArrayEquals(any(a.gradMask()), any(p.gradMask()), 0, "grad mask");
                    assertArrayEquals(any(a.gradWeight()), any(p.gradWeight()), 0, "grad weight");
                    assertArrayEquals(any(a.gradBias()), any(p.gradBias()), 0, "grad bias");
                    for (double v : any(p.gradInput())) assertTrue(!Double.isNaN(v), "grad input has NaN");
                }
            }
        }
    }

    @Test
    void zeroPaddedBorderT4() {
        int[] one = {1, 1}, zero = {0, 0};
        try (Tensor in = Tensor.of(new double[] {4}, 1, 1, 1, 1); Tensor o = Tensor.of(new double[] {.5, .5}, 1, 2, 1, 1);
             Tensor wt = Tensor.of(new double[] {1}, 1, 1, 1, 1);
             Tensor out = DeformConv2d.forward(in, o, wt, null, one, zero, one, null)) {
            assertEquals(1.0, out.toDoubleArray()[0], 0);
        }
    }

    /** Central differences in float64 of L = Σ out·R against the backward with gradOutput = R. */
    @Test
    void gradientsMatchCentralDifferences() {
        int[] one = {1, 1};
        List<Case> cs = new ArrayList<>();
        for (long seed = 11; seed < 14; seed++) {
            cs.add(Case.random(seed, 2, 4, 4, 5, 4, 2, 2, 2, 2, one, one, new int[] {1, 2}, true, true));
            cs.add(Case.random(seed + 100, 1, 2, 5, 4, 2, 1, 1, 3, 2, new int[] {2, 1}, new int[] {1, 0}, one, false, true));
        }
        for (Case c : cs) {
            SplittableRandom r = new SplittableRandom(c.in().length);
            double[] rw = fill(r, c.n() * c.cout() * c.ho() * c.wo(), -1, 1);
            Tensor[] a = c.tensors(false);
            try (Tensor go = Tensor.of(rw, c.n(), c.cout(), c.ho(), c.wo());
                 DeformConv2d.Gradients g = DeformConv2d.backward(go, a[0], a[1], a[3], a[4], c.s(), c.p(), c.d(), a[2])) {
                check(c, rw, c.in(), g.gradInput(), "input");
                check(c, rw, c.off(), g.gradOffset(), "offset");
                if (c.withMask()) check(c, rw, c.mask(), g.gradMask(), "mask");
                check(c, rw, c.wt(), g.gradWeight(), "weight");
                check(c, rw, c.bias(), g.gradBias(), "bias");
            } finally {
                close(a);
            }
        }
    }

    private static void check(Case c, double[] rw, double[] param, Tensor grad, String what) {
        double[] got = grad.toDoubleArray();
        double eps = 1e-6;
        for (int i = 0; i < param.length; i++) {
            double keep = param[i];
            param[i] = keep + eps;
            double up = dot(c.forward(false, 64), rw);
            param[i] = keep - eps;
            double down = dot(c.forward(false, 64), rw);
            param[i] = keep;
            double num = (up - down) / (2 * eps);
            assertEquals(num, got[i], 1e-6 * Math.max(1, Math.abs(num)), what + "[" + i + "] of " + c);
        }
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    /** Bit-identical forward and backward for threads 1/2/3 and every ISA variant. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = CpuOptions.Isa.class, names = {"BASELINE", "AVX2", "AVX512"})
    void bitIdenticalAcrossThreadsAndIsas(CpuOptions.Isa isa) {
        Isas.assumeSupported(isa);
        Case c = Case.random(5, 2, 8, 9, 7, 8, 2, 2, 3, 3, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, true, true);
        for (boolean f32 : new boolean[] {true, false}) {
            CpuOptions.setIsa(CpuOptions.Isa.BASELINE);
            CpuOptions.setThreads(1);
            double[][] base = runAll(c, f32);
            for (int th = 1; th <= 3; th++) {
                CpuOptions.setIsa(isa);
                CpuOptions.setThreads(th);
                double[][] now = runAll(c, f32);
                for (int k = 0; k < base.length; k++) assertArrayEquals(base[k], now[k], 0.0, isa + " threads " + th);
            }
        }
        CpuOptions.setIsa(CpuOptions.Isa.AUTO);
        CpuOptions.setThreads(Runtime.getRuntime().availableProcessors());
    }

    private static double[][] runAll(Case c, boolean f32) {
        Tensor[] a = c.tensors(f32);
        double[] ones = new double[c.n() * c.cout() * c.ho() * c.wo()];
        java.util.Arrays.fill(ones, 0.5);
        try (Tensor out = DeformConv2d.forward(a[0], a[1], a[3], a[4], c.s(), c.p(), c.d(), a[2]);
             Tensor go = t(ones, f32, c.n(), c.cout(), c.ho(), c.wo());
             DeformConv2d.Gradients g = DeformConv2d.backward(go, a[0], a[1], a[3], a[4], c.s(), c.p(), c.d(), a[2])) {
            return new double[][] {any(out), any(g.gradInput()), any(g.gradOffset()),
                    any(g.gradMask()), any(g.gradWeight()), any(g.gradBias())};
        } finally {
            close(a);
        }
    }

    @Test
    void badInputsNameTheArgument() {
        int[] one = {1, 1}, zero = {0, 0};
        try (Tensor in = Tensor.zeros(dev.nativeext.tensor.DType.FLOAT32, Device.CPU, 1, 4, 5, 5);
             Tensor off = Tensor.zeros(dev.nativeext.tensor.DType.FLOAT32, Device.CPU, 1, 18, 3, 3);
             Tensor w = Tensor.zeros(dev.nativeext.tensor.DType.FLOAT32, Device.CPU, 2, 4, 3, 3);
             Tensor w3 = Tensor.zeros(dev.nativeext.tensor.DType.FLOAT32, Device.CPU, 2, 3, 3, 3);
             Tensor wOddOut = Tensor.zeros(dev.nativeext.tensor.DType.FLOAT32, Device.CPU, 3, 2, 3, 3);
             Tensor off17 = Tensor.zeros(dev.nativeext.tensor.DType.FLOAT32, Device.CPU, 1, 17, 3, 3);
             Tensor off54 = Tensor.zeros(dev.nativeext.tensor.DType.FLOAT32, Device.CPU, 1, 54, 3, 3);
             Tensor offSp = Tensor.zeros(dev.nativeext.tensor.DType.FLOAT32, Device.CPU, 1, 18, 4, 3);
             Tensor mask = Tensor.zeros(dev.nativeext.tensor.DType.FLOAT32, Device.CPU, 1, 8, 3, 3);
             Tensor in64 = Tensor.zeros(dev.nativeext.tensor.DType.FLOAT64, Device.CPU, 1, 4, 5, 5);
             Tensor bias = Tensor.zeros(dev.nativeext.tensor.DType.FLOAT32, Device.CPU, 3)) {
            Rejects.withMessage("weight.shape[1] dividing C_in", () -> DeformConv2d.forward(in, off, w3, null, one, zero, one, null));
            Rejects.withMessage("divisible by groups", () -> DeformConv2d.forward(in, off, wOddOut, null, one, zero, one, null));
            Rejects.withMessage("offset.shape[1] must be 2*offsetGroups*kh*kw", () -> DeformConv2d.forward(in, off17, w, null, one, zero, one, null));
            Rejects.withMessage("divisible by offsetGroups, got offsetGroups = 3", () -> DeformConv2d.forward(in, off54, w, null, one, zero, one, null));
            Rejects.withMessage("offset must be [N, 2*offsetGroups*kh*kw, H_out, W_out] = [1, 18, 3, 3], got [1, 18, 4, 3]",
                    () -> DeformConv2d.forward(in, offSp, w, null, one, zero, one, null));
            Rejects.withMessage("mask must be [N, offsetGroups*kh*kw, H_out, W_out] = [1, 9, 3, 3], got [1, 8, 3, 3]",
                    () -> DeformConv2d.forward(in, off, w, null, one, zero, one, mask));
            Rejects.withMessage("offset dtype must be FLOAT64", () -> DeformConv2d.forward(in64, off, w, null, one, zero, one, null));
            Rejects.withMessage("bias must be [C_out] = [2], got [3]", () -> DeformConv2d.forward(in, off, w, bias, one, zero, one, null));
            Rejects.withMessage("stride must be 2 ints >= 1, got [0, 1]", () -> DeformConv2d.forward(in, off, w, null, new int[] {0, 1}, zero, one, null));
            Rejects.withMessage("padding must be 2 ints >= 0, got [-1, 0]", () -> DeformConv2d.forward(in, off, w, null, one, new int[] {-1, 0}, one, null));
            Rejects.withMessage("dilation must be 2 ints >= 1", () -> DeformConv2d.forward(in, off, w, null, one, zero, new int[] {1}, null));
            Rejects.withMessage("output size must be positive", () -> DeformConv2d.forward(in, off, w, null, one, zero, new int[] {3, 3}, null));
            Rejects.withMessage("input must have rank 4", () -> DeformConv2d.forward(bias, off, w, null, one, zero, one, null));
            Rejects.withMessage("gradOutput must be FLOAT32[1, 2, 3, 3]", () -> DeformConv2d.backward(off, in, off, w, null, one, zero, one, null));
        }
    }

    /**
     * A shape past every blocking boundary of the CPU kernels (ne_deform_conv_driver.h, ne_gemm.h):
     * 2304 positions x C_in*kh*kw = 594 columns make 3 forward position blocks (4 at 3 threads, which
     * do not divide them evenly) and 2 backward chunks (1536 + 768 positions, each more than one
     * GEMM k block); 297 columns per conv group cross the GEMM's 256-column blocks and end in a
     * zero-padded panel; 20 output channels per group fill less than one vector panel; 3
     * deformable groups of 22 channels cut across the conv groups' 33. Float64 checks: the forward
     * against the reference, and each gradient as a directional derivative of L = sum(out * R)
     * (exact for input, mask, weight and bias, in which the output is linear; a central difference
     * for the offsets).
     */
    static Case blockingCase() {
        return Case.random(21, 1, 66, 48, 48, 40, 2, 3, 3, 3, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, true, true);
    }

    @Test
    void largeShapeAcrossBlocksAndChunks() {
        Case c = blockingCase();
        assertEquals(2304, c.ho() * c.wo());
        assertClose(c.reference(), c.forward(false, 64), 1e-11, 1e-11, "float64 forward");
        SplittableRandom r = new SplittableRandom(22);
        double[] rw = fill(r, c.cout() * c.ho() * c.wo(), -1, 1);
        Tensor[] a = c.tensors(false);
        try (Tensor go = Tensor.of(rw, 1, c.cout(), c.ho(), c.wo());
             DeformConv2d.Gradients g = DeformConv2d.backward(go, a[0], a[1], a[3], a[4], c.s(), c.p(), c.d(), a[2])) {
            double base = dot(c.forward(false, 64), rw);
            double[][] params = {c.in(), c.mask(), c.wt(), c.bias()};
            Tensor[] grads = {g.gradInput(), g.gradMask(), g.gradWeight(), g.gradBias()};
            String[] names = {"input", "mask", "weight", "bias"};
            for (int k = 0; k < params.length; k++) {
                double[] v = fill(r, params[k].length, -1, 1);
                double[] keep = params[k].clone();
                for (int i = 0; i < v.length; i++) params[k][i] += v[i];
                double moved = dot(c.forward(false, 64), rw);
                System.arraycopy(keep, 0, params[k], 0, keep.length);
                double want = moved - base, got = dot(grads[k].toDoubleArray(), v);
                assertEquals(want, got, 1e-9 * Math.max(1, Math.abs(want)), "directional derivative along " + names[k]);
            }
            double[] v = fill(r, c.off().length, -1, 1);
            double[] keep = c.off().clone();
            double eps = 1e-6;
            for (int i = 0; i < v.length; i++) c.off()[i] = keep[i] + eps * v[i];
            double up = dot(c.forward(false, 64), rw);
            for (int i = 0; i < v.length; i++) c.off()[i] = keep[i] - eps * v[i];
            double down = dot(c.forward(false, 64), rw);
            System.arraycopy(keep, 0, c.off(), 0, keep.length);
            double want = (up - down) / (2 * eps), got = dot(g.gradOffset().toDoubleArray(), v);
            assertEquals(want, got, 1e-5 * Math.max(1, Math.abs(want)), "directional derivative along offset");
        } finally {
            close(a);
        }
    }

    /** The blocking case in float32: the same bits at 1, 2, 3 and 5 threads and in every ISA variant. */
    @Test
    void largeShapeBitIdenticalAcrossThreadsAndIsas() {
        Case c = blockingCase();
        double[][] base = null;
        try {
            for (CpuOptions.Isa isa : CpuOptions.Isa.values())
                for (int th : new int[] {1, 2, 3, 5}) {
                    if (isa == CpuOptions.Isa.BASELINE && th > 2) continue; // scalar GEMM: slow, and threads are covered
                    CpuOptions.setIsa(isa);
                    CpuOptions.setThreads(th);
                    double[][] now = runAll(c, true);
                    if (base == null) base = now;
                    else for (int k = 0; k < base.length; k++) assertArrayEquals(base[k], now[k], 0.0, isa + " threads " + th + " output " + k);
                }
        } finally {
            CpuOptions.setIsa(CpuOptions.Isa.AUTO);
            CpuOptions.setThreads(Runtime.getRuntime().availableProcessors());
        }
    }

    /** CUDA vs CPU: forward rtol 1e-5, backward 1e-4 (float32 and float64), over the random cases. */
    @Test
    @RequiresCuda
    void cudaMatchesCpu() {
        Device gpu = Device.cuda(0);
        for (Case c : randomCases())
            for (boolean f32 : new boolean[] {true, false}) {
                Tensor[] a = c.tensors(f32);
                Tensor[] g = new Tensor[a.length];
                for (int i = 0; i < a.length; i++) g[i] = a[i] == null ? null : a[i].to(gpu);
                double[] ones = fill(new SplittableRandom(3), c.n() * c.cout() * c.ho() * c.wo(), -1, 1);
                try (Tensor go = t(ones, f32, c.n(), c.cout(), c.ho(), c.wo()); Tensor gog = go.to(gpu);
                     Tensor oc = DeformConv2d.forward(a[0], a[1], a[3], a[4], c.s(), c.p(), c.d(), a[2], 2);
                     Tensor og = DeformConv2d.forward(g[0], g[1], g[3], g[4], c.s(), c.p(), c.d(), g[2], 2);
                     Tensor ogh = og.to(Device.CPU);
                     DeformConv2d.Gradients bc = DeformConv2d.backward(go, a[0], a[1], a[3], a[4], c.s(), c.p(), c.d(), a[2]);
                     DeformConv2d.Gradients bg = DeformConv2d.backward(gog, g[0], g[1], g[3], g[4], c.s(), c.p(), c.d(), g[2])) {
                    assertClose(any(oc), any(ogh), 1e-5, 1e-5, "cuda forward");
                    Tensor[] cs = {bc.gradInput(), bc.gradOffset(), bc.gradMask(), bc.gradWeight(), bc.gradBias()};
                    Tensor[] gs = {bg.gradInput(), bg.gradOffset(), bg.gradMask(), bg.gradWeight(), bg.gradBias()};
                    for (int k = 0; k < cs.length; k++) {
                        if (cs[k] == null) continue;
                        try (Tensor h = gs[k].to(Device.CPU)) {
                            assertClose(any(cs[k]), any(h), 1e-4, 1e-4, "cuda backward " + k);
                        }
                    }
                } finally {
                    close(a);
                    close(g);
                }
            }
    }

    static void assertClose(double[] want, double[] got, double rtol, double atol, String what) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++) {
            double tol = atol + rtol * Math.abs(want[i]);
            if (!(Math.abs(want[i] - got[i]) <= tol)) {
                throw new AssertionError(what + ": element " + i + " expected " + want[i] + " got " + got[i]);
            }
        }
    }
}
