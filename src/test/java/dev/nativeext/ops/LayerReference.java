package dev.nativeext.ops;

import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.Tensor;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Float64 references of the layer ops, written from the math (PyTorch's definitions), and the
 * helpers their tests share: seeded data, tensors of either dtype, comparisons.
 */
final class LayerReference {

    private LayerReference() {
    }

    // ---- references ------------------------------------------------------------------------------

    /** x [n, c, hw]: relu?(x * scale[c] + shift[c] + residual). */
    static double[] channelAffine(double[] x, int n, int c, double[] scale, double[] shift, double[] residual, boolean relu) {
        int hw = x.length / (n * c);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            int ch = (i / hw) % c;
            double v = x[i] * (scale == null ? 1 : scale[ch]) + (shift == null ? 0 : shift[ch]);
            if (residual != null) v += residual[i];
            out[i] = relu ? Math.max(v, 0) : v;
        }
        return out;
    }

    /** maskrcnn-benchmark/torchvision FrozenBatchNorm2d as written there: x * w / sqrt(v + eps) + (b - m * w / sqrt(v + eps)). */
    static double[] frozenBn(double[] x, int n, int c, double[] w, double[] b, double[] m, double[] v, double eps) {
        double[] scale = new double[c], shift = new double[c];
        for (int i = 0; i < c; i++) {
            scale[i] = w[i] / Math.sqrt(v[i] + eps);
            shift[i] = b[i] - m[i] * scale[i];
        }
        return channelAffine(x, n, c, scale, shift, null, false);
    }

    /** Two-pass mean and biased variance per (b, group); w, b may be null. */
    static double[] groupNorm(double[] x, int n, int c, int groups, double eps, double[] w, double[] b, boolean relu) {
        int hw = x.length / (n * c), cpg = c / groups, len = cpg * hw;
        double[] out = new double[x.length];
        for (int g = 0; g < n * groups; g++) {
            double mean = 0, var = 0;
            for (int i = 0; i < len; i++) mean += x[g * len + i];
            mean /= len;
            for (int i = 0; i < len; i++) var += (x[g * len + i] - mean) * (x[g * len + i] - mean);
            var /= len;
            for (int i = 0; i < len; i++) {
                int ch = (g % groups) * cpg + i / hw;
                double v = (x[g * len + i] - mean) / Math.sqrt(var + eps) * (w == null ? 1 : w[ch]) + (b == null ? 0 : b[ch]);
                out[g * len + i] = relu ? Math.max(v, 0) : v;
            }
        }
        return out;
    }

    /** max over the window's positions inside the input, -inf when none; NaN wins. */
    static double[] maxPool(double[] x, int n, int c, int h, int w, int[] k, int[] s, int[] p, int[] d, int oh, int ow) {
        double[] out = new double[n * c * oh * ow];
        for (int pl = 0; pl < n * c; pl++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++) {
                    double m = Double.NEGATIVE_INFINITY;
                    for (int i = 0; i < k[0]; i++)
                        for (int j = 0; j < k[1]; j++) {
                            int y = oy * s[0] - p[0] + i * d[0], xx = ox * s[1] - p[1] + j * d[1];
                            if (y < 0 || y >= h || xx < 0 || xx >= w) continue;
                            double v = x[(pl * h + y) * w + xx];
                            if (Double.isNaN(v) || v > m) m = Double.isNaN(m) ? m : v;
                        }
                    out[(pl * oh + oy) * ow + ox] = m;
                }
        return out;
    }

    static double[] upsample(double[] x, int n, int c, int h, int w, int fh, int fw) {
        double[] out = new double[n * c * h * fh * w * fw];
        int oh = h * fh, ow = w * fw;
        for (int pl = 0; pl < n * c; pl++)
            for (int y = 0; y < oh; y++)
                for (int xx = 0; xx < ow; xx++) out[(pl * oh + y) * ow + xx] = x[(pl * h + y / fh) * w + xx / fw];
        return out;
    }

    /** Direct convolution, zero padding; wt [cout, cin/groups, k, k]; bias may be null. */
    static double[] conv2d(double[] x, int n, int cin, int h, int w, double[] wt, int cout, int k, double[] bias, int s, int p, int d) {
        int cpg = wt.length / (cout * k * k), groups = cin / cpg;
        int ho = (h + 2 * p - d * (k - 1) - 1) / s + 1, wo = (w + 2 * p - d * (k - 1) - 1) / s + 1;
        double[] out = new double[n * cout * ho * wo];
        for (int b = 0; b < n; b++)
            for (int co = 0; co < cout; co++) {
                int g = co / (cout / groups);
                for (int oy = 0; oy < ho; oy++)
                    for (int ox = 0; ox < wo; ox++) {
                        double acc = bias == null ? 0 : bias[co];
                        for (int cl = 0; cl < cpg; cl++)
                            for (int i = 0; i < k; i++)
                                for (int j = 0; j < k; j++) {
                                    int y = oy * s - p + i * d, xx = ox * s - p + j * d;
                                    if (y < 0 || y >= h || xx < 0 || xx >= w) continue;
                                    acc += wt[((co * cpg + cl) * k + i) * k + j] * x[((b * cin + g * cpg + cl) * h + y) * w + xx];
                                }
                        out[((b * cout + co) * ho + oy) * wo + ox] = acc;
                    }
            }
        return out;
    }

    static double sigmoid(double v) {
        return 1 / (1 + Math.exp(-v));
    }

    // ---- helpers ---------------------------------------------------------------------------------

    static double[] random(long seed, int count, double lo, double hi) {
        Random r = new Random(seed);
        double[] v = new double[count];
        for (int i = 0; i < count; i++) v[i] = lo + (hi - lo) * r.nextDouble();
        return v;
    }

    /** v rounded to float32 when f32 (so the reference sees the tensor's own values). */
    static double[] rounded(double[] v, boolean f32) {
        if (!f32) return v.clone();
        double[] o = new double[v.length];
        for (int i = 0; i < v.length; i++) o[i] = (float) v[i];
        return o;
    }

    static Tensor tensor(double[] v, boolean f32, long... shape) {
        return NmsTest.tensor(v, f32, shape);
    }

    static double[] values(Tensor t) {
        try (Tensor h = t.device().equals(Device.CPU) ? null : t.to(Device.CPU)) {
            Tensor s = h == null ? t : h;
            if (s.dtype() == DType.FLOAT64) return s.toDoubleArray();
            float[] f = s.toFloatArray();
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) d[i] = f[i];
            return d;
        }
    }

    /** |got - want| <= atol + rtol |want| elementwise; NaN where want is NaN; infinities equal. */
    static void assertClose(double[] want, double[] got, double rtol, double atol, String what) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++) {
            int k = i;
            if (Double.isNaN(want[i])) {
                assertTrue(Double.isNaN(got[i]), () -> what + " [" + k + "]: want NaN, got " + got[k]);
            } else if (Double.isInfinite(want[i])) {
                assertEquals(want[i], got[i], what + " [" + i + "]");
            } else {
                assertTrue(Math.abs(want[i] - got[i]) <= atol + rtol * Math.abs(want[i]),
                        () -> what + " [" + k + "]: want " + want[k] + ", got " + got[k]);
            }
        }
    }

    static double maxAbs(double[] v) {
        double m = 0;
        for (double x : v) if (Double.isFinite(x)) m = Math.max(m, Math.abs(x));
        return m;
    }

    /** The float32 tolerance: a few ulp of each element plus a few ulp of the largest (cancellation). */
    static void assertF32(double[] want, double[] got, String what) {
        assertClose(want, got, 4e-6, 4e-6 * Math.max(1, maxAbs(want)), what);
    }

    static void assertMatches(double[] want, double[] got, boolean f32, String what) {
        if (f32) assertF32(want, got, what);
        else assertClose(want, got, 1e-12, 1e-12 * Math.max(1, maxAbs(want)), what);
    }

    /** Bit-identical (NaN payloads aside; -0 and +0 distinct). */
    static void assertSameBits(double[] want, double[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            if (Double.isNaN(want[i]) && Double.isNaN(got[i])) continue;
            assertEquals(Double.doubleToLongBits(want[i]), Double.doubleToLongBits(got[i]), what + " [" + i + "]: " + want[i] + " vs " + got[i]);
        }
    }

    /** Runs {@code body} once per SIMD variant and thread count, restoring the defaults. */
    static void forEachIsaAndThreads(java.util.function.BiConsumer<CpuOptions.Isa, Integer> body) {
        CpuOptions.Isa isa0 = CpuOptions.isa();
        int t0 = CpuOptions.threads();
        try {
            for (CpuOptions.Isa isa : new CpuOptions.Isa[] {CpuOptions.Isa.BASELINE, CpuOptions.Isa.AVX2, CpuOptions.Isa.AVX512}) {
                for (int t : new int[] {1, 2, 3}) {
                    CpuOptions.setIsa(isa);
                    CpuOptions.setThreads(t);
                    body.accept(isa, t);
                }
            }
        } finally {
            CpuOptions.setIsa(isa0);
            CpuOptions.setThreads(t0);
        }
    }
}
