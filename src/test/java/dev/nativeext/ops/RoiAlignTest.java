package dev.nativeext.ops;

import dev.nativeext.testing.RestoreCpuOptions;
import org.junit.jupiter.api.extension.ExtendWith;
import dev.nativeext.RequiresCuda;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(RestoreCpuOptions.class)
class RoiAlignTest {

    static double[] fwd(double[] x, long[] xs, double[] rois, int ph, int pw, double s, int sr, boolean aligned) {
        try (Tensor in = Tensor.of(x, xs); Tensor r = Tensor.of(rois, rois.length / 5, 5);
             Tensor out = RoiAlign.forward(in, r, ph, pw, s, sr, aligned)) {
            return out.toDoubleArray();
        }
    }

    static double[] bwd(double[] g, double[] rois, int n, int c, int h, int w, int ph, int pw, double s, int sr, boolean aligned) {
        try (Tensor go = Tensor.of(g, rois.length / 5, c, ph, pw); Tensor r = Tensor.of(rois, rois.length / 5, 5);
             Tensor gin = RoiAlign.backward(go, r, n, c, h, w, s, sr, aligned)) {
            return gin.toDoubleArray();
        }
    }

    // ---- docs/ops.md §9 T1-T3 -------------------------------------------------------------------

    @Test
    void t1TwoByTwo() {
        double[] x = {1, 2, 3, 4};
        double[] roi = {0, 0, 0, 1, 1};
        assertArrayEquals(new double[] {1.0, 1.25, 1.5, 1.75}, fwd(x, new long[] {1, 1, 2, 2}, roi, 2, 2, 1, 2, true), 1e-12);
        assertArrayEquals(new double[] {3.0625, 0.4375, 0.4375, 0.0625}, bwd(new double[] {1, 1, 1, 1}, roi, 1, 1, 2, 2, 2, 2, 1, 2, true), 1e-12);
        assertArrayEquals(new double[] {1.75, 2.25, 2.75, 3.25}, fwd(x, new long[] {1, 1, 2, 2}, roi, 2, 2, 1, 2, false), 1e-12);
        assertArrayEquals(new double[] {1, 1, 1, 1}, bwd(new double[] {1, 1, 1, 1}, roi, 1, 1, 2, 2, 2, 2, 1, 2, false), 1e-12);
    }

    @Test
    void t2FourByFour() {
        double[] x = {1, 2, 5, 6, 3, 4, 7, 8, 9, 10, 13, 14, 11, 12, 15, 16};
        double[] roi = {0, 0, 0, 3, 3};
        long[] s = {1, 1, 4, 4};
        assertArrayEquals(new double[] {1.9375, 4.75, 7.5625, 10.375}, fwd(x, s, roi, 2, 2, 1, 2, true), 1e-12);
        double[] g = bwd(new double[] {1, 1, 1, 1}, roi, 1, 1, 4, 4, 2, 2, 1, 2, true);
        assertArrayEquals(new double[] {0.47265625, 0.4296875, 0.4296875, 0.04296875}, java.util.Arrays.copyOf(g, 4), 1e-12);
        assertArrayEquals(new double[] {3.625, 6.875, 10.125, 13.375}, fwd(x, s, roi, 2, 2, 1, 2, false), 1e-12);
    }

    @Test
    void t3ZeroSizeBox() {
        double[] x = new double[16];
        for (int i = 0; i < 16; i++) x[i] = i;
        double[] roi = {0, 1, 1, 1, 1};
        long[] s = {1, 1, 4, 4};
        assertArrayEquals(new double[4], fwd(x, s, roi, 2, 2, 1, 0, true), 0);
        assertArrayEquals(new double[] {6.25, 6.75, 8.25, 8.75}, fwd(x, s, roi, 2, 2, 1, 0, false), 1e-12);
    }

    @Test
    void everySamplingRatioAtOrBelowZeroIsAdaptiveAsInTorchvision() {
        Random rnd = new Random(7);
        double[] x = new double[2 * 3 * 9 * 11];
        for (int i = 0; i < x.length; i++) x[i] = rnd.nextDouble() * 2 - 1;
        long[] s = {2, 3, 9, 11};
        double[] rois = {0, 0.5, 1, 9.5, 7, 1, 2.2, 0.3, 6.1, 8.8};
        double[] g = new double[2 * 3 * 3 * 2];
        for (int i = 0; i < g.length; i++) g[i] = rnd.nextDouble();
        for (boolean aligned : new boolean[] {false, true}) {
            double[] adaptive = fwd(x, s, rois, 3, 2, 1, 0, aligned);
            double[] gAdaptive = bwd(g, rois, 2, 3, 9, 11, 3, 2, 1, 0, aligned);
            assertArrayEquals(RoiAlignReference.forward(x, 3, 9, 11, rois, 3, 2, 1, 0, aligned), adaptive, 1e-12);
            for (int sr : new int[] {-1, -2, Integer.MIN_VALUE}) {
                assertArrayEquals(adaptive, fwd(x, s, rois, 3, 2, 1, sr, aligned), 0, "samplingRatio " + sr);
                assertArrayEquals(gAdaptive, bwd(g, rois, 2, 3, 9, 11, 3, 2, 1, sr, aligned), 0, "samplingRatio " + sr);
            }
        }
    }

    @Test
    void borderIsReplicatedOnOnePixelMap() {
        // RA clamps to the border: sampling [[4]] anywhere in [-1,1]^2 gives 4 (docs/ops.md §9 T4).
        assertArrayEquals(new double[] {4}, fwd(new double[] {4}, new long[] {1, 1, 1, 1}, new double[] {0, 0, 0, 1, 1}, 1, 1, 1, 1, false), 0);
    }

    // ---- random inputs against the reference ---------------------------------------------

    static double[] randomRois(Random rnd, int k, int n, double imgH, double imgW) {
        double[] r = new double[k * 5];
        for (int i = 0; i < k; i++) {
            r[i * 5] = rnd.nextInt(n);
            int kind = rnd.nextInt(6);
            double x1 = rnd.nextDouble() * imgW * 1.4 - imgW * 0.2, y1 = rnd.nextDouble() * imgH * 1.4 - imgH * 0.2;
            double bw = rnd.nextDouble() * imgW * 0.8, bh = rnd.nextDouble() * imgH * 0.8;
            if (kind == 0) { bw = 0; bh = 0; }                 // degenerate
            if (kind == 1) { bw = -bw * 0.3; bh = -bh * 0.3; } // inverted
            if (kind == 2) { x1 = imgW + 3; y1 = -imgH; }      // out of the image
            r[i * 5 + 1] = x1;
            r[i * 5 + 2] = y1;
            r[i * 5 + 3] = x1 + bw;
            r[i * 5 + 4] = y1 + bh;
        }
        return r;
    }

    static double[] randomData(Random rnd, int len) {
        double[] d = new double[len];
        for (int i = 0; i < len; i++) d[i] = rnd.nextDouble() * 2 - 1;
        return d;
    }

    static double maxRelErr(double[] want, double[] got) {
        assertEquals(want.length, got.length);
        double e = 0;
        for (int i = 0; i < want.length; i++) e = Math.max(e, Math.abs(want[i] - got[i]) / Math.max(1, Math.abs(want[i])));
        return e;
    }

    @Test
    void matchesReferenceOnRandomInputs() {
        Random rnd = new Random(42);
        int[][] shapes = {{2, 5, 10, 10}, {1, 19, 7, 13}, {2, 3, 1, 9}, {1, 17, 8, 1}, {3, 33, 12, 6}};
        for (int[] sh : shapes) {
            for (boolean aligned : new boolean[] {false, true}) {
                for (int sr : new int[] {0, 1, 2, 3}) {
                    int n = sh[0], c = sh[1], h = sh[2], w = sh[3];
                    double scale = rnd.nextBoolean() ? 1.0 : 0.5;
                    int ph = 1 + rnd.nextInt(5), pw = 1 + rnd.nextInt(5), k = 1 + rnd.nextInt(9);
                    double[] x = randomData(rnd, n * c * h * w);
                    double[] rois = randomRois(rnd, k, n, h / scale, w / scale);
                    double[] want = RoiAlignReference.forward(x, c, h, w, rois, ph, pw, scale, sr, aligned);
                    String what = java.util.Arrays.toString(sh) + " aligned=" + aligned + " sr=" + sr;
                    double[] got = fwd(x, new long[] {n, c, h, w}, rois, ph, pw, scale, sr, aligned);
                    assertTrue(maxRelErr(want, got) < 1e-12, "float64 forward " + what);
                    double[] g = randomData(rnd, k * c * ph * pw);
                    double[] gwant = RoiAlignReference.backward(g, n, c, h, w, rois, ph, pw, scale, sr, aligned);
                    assertTrue(maxRelErr(gwant, bwd(g, rois, n, c, h, w, ph, pw, scale, sr, aligned)) < 1e-12, "float64 backward " + what);
                    // float32: the reference on the float-rounded inputs, ~1e-5 relative.
                    float[] xf = toFloat(x), rf = toFloat(rois), gf = toFloat(g);
                    double[] want32 = RoiAlignReference.forward(toDouble(xf), c, h, w, toDouble(rf), ph, pw, scale, sr, aligned);
                    try (Tensor in = Tensor.of(xf, n, c, h, w); Tensor r = Tensor.of(rf, k, 5);
                         Tensor out = RoiAlign.forward(in, r, ph, pw, scale, sr, aligned);
                         Tensor go = Tensor.of(gf, k, c, ph, pw);
                         Tensor gin = RoiAlign.backward(go, r, n, c, h, w, scale, sr, aligned)) {
                        assertTrue(maxRelErr(want32, toDouble(out.toFloatArray())) < 1e-5, "float32 forward " + what);
                        double[] gw32 = RoiAlignReference.backward(toDouble(gf), n, c, h, w, toDouble(rf), ph, pw, scale, sr, aligned);
                        assertTrue(maxRelErr(gw32, toDouble(gin.toFloatArray())) < 1e-5, "float32 backward " + what);
                    }
                }
            }
        }
    }

    static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    /** Central differences of L = sum(out * g) wrt each input element, float64, several seeds. */
    @Test
    void gradientMatchesCentralDifferences() {
        for (long seed = 1; seed <= 4; seed++) {
            Random rnd = new Random(seed);
            int n = 1, c = 3, h = 5, w = 6, ph = 2, pw = 2;
            double[] x = randomData(rnd, n * c * h * w);
            // random non-integer boxes, so no sample sits on a kink of the bilinear weights
            double[] rois = {0, 0.3 + rnd.nextDouble(), 0.2 + rnd.nextDouble(), 3.1 + rnd.nextDouble(), 3.3 + rnd.nextDouble(),
                             0, 1.7 * rnd.nextDouble(), 0.1, 5.6, 4.2 + rnd.nextDouble() * 0.5};
            for (boolean aligned : new boolean[] {false, true}) {
                double[] g = randomData(rnd, 2 * c * ph * pw);
                double[] analytic = bwd(g, rois, n, c, h, w, ph, pw, 1, 2, aligned);
                double eps = 1e-6;
                for (int i = 0; i < x.length; i++) {
                    double[] xp = x.clone(), xm = x.clone();
                    xp[i] += eps;
                    xm[i] -= eps;
                    double lp = dot(g, fwd(xp, new long[] {n, c, h, w}, rois, ph, pw, 1, 2, aligned));
                    double lm = dot(g, fwd(xm, new long[] {n, c, h, w}, rois, ph, pw, 1, 2, aligned));
                    assertEquals((lp - lm) / (2 * eps), analytic[i], 1e-7, "seed " + seed + " element " + i);
                }
            }
        }
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    // ---- determinism: thread counts and SIMD variants ------------------------------------

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = CpuOptions.Isa.class, names = {"BASELINE", "AVX2", "AVX512"})
    void bitIdenticalAcrossThreadsAndIsas(CpuOptions.Isa isa) {
        Isas.assumeSupported(isa);
        Random rnd = new Random(7);
        int n = 2, c = 37, h = 23, w = 19, k = 40;
        double[] rois = randomRois(rnd, k, n, h * 2.0, w * 2.0);
        try (Tensor in32 = Tensor.of(toFloat(randomData(rnd, n * c * h * w)), n, c, h, w);
             Tensor r32 = Tensor.of(toFloat(rois), k, 5);
             Tensor g32 = Tensor.of(toFloat(randomData(rnd, k * c * 9)), k, c, 3, 3);
             Tensor in64 = Tensor.of(randomData(rnd, n * c * h * w), n, c, h, w);
             Tensor r64 = Tensor.of(rois, k, 5);
             Tensor g64 = Tensor.of(randomData(rnd, k * c * 9), k, c, 3, 3)) {
            for (int sr : new int[] {0, 2}) {
                CpuOptions.setThreads(1);
                CpuOptions.setIsa(CpuOptions.Isa.BASELINE);
                float[] f0 = run32(in32, r32, sr), b0 = back32(g32, r32, sr);
                double[] d0 = run64(in64, r64, sr), e0 = back64(g64, r64, sr);
                for (int t = 1; t <= 3; t++) {
                    CpuOptions.setIsa(isa);
                    CpuOptions.setThreads(t);
                    String what = isa + " threads=" + t + " sr=" + sr;
                    assertArrayEquals(f0, run32(in32, r32, sr), 0f, "float32 forward " + what);
                    assertArrayEquals(b0, back32(g32, r32, sr), 0f, "float32 backward " + what);
                    assertArrayEquals(d0, run64(in64, r64, sr), 0.0, "float64 forward " + what);
                    assertArrayEquals(e0, back64(g64, r64, sr), 0.0, "float64 backward " + what);
                }
            }
        }
    }

    private static float[] run32(Tensor in, Tensor r, int sr) {
        try (Tensor o = RoiAlign.forward(in, r, new int[] {3}, 0.5, sr, true)) {
            return o.toFloatArray();
        }
    }

    private static double[] run64(Tensor in, Tensor r, int sr) {
        try (Tensor o = RoiAlign.forward(in, r, new int[] {3, 3}, 0.5, sr, false)) {
            return o.toDoubleArray();
        }
    }

    private static float[] back32(Tensor g, Tensor r, int sr) {
        try (Tensor o = RoiAlign.backward(g, r, 2, 37, 23, 19, 0.5, sr, true)) {
            return o.toFloatArray();
        }
    }

    private static double[] back64(Tensor g, Tensor r, int sr) {
        try (Tensor o = RoiAlign.backward(g, r, 2, 37, 23, 19, 0.5, sr, false)) {
            return o.toDoubleArray();
        }
    }

    // ---- empty inputs and validation -----------------------------------------------------

    @Test
    void emptyInputs() {
        try (Tensor in = Tensor.zeros(dev.nativeext.tensor.DType.FLOAT32, Device.CPU, 1, 4, 5, 5);
             Tensor r = Tensor.zeros(dev.nativeext.tensor.DType.FLOAT32, Device.CPU, 0, 5);
             Tensor out = RoiAlign.forward(in, r, 7, 7, 0.25, 2, true);
             Tensor g = RoiAlign.backward(out, r, 1, 4, 5, 5, 0.25, 2, true)) {
            assertArrayEquals(new long[] {0, 4, 7, 7}, out.shape());
            assertArrayEquals(new float[100], g.toFloatArray(), 0f);
        }
        try (Tensor in = Tensor.zeros(dev.nativeext.tensor.DType.FLOAT64, Device.CPU, 0, 4, 5, 5);
             Tensor r = Tensor.zeros(dev.nativeext.tensor.DType.FLOAT64, Device.CPU, 0, 5);
             Tensor out = RoiAlign.forward(in, r, 2, 2, 1, 0, false)) {
            assertEquals(0, out.numel());
        }
    }

    @Test
    void rejectsBadArguments() {
        try (Tensor in = Tensor.of(new float[16], 1, 1, 4, 4); Tensor good = Tensor.of(new float[] {0, 0, 0, 2, 2}, 1, 5)) {
            Rejects.withMessage("rank 4", () -> RoiAlign.forward(Tensor.of(new float[16], 4, 4), good, 2, 2, 1, 0, true));
            Rejects.withMessage("[K,5]", () -> RoiAlign.forward(in, Tensor.of(new float[4], 1, 4), 2, 2, 1, 0, true));
            Rejects.withMessage("dtype", () -> RoiAlign.forward(in, Tensor.of(new double[] {0, 0, 0, 2, 2}, 1, 5), 2, 2, 1, 0, true));
            Rejects.withMessage("float32 or float64", () -> RoiAlign.forward(Tensor.of(new int[16], 1, 1, 4, 4),
                    Tensor.of(new int[] {0, 0, 0, 2, 2}, 1, 5), 2, 2, 1, 0, true));
            Rejects.withMessage("row 0 has a non-finite value NaN", () -> RoiAlign.forward(in, Tensor.of(new float[] {0, Float.NaN, 0, 2, 2}, 1, 5), 2, 2, 1, 0, true));
            Rejects.withMessage("row 1 has batch index 1.0", () -> RoiAlign.forward(in, Tensor.of(new float[] {0, 0, 0, 2, 2, 1, 0, 0, 2, 2}, 2, 5), 2, 2, 1, 0, true));
            Rejects.withMessage("batch index 0.5", () -> RoiAlign.forward(in, Tensor.of(new float[] {0.5f, 0, 0, 2, 2}, 1, 5), 2, 2, 1, 0, true));
            Rejects.withMessage("batch index -1.0", () -> RoiAlign.forward(in, Tensor.of(new float[] {-1, 0, 0, 2, 2}, 1, 5), 2, 2, 1, 0, true));
            Rejects.withMessage("outputHeight must be > 0, got 0", () -> RoiAlign.forward(in, good, 0, 2, 1, 0, true));
            Rejects.withMessage("outputWidth must be > 0, got -3", () -> RoiAlign.forward(in, good, 2, -3, 1, 0, true));
            Rejects.withMessage("spatialScale must be finite and > 0, got NaN", () -> RoiAlign.forward(in, good, 2, 2, Double.NaN, 0, true));
            Rejects.withMessage("spatialScale must be finite and > 0, got 0.0", () -> RoiAlign.forward(in, good, 2, 2, 0, 0, true));
            Rejects.withMessage("outputSize", () -> RoiAlign.forward(in, good, new int[] {1, 2, 3}, 1, 0, true));
            Rejects.withMessage("gradOutput must be [K=1,C=2", () -> RoiAlign.backward(Tensor.of(new float[4], 1, 1, 2, 2), good, 1, 2, 4, 4, 1, 0, true));
        }
    }

    // ---- CUDA parity ---------------------------------------------------------------------

    @Test
    @RequiresCuda
    void cudaMatchesCpu() {
        Random rnd = new Random(11);
        int n = 2, c = 21, h = 17, w = 23, k = 30;
        double[] rois = randomRois(rnd, k, n, h * 4.0, w * 4.0);
        for (boolean aligned : new boolean[] {false, true}) {
            for (int sr : new int[] {0, 2}) {
                try (Tensor in = Tensor.of(toFloat(randomData(rnd, n * c * h * w)), n, c, h, w);
                     Tensor r = Tensor.of(toFloat(rois), k, 5);
                     Tensor g = Tensor.of(toFloat(randomData(rnd, k * c * 49)), k, c, 7, 7);
                     Tensor inD = in.to(Device.cuda(0)); Tensor rD = r.to(Device.cuda(0)); Tensor gD = g.to(Device.cuda(0));
                     Tensor cpu = RoiAlign.forward(in, r, 7, 7, 0.25, sr, aligned);
                     Tensor gpu = RoiAlign.forward(inD, rD, 7, 7, 0.25, sr, aligned);
                     Tensor gpuHost = gpu.to(Device.CPU);
                     Tensor bc = RoiAlign.backward(g, r, n, c, h, w, 0.25, sr, aligned);
                     Tensor ba = RoiAlign.backward(gD, rD, n, c, h, w, 0.25, sr, aligned, false);
                     Tensor bd = RoiAlign.backward(gD, rD, n, c, h, w, 0.25, sr, aligned, true);
                     Tensor bd2 = RoiAlign.backward(gD, rD, n, c, h, w, 0.25, sr, aligned, true);
                     Tensor baH = ba.to(Device.CPU); Tensor bdH = bd.to(Device.CPU); Tensor bd2H = bd2.to(Device.CPU)) {
                    assertTrue(maxRelErr(toDouble(cpu.toFloatArray()), toDouble(gpuHost.toFloatArray())) < 1e-5);
                    assertTrue(maxRelErr(toDouble(bc.toFloatArray()), toDouble(baH.toFloatArray())) < 1e-4);
                    assertTrue(maxRelErr(toDouble(bc.toFloatArray()), toDouble(bdH.toFloatArray())) < 1e-4);
                    assertArrayEquals(bdH.toFloatArray(), bd2H.toFloatArray(), 0f, "deterministic mode reruns");
                }
            }
        }
    }
}
