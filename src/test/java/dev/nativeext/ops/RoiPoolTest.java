package dev.nativeext.ops;

import dev.nativeext.testing.RestoreCpuOptions;
import org.junit.jupiter.api.extension.ExtendWith;
import dev.nativeext.RequiresCuda;
import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

@ExtendWith(RestoreCpuOptions.class)
class RoiPoolTest {

    @Test
    void t5HandCases() {
        try (Tensor x = Tensor.of(new float[] {1, 2, 3, 4}, 1, 1, 2, 2); Tensor r = Tensor.of(new float[] {0, 0, 0, 1, 1}, 1, 5);
             RoiPool.Result res = RoiPool.forward(x, r, 2, 2, 1)) {
            assertArrayEquals(new float[] {1, 2, 3, 4}, res.output().toFloatArray(), 0f);
            assertArrayEquals(new int[] {0, 1, 2, 3}, res.argmax().toIntArray());
        }
        double[] x4 = {1, 2, 5, 6, 3, 4, 7, 8, 9, 10, 13, 14, 11, 12, 15, 16};
        try (Tensor x = Tensor.of(x4, 1, 1, 4, 4); Tensor r = Tensor.of(new double[] {0, 0, 0, 3, 3}, 1, 5);
             RoiPool.Result res = RoiPool.forward(x, r, new int[] {2}, 1);
             Tensor g = Tensor.of(new double[] {1, 1, 1, 1}, 1, 1, 2, 2);
             Tensor gin = RoiPool.backward(g, res.argmax(), r, 1, 1, 4, 4)) {
            assertArrayEquals(new double[] {4, 8, 12, 16}, res.output().toDoubleArray(), 0);
            assertArrayEquals(new int[] {5, 7, 13, 15}, res.argmax().toIntArray());
            double[] want = new double[16];
            want[5] = want[7] = want[13] = want[15] = 1;
            assertArrayEquals(want, gin.toDoubleArray(), 0);
        }
    }

    @Test
    void emptyBinAndTies() {
        // roi entirely right of the map: every bin is empty -> 0 and argmax -1; ties -> first pixel.
        try (Tensor x = Tensor.of(new float[] {7, 7, 7, 7}, 1, 1, 2, 2);
             Tensor r = Tensor.of(new float[] {0, 5, 0, 9, 1, 0, 0, 0, 1, 1}, 2, 5);
             RoiPool.Result res = RoiPool.forward(x, r, 1, 1, 1)) {
            assertArrayEquals(new float[] {0, 7}, res.output().toFloatArray(), 0f);
            assertArrayEquals(new int[] {-1, 0}, res.argmax().toIntArray());
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = CpuOptions.Isa.class, names = {"BASELINE", "AVX2", "AVX512"})
    void matchesReferenceAndIsThreadInvariant(CpuOptions.Isa isa) {
        Isas.assumeSupported(isa);
        CpuOptions.setIsa(isa);
        Random rnd = new Random(3);
        int[][] shapes = {{2, 5, 10, 10}, {1, 7, 1, 9}, {2, 3, 8, 1}, {1, 17, 13, 11}};
        for (int[] sh : shapes) {
            int n = sh[0], c = sh[1], h = sh[2], w = sh[3], k = 1 + rnd.nextInt(12), ph = 1 + rnd.nextInt(4), pw = 1 + rnd.nextInt(4);
            double scale = rnd.nextBoolean() ? 1 : 0.5;
            double[] x = new double[n * c * h * w];
            for (int i = 0; i < x.length; i++) x[i] = rnd.nextInt(50) - 25; // integers: many ties
            double[] rois = new double[k * 5];
            for (int i = 0; i < k; i++) {
                rois[i * 5] = rnd.nextInt(n);
                for (int j = 1; j < 5; j++) rois[i * 5 + j] = rnd.nextInt((int) ((j % 2 == 1 ? w : h) / scale) + 6) - 3;
            }
            double[] ref = RoiPoolReference.forward(x, c, h, w, rois, ph, pw, scale);
            int m = ref.length / 2;
            double[] g = new double[m];
            for (int i = 0; i < m; i++) g[i] = rnd.nextDouble();
            double[] gwant = new double[x.length];
            for (int i = 0; i < m; i++) {
                int a = (int) ref[m + i];
                int kk = i / (c * ph * pw), ch = (i / (ph * pw)) % c, b = (int) rois[kk * 5];
                if (a >= 0) gwant[(b * c + ch) * h * w + a] += g[i];
            }
            for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                for (int t = 1; t <= 3; t++) {
                    CpuOptions.setThreads(t);
                    try (Tensor xt = of(dt, x, n, c, h, w); Tensor rt = of(dt, rois, k, 5); Tensor gt = of(dt, g, k, c, ph, pw);
                         RoiPool.Result res = RoiPool.forward(xt, rt, ph, pw, scale);
                         Tensor gin = RoiPool.backward(gt, res.argmax(), rt, n, c, h, w)) {
                        String what = Arrays.toString(sh) + " " + dt + " threads=" + t + " " + isa;
                        assertArrayEquals(Arrays.copyOf(ref, m), values(res.output()), 0, what);
                        int[] am = res.argmax().toIntArray();
                        for (int i = 0; i < m; i++) assertEquals((int) ref[m + i], am[i], what + " argmax " + i);
                        assertArrayEquals(gwant, values(gin), dt == DType.FLOAT32 ? 1e-5 : 1e-12, what);
                    }
                }
            }
        }
    }

    static Tensor of(DType dt, double[] v, long... shape) {
        if (dt == DType.FLOAT64) return Tensor.of(v, shape);
        return Tensor.of(RoiAlignTest.toFloat(v), shape);
    }

    static double[] values(Tensor t) {
        return t.dtype() == DType.FLOAT64 ? t.toDoubleArray() : RoiAlignTest.toDouble(t.toFloatArray());
    }

    @Test
    void emptyAndBadInputs() {
        try (Tensor x = Tensor.zeros(DType.FLOAT32, Device.CPU, 1, 3, 4, 4); Tensor r = Tensor.zeros(DType.FLOAT32, Device.CPU, 0, 5);
             RoiPool.Result res = RoiPool.forward(x, r, 2, 2, 1)) {
            assertArrayEquals(new long[] {0, 3, 2, 2}, res.output().shape());
        }
        try (Tensor x = Tensor.of(new float[16], 1, 1, 4, 4); Tensor good = Tensor.of(new float[] {0, 0, 0, 2, 2}, 1, 5)) {
            Rejects.withMessage("batch index 3.0", () -> RoiPool.forward(x, Tensor.of(new float[] {3, 0, 0, 2, 2}, 1, 5), 2, 2, 1));
            Rejects.withMessage("non-finite value Infinity", () -> RoiPool.forward(x, Tensor.of(new float[] {0, 0, Float.POSITIVE_INFINITY, 2, 2}, 1, 5), 2, 2, 1));
            Rejects.withMessage("outputWidth must be > 0", () -> RoiPool.forward(x, good, 2, 0, 1));
            Rejects.withMessage("spatialScale", () -> RoiPool.forward(x, good, 2, 2, -1));
            Rejects.withMessage("argmax must be int32", () -> RoiPool.backward(Tensor.of(new float[4], 1, 1, 2, 2),
                    Tensor.of(new float[4], 1, 1, 2, 2), good, 1, 1, 4, 4));
        }
    }

    @Test
    @RequiresCuda
    void cudaMatchesCpu() {
        Random rnd = new Random(5);
        int n = 2, c = 9, h = 15, w = 21, k = 25;
        float[] x = new float[n * c * h * w];
        for (int i = 0; i < x.length; i++) x[i] = rnd.nextFloat();
        float[] rois = new float[k * 5];
        for (int i = 0; i < k; i++) {
            rois[i * 5] = rnd.nextInt(n);
            for (int j = 1; j < 5; j++) rois[i * 5 + j] = rnd.nextInt(90) - 5;
        }
        try (Tensor xt = Tensor.of(x, n, c, h, w); Tensor rt = Tensor.of(rois, k, 5);
             Tensor xd = xt.to(Device.cuda(0)); Tensor rd = rt.to(Device.cuda(0));
             RoiPool.Result cpu = RoiPool.forward(xt, rt, 7, 7, 0.25); RoiPool.Result gpu = RoiPool.forward(xd, rd, 7, 7, 0.25);
             Tensor go = gpu.output().to(Device.CPU); Tensor ga = gpu.argmax().to(Device.CPU);
             Tensor gin = RoiPool.backward(cpu.output(), cpu.argmax(), rt, n, c, h, w);
             Tensor gind = RoiPool.backward(gpu.output(), gpu.argmax(), rd, n, c, h, w); Tensor gh = gind.to(Device.CPU)) {
            assertArrayEquals(cpu.output().toFloatArray(), go.toFloatArray(), 1e-6f);
            assertArrayEquals(cpu.argmax().toIntArray(), ga.toIntArray());
            assertArrayEquals(gin.toFloatArray(), gh.toFloatArray(), 1e-4f);
        }
    }
}
