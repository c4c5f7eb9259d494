package dev.nativeext.ops;

import dev.nativeext.RequiresCuda;
import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NmsTest {


    @AfterEach
    void restore() {
        CpuOptions.setIsa(CpuOptions.Isa.AUTO);
        CpuOptions.setThreads(Runtime.getRuntime().availableProcessors());
    }

    /** One case: boxes as doubles (exact float values when f32), run natively in that dtype. */
    record Case(double[] boxes, double[] scores, long[] idxs, double thr, Nms.Options options, boolean f32) {
        int n() {
            return scores.length;
        }

        long[] reference() {
            long[] keep = NmsReference.nms(boxes, f32 ? rounded(scores) : scores, idxs, thr, options.offset(), options.suppressOnEqual(), f32);
            if (options.sortByIndex()) Arrays.sort(keep);
            return keep;
        }

        long[] run(Device dev) {
            try (Tensor b = tensor(boxes, f32, n(), 4).to(dev); Tensor s = tensor(scores, f32, n()).to(dev);
                 Tensor i = idxs == null ? null : Tensor.of(idxs, n()).to(dev);
                 Tensor k = i == null ? Nms.nms(b, s, thr, options) : Nms.batchedNms(b, s, i, thr, options)) {
                assertEquals(DType.INT64, k.dtype());
                assertEquals(dev, k.device());
                try (Tensor h = k.to(Device.CPU)) {
                    return h.toLongArray();
                }
            }
        }
    }

    static Tensor tensor(double[] v, boolean f32, long... shape) {
        if (!f32) return Tensor.of(v.clone(), shape);
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return Tensor.of(f, shape);
    }

    static long[] cpu(double[] boxes, double[] scores, double thr, Nms.Options o) {
        return new Case(boxes, scores, null, thr, o, false).run(Device.CPU);
    }

    // ---- docs/ops.md §9 hand-checkable cases -----------------------------------------------------

    @Test
    void t6MmcvCase() {
        double[] b = {6, 3, 8, 7, 3, 6, 9, 11, 3, 7, 10, 12, 1, 4, 13, 7};
        double[] s = {.6, .9, .7, .2};
        assertArrayEquals(new long[]{1, 0, 3}, cpu(b, s, 0.3, Nms.Options.TORCHVISION));
        assertEquals(24.0 / 41.0, NmsReference.iouDouble(b, 1, 2, 0), 1e-15);
    }

    @Test
    void t7CaffeCase() {
        double[] b = {10, 10, 50, 60, 11, 12, 48, 60, 8, 9, 40, 50, 100, 100, 150, 140, 99, 110, 155, 139};
        double[] s = {.5, .7, .6, .9, .8};
        for (double thr : new double[]{0.1, 0.3, 0.5}) {
            long[] k = cpu(b, s, thr, Nms.Options.TORCHVISION);
            Arrays.sort(k);
            assertArrayEquals(new long[]{1, 3}, k, "thr " + thr);
        }
        long[] k = cpu(b, s, 0.8, Nms.Options.TORCHVISION);
        Arrays.sort(k);
        assertArrayEquals(new long[]{1, 2, 3, 4}, k);
        assertArrayEquals(new long[]{3, 4, 1, 2, 0}, cpu(b, s, 0.9, Nms.Options.TORCHVISION));
    }

    @Test
    void t8LegacyOffsetAndComparison() {
        double[] b = {0, 0, 2, 1, 1, 0, 3, 1};
        double[] s = {.9, .8};
        assertArrayEquals(new long[]{0}, cpu(b, s, 0.5, Nms.Options.MASKRCNN_BENCHMARK_CPU));
        assertArrayEquals(new long[]{0, 1}, cpu(b, s, 0.5, Nms.Options.MASKRCNN_BENCHMARK_CUDA));
        assertArrayEquals(new long[]{0, 1}, cpu(b, s, 0.5, Nms.Options.TORCHVISION));
        for (boolean f32 : new boolean[]{false, true}) {
            assertArrayEquals(new long[]{0}, new Case(b, s, null, 0.5, Nms.Options.MASKRCNN_BENCHMARK_CPU, f32).run(Device.CPU));
        }
        assertEquals(1.0 / 7.0, NmsReference.iouDouble(new double[]{0, 0, 1, 1, 1, 1, 2, 2}, 0, 1, 1), 1e-15);
        assertArrayEquals(new long[]{1, 0}, cpu(new double[]{0, 0, 1, 1, 1, 1, 2, 2}, new double[]{.1, .2}, 1.0 / 7.0,
                Nms.Options.TORCHVISION));
    }

    @Test
    void t9LargeAreasBothDtypes() {
        double[] b = {285.3538, 185.5758, 1193.5110, 851.4551, 285.1472, 188.7374, 1192.4984, 851.0669,
                279.2440, 197.9812, 1189.4746, 849.2019};
        double[] s = {.6370, .7569, .3966};
        for (boolean f32 : new boolean[]{false, true}) {
            assertArrayEquals(new long[]{1}, new Case(b, s, null, 0.2, Nms.Options.TORCHVISION, f32).run(Device.CPU));
        }
    }

    @Test
    void emptySingleAndDegenerate() {
        assertArrayEquals(new long[0], cpu(new double[0], new double[0], 0.5, Nms.Options.TORCHVISION));
        assertArrayEquals(new long[]{0}, cpu(new double[]{1, 1, 2, 2}, new double[]{0.3}, 0.5, Nms.Options.TORCHVISION));
        // Two identical zero-area boxes: IoU 0/0 = NaN, which suppresses nothing (§4 step 3).
        assertArrayEquals(new long[]{0, 1}, cpu(new double[]{5, 5, 5, 5, 5, 5, 5, 5}, new double[]{.5, .5}, 0.0,
                Nms.Options.TORCHVISION));
        // Ties keep index order; duplicates suppress the later one.
        assertArrayEquals(new long[]{0, 2}, cpu(new double[]{0, 0, 4, 4, 0, 0, 4, 4, 10, 10, 12, 12}, new double[]{.5, .5, .5}, 0.5,
                Nms.Options.TORCHVISION));
        // NaN scores rank first; -0 ties with +0.
        assertArrayEquals(new long[]{2, 0, 1}, cpu(new double[]{0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5},
                new double[]{-0.0, 0.0, Double.NaN}, 0.5, Nms.Options.TORCHVISION));
    }

    // ---- randomised suites against the reference ----------------------------------------------

    static Case randomCase(long seed) {
        Random r = new Random(seed);
        int kind = (int) (seed % 5);
        int n = switch ((int) (seed % 7)) {
            case 0 -> r.nextInt(3);
            case 1 -> 1 + r.nextInt(40);
            case 2, 3 -> 100 + r.nextInt(400);
            default -> 300 + r.nextInt(1200);
        };
        double[] b = new double[4 * n];
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            double x, y, w, h;
            if (kind == 0) {                    // detector-like clusters
                int c = r.nextInt(Math.max(1, n / 20));
                Random cr = new Random(seed * 1000 + c);
                double cx = cr.nextDouble() * 800, cy = cr.nextDouble() * 800, cw = 16 + cr.nextDouble() * 384;
                x = cx + r.nextGaussian() * cw * 0.1;
                y = cy + r.nextGaussian() * cw * 0.1;
                w = cw * (0.8 + 0.4 * r.nextDouble());
                h = cw * (0.5 + r.nextDouble());
                x -= w / 2;
                y -= h / 2;
            } else if (kind == 1) {             // uniform random boxes
                x = r.nextDouble() * 800;
                y = r.nextDouble() * 800;
                w = 16 + r.nextDouble() * 384;
                h = 16 + r.nextDouble() * 384;
            } else if (kind == 2) {             // small integer grid: duplicates, touching, zero-area, exact IoUs
                x = r.nextInt(6);
                y = r.nextInt(6);
                w = r.nextInt(4);
                h = r.nextInt(4);
            } else if (kind == 3) {             // mixed: negative, out-of-image and tiny boxes
                x = -50 + r.nextDouble() * 900;
                y = -50 + r.nextDouble() * 900;
                w = r.nextInt(10) == 0 ? -r.nextDouble() * 5 : r.nextInt(10) == 0 ? 1e-4 : r.nextDouble() * 200;
                h = r.nextDouble() * 200;
            } else {                            // many near-duplicates of a few boxes
                int c = r.nextInt(5);
                x = c * 30 + r.nextInt(3);
                y = c * 20 + r.nextInt(3);
                w = 40 + r.nextInt(3);
                h = 40 + r.nextInt(3);
            }
            b[4 * i] = x;
            b[4 * i + 1] = y;
            b[4 * i + 2] = x + w;
            b[4 * i + 3] = y + h;
            s[i] = kind == 2 || r.nextInt(4) == 0 ? r.nextInt(5) / 4.0 : r.nextDouble();
        }
        boolean f32 = r.nextBoolean();
        if (f32) for (int i = 0; i < b.length; i++) b[i] = (float) b[i];
        double[] thrs = {0.0, 0.05, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0, 1.0 / 3.0, 0.01, -0.1};
        double thr = thrs[r.nextInt(thrs.length)];
        Nms.Options o = new Nms.Options(r.nextInt(3) == 0 ? 1 : 0, r.nextBoolean(), false);
        long[] idxs = null;
        if (r.nextInt(3) == 0) {
            idxs = new long[n];
            int classes = 1 + r.nextInt(5);
            for (int i = 0; i < n; i++) idxs[i] = r.nextInt(classes) * (r.nextBoolean() ? -7L : 1L);
        }
        return new Case(b, s, idxs, thr, o, f32);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = CpuOptions.Isa.class, names = {"BASELINE", "AVX2", "AVX512"})
    void randomCasesMatchReferenceForEveryIsa(CpuOptions.Isa isa) {
        Isas.assumeSupported(isa);
        CpuOptions.setIsa(isa);
        for (long seed = 0; seed < 140; seed++) {
            Case c = randomCase(seed);
            assertArrayEquals(c.reference(), c.run(Device.CPU), "seed " + seed + " isa " + isa + " n " + c.n() + " thr " + c.thr()
                    + " " + c.options() + " f32 " + c.f32() + " batched " + (c.idxs() != null));
        }
    }

    /**
     * Hundreds of integer boxes whose IoUs land exactly on the thresholds: the kernel's fast
     * bound test cannot decide those lanes and must fall back to the exact division, in every
     * variant and both comparison modes.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = CpuOptions.Isa.class, names = {"BASELINE", "AVX2", "AVX512"})
    void exactTiesAtTheThresholdInLargeInputsMatchTheReference(CpuOptions.Isa isa) {
        Isas.assumeSupported(isa);
        CpuOptions.setIsa(isa);
        java.util.SplittableRandom r = new java.util.SplittableRandom(99);
        double[] thrs = {1.0 / 3.0, 0.5, 0.25, 1.0 / 7.0};
        for (int trial = 0; trial < 24; trial++) {
            int n = 300;
            double[] b = new double[4 * n];
            double[] sc = new double[n];
            for (int i = 0; i < n; i++) {
                double x = r.nextInt(20), y = r.nextInt(20), w = 2 * (1 + r.nextInt(3)), h = 2 * (1 + r.nextInt(3));
                b[4 * i] = x;
                b[4 * i + 1] = y;
                b[4 * i + 2] = x + w;
                b[4 * i + 3] = y + h;
                sc[i] = r.nextInt(50) / 49.0;
            }
            Nms.Options o = new Nms.Options(trial % 3 == 0 ? 1 : 0, trial % 2 == 0, false);
            Case c = new Case(b, sc, null, thrs[trial % thrs.length], o, trial % 4 == 0);
            assertArrayEquals(c.reference(), c.run(Device.CPU), "trial " + trial + " isa " + isa + " thr " + c.thr() + " " + o);
        }
    }

    /** torchvision's test: the last box is the first widened so that IoU = thr + 1e-5. */
    @Test
    void iouJustAboveThreshold() {
        for (double thr : new double[]{0.2, 0.5, 0.8}) {
            for (long seed = 0; seed < 10; seed++) {
                Random r = new Random(seed);
                int n = 1000;
                double[] b = new double[4 * n];
                double[] s = new double[n];
                for (int i = 0; i < n; i++) {
                    double x = r.nextDouble() * 100, y = r.nextDouble() * 100;
                    b[4 * i] = x;
                    b[4 * i + 1] = y;
                    b[4 * i + 2] = x + r.nextDouble() * 100;
                    b[4 * i + 3] = y + r.nextDouble() * 100;
                    s[i] = r.nextDouble();
                }
                double scale = 1 / (thr + 1e-5);
                b[4 * (n - 1)] = b[0];
                b[4 * (n - 1) + 1] = b[1];
                b[4 * (n - 1) + 3] = b[3];
                b[4 * (n - 1) + 2] = b[0] + (b[2] - b[0]) * scale;
                for (boolean f32 : new boolean[]{false, true}) {
                    Case c = new Case(f32 ? rounded(b) : b, s, null, thr, Nms.Options.TORCHVISION, f32);
                    assertArrayEquals(c.reference(), c.run(Device.CPU), "thr " + thr + " seed " + seed + " f32 " + f32);
                }
            }
        }
    }

    static double[] rounded(double[] v) {
        double[] o = new double[v.length];
        for (int i = 0; i < v.length; i++) o[i] = (float) v[i];
        return o;
    }

    @Test
    void batchedEqualsPerClassUnion() {
        Random r = new Random(7);
        int n = 1000;
        double[] b = new double[4 * n];
        double[] s = new double[n];
        long[] idx = new long[n];
        for (int i = 0; i < n; i++) {
            double x = r.nextDouble() * 100, y = r.nextDouble() * 100;
            b[4 * i] = x;
            b[4 * i + 1] = y;
            b[4 * i + 2] = x + 10 + r.nextDouble() * 50;
            b[4 * i + 3] = y + 10 + r.nextDouble() * 50;
            s[i] = r.nextDouble();
            idx[i] = r.nextInt(4);
        }
        long[] got = new Case(b, s, idx, 0.9, Nms.Options.TORCHVISION, false).run(Device.CPU);
        // Vanilla: one NMS per class on the selected boxes, mapped back, merged by score.
        java.util.List<Long> all = new java.util.ArrayList<>();
        for (int c = 0; c < 4; c++) {
            final long cls = c;
            int[] sel = java.util.stream.IntStream.range(0, n).filter(i -> idx[i] == cls).toArray();
            double[] cb = new double[4 * sel.length];
            double[] cs = new double[sel.length];
            for (int k = 0; k < sel.length; k++) {
                System.arraycopy(b, 4 * sel[k], cb, 4 * k, 4);
                cs[k] = s[sel[k]];
            }
            for (long k : cpu(cb, cs, 0.9, Nms.Options.TORCHVISION)) all.add((long) sel[(int) k]);
        }
        all.sort((x, y) -> Double.compare(s[(int) (long) y], s[(int) (long) x]));
        assertArrayEquals(all.stream().mapToLong(Long::longValue).toArray(), got);
    }

    @Test
    void threadCountsGiveIdenticalResults() {
        for (long seed = 0; seed < 10; seed++) {
            Case c = randomCase(seed * 7 + 3);
            CpuOptions.setThreads(1);
            long[] one = c.run(Device.CPU);
            for (int t = 2; t <= 3; t++) {
                CpuOptions.setThreads(t);
                assertArrayEquals(one, c.run(Device.CPU));
            }
        }
    }

    @Test
    void legacyOutputIsSortedByIndex() {
        Case c = randomCase(12);
        Case legacy = new Case(c.boxes(), c.scores(), c.idxs(), 0.5, Nms.Options.MASKRCNN_BENCHMARK_CPU, c.f32());
        long[] got = legacy.run(Device.CPU);
        for (int i = 1; i < got.length; i++) assertTrue(got[i - 1] < got[i]);
        assertArrayEquals(legacy.reference(), got);
    }

    // ---- validation ---------------------------------------------------------------------------

    @Test
    void rejectsBadInputs() {
        try (Tensor b = Tensor.of(new float[]{0, 0, 1, 1, 0, 0, 1, Float.NaN}, 2, 4); Tensor s = Tensor.of(new float[]{1, 2}, 2);
             Tensor good = Tensor.of(new float[]{0, 0, 1, 1, 0, 0, 1, 1}, 2, 4); Tensor b3 = Tensor.of(new float[6], 2, 3);
             Tensor sd = Tensor.of(new double[]{1, 2}, 2); Tensor s3 = Tensor.of(new float[3], 3);
             Tensor i32 = Tensor.of(new int[]{0, 1}, 2); Tensor i64 = Tensor.of(new long[]{0, 1, 2}, 3);
             Tensor bi = Tensor.of(new long[8], 2, 4)) {
            Rejects.withMessage("boxes[1] has a non-finite coordinate NaN at column 3", () -> Nms.nms(b, s, 0.5));
            Rejects.withMessage("boxes must be [N, 4]", () -> Nms.nms(b3, s, 0.5));
            Rejects.withMessage("boxes must be float32 or float64, got INT64", () -> Nms.nms(bi, s, 0.5));
            Rejects.withMessage("scores must have the dtype of boxes", () -> Nms.nms(good, sd, 0.5));
            Rejects.withMessage("scores must be [2], got [3]", () -> Nms.nms(good, s3, 0.5));
            Rejects.withMessage("iouThreshold must be finite", () -> Nms.nms(good, s, Double.NaN));
            Rejects.withMessage("idxs must be int64, got INT32", () -> Nms.batchedNms(good, s, i32, 0.5));
            Rejects.withMessage("idxs must be [2], got [3]", () -> Nms.batchedNms(good, s, i64, 0.5));
            Rejects.withMessage("offset must be 0", () -> new Nms.Options(0.5, false, false));
        }
    }

    // ---- CUDA ---------------------------------------------------------------------------------

    @Test
    @RequiresCuda
    void cudaEqualsCpu() {
        for (long seed = 0; seed < 60; seed++) {
            Case c = randomCase(seed);
            assertArrayEquals(c.run(Device.CPU), c.run(Device.cuda(0)), "seed " + seed);
        }
    }
}
