package dev.nativeext.ops;

import dev.nativeext.testing.RestoreCpuOptions;
import org.junit.jupiter.api.extension.ExtendWith;
import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static dev.nativeext.ops.Conv2dTest.Case;
import static dev.nativeext.ops.Conv2dTest.p;
import static dev.nativeext.ops.Conv2dTest.t;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link PreparedConv2d#forwardMaxPool} (the stem's conv + BN + ReLU + max-pool in one pass): the
 * bits of {@link PreparedConv2d#forward} then {@link MaxPool2d#forward} for every thread count and
 * isa, on odd sizes, several poolings (ceil_mode, dilation, stride above the kernel), and where the
 * fused kernel does not apply (float64, the GEMM path) through the two ops.
 */
@ExtendWith(RestoreCpuOptions.class)
class ConvMaxPoolTest {

    /** A pooling: kernel, stride, padding, dilation (each for h and w), ceil_mode. */
    record Pool(int[] k, int[] s, int[] p, int[] d, boolean ceil) {
        static Pool of(int k, int s, int p, int d, boolean ceil) {
            return new Pool(new int[] {k, k}, new int[] {s, s}, new int[] {p, p}, new int[] {d, d}, ceil);
        }
    }

    static final Pool STEM_POOL = Pool.of(3, 2, 1, 1, false);

    /** {fused, conv then pool}, raw bits (float32) or values (float64) as double arrays of bits. */
    static long[][] both(Case c, DType dt, boolean bn, boolean relu, Pool q) {
        try (Tensor tx = t(dt, c.x(), c.n(), c.cin(), c.h(), c.w()); Tensor tw = t(dt, c.wt(), c.cout(), c.cin() / c.p()[6], c.kh(), c.kw());
             Tensor tb = t(dt, c.bias(), c.cout()); Tensor ts = t(dt, c.scale(), c.cout()); Tensor tsh = t(dt, c.shift(), c.cout());
             PreparedConv2d pc = Conv2d.prepare(tw, bn ? null : tb, c.params(), bn ? ts : null, bn ? tsh : null);
             Tensor fused = pc.forwardMaxPool(tx, relu, q.k(), q.s(), q.p(), q.d(), q.ceil());
             Tensor y = pc.forward(tx, null, relu);
             Tensor ref = MaxPool2d.forward(y, q.k(), q.s(), q.p(), q.d(), q.ceil())) {
            assertArrayEquals(ref.shape(), fused.shape());
            return new long[][] {bits(fused), bits(ref)};
        }
    }

    static long[] bits(Tensor t) {
        if (t.dtype() == DType.FLOAT64) {
            double[] d = t.toDoubleArray();
            long[] b = new long[d.length];
            for (int i = 0; i < d.length; i++) b[i] = Double.doubleToRawLongBits(d[i]);
            return b;
        }
        float[] f = t.toFloatArray();
        long[] b = new long[f.length];
        for (int i = 0; i < f.length; i++) b[i] = Float.floatToRawIntBits(f[i]);
        return b;
    }

    static Case[] cases() {
        return new Case[] {
            Case.random(71, 2, 3, 37, 53, 20, 7, 7, p(2, 3, 1, 1)),    // the stem's conv, odd sizes, C_out not a multiple of 8
            Case.random(72, 1, 3, 30, 203, 16, 7, 7, p(2, 3, 1, 1)),   // W_out 102: 26 Winograd tiles (the 32-tile block)
            Case.random(81, 1, 3, 13, 701, 16, 7, 7, p(2, 3, 1, 1)),   // W_out 351: a whole 48-tile block (A^T fused with the epilogue), then 40 tiles
            Case.random(73, 1, 1, 17, 19, 9, 3, 3, p(1, 1, 1, 1)),     // one channel, stride 1
            Case.random(74, 1, 4, 9, 7, 8, 5, 3, p(1, 2, 1, 1)),       // 4 channels, 5x3 kernel, odd padding
            Case.random(75, 1, 2, 6, 5, 3, 1, 1, p(1, 0, 1, 1))};      // 1x1: a tiny plane
    }

    static Pool[] pools() {
        return new Pool[] {
            STEM_POOL,
            Pool.of(3, 2, 1, 1, true),      // ceil_mode
            Pool.of(2, 2, 0, 1, false),
            Pool.of(3, 1, 1, 1, false),     // stride 1: every conv row in three windows
            Pool.of(3, 2, 1, 2, false),     // dilation 2
            Pool.of(2, 3, 1, 1, true),      // stride above the kernel: rows no window reads
            new Pool(new int[] {3, 1}, new int[] {2, 1}, new int[] {1, 0}, new int[] {1, 1}, false)};
    }

    @Test
    void fusedHasTheBitsOfConvThenPoolOnEveryCaseAndPool() {
        CpuOptions.setThreads(1);
        for (Case c : cases())
            for (Pool q : pools())
                for (int e = 0; e < 4; e++) {
                    long[][] r = both(c, DType.FLOAT32, (e & 1) != 0, (e & 2) != 0, q);
                    assertArrayEquals(r[1], r[0], c.cin() + "x" + c.h() + "x" + c.w() + " pool k" + q.k()[0] + " s" + q.s()[0]
                            + " ceil " + q.ceil() + " epilogue " + e);
                }
    }

    @Test
    void fusedBitsAreTheSameForEveryThreadCountAndIsa() {
        // W_out 66: the AVX-512 pooling's vector and scalar parts; W_out 351: the Winograd rows' whole
        // 48-tile block (A^T fused with the epilogue in AVX-512) and a 40-tile one
        for (Case c : new Case[] {Case.random(76, 2, 3, 45, 131, 24, 7, 7, p(2, 3, 1, 1)), Case.random(82, 1, 3, 9, 701, 16, 7, 7, p(2, 3, 1, 1))}) {
            CpuOptions.setThreads(1);
            CpuOptions.setIsa(CpuOptions.Isa.BASELINE);
            long[] base = both(c, DType.FLOAT32, true, true, STEM_POOL)[0];
            for (CpuOptions.Isa isa : new CpuOptions.Isa[] {CpuOptions.Isa.BASELINE, CpuOptions.Isa.AVX2, CpuOptions.Isa.AVX512, CpuOptions.Isa.AUTO})
                for (int threads : new int[] {1, 2, 3, 7}) {
                    CpuOptions.setThreads(threads);
                    CpuOptions.setIsa(isa);
                    long[][] r = both(c, DType.FLOAT32, true, true, STEM_POOL);
                    assertArrayEquals(r[1], r[0], isa + ", " + threads + " threads: fused vs unfused");
                    assertArrayEquals(base, r[0], isa + ", " + threads + " threads vs baseline, 1 thread");
                }
        }
    }

    @Test
    void nanAndNegativeZeroPoolAsMaxPool2dDoes() {
        Case c = Case.random(77, 1, 3, 21, 23, 8, 7, 7, p(2, 3, 1, 1));
        c.x()[5 * 23 + 7] = Double.NaN;               // a NaN in channel 0: NaN outputs in every channel around it
        java.util.Arrays.fill(c.shift(), -1e9);        // every output below 0: ReLU gives zeros
        c.shift()[3] = 0;
        for (int threads : new int[] {1, 2}) {
            CpuOptions.setThreads(threads);
            long[][] r = both(c, DType.FLOAT32, true, true, STEM_POOL);
            assertArrayEquals(r[1], r[0]);
            boolean nan = false;
            for (long b : r[0]) nan |= Float.isNaN(Float.intBitsToFloat((int) b));
            assertTrue(nan, "the NaN reaches the pooled output");
        }
    }

    @Test
    void whereNotFusedItRunsConvThenPool() {
        // float64 and a 16-channel input (GEMM path): the two ops, the same bits
        long[][] r = both(Case.random(78, 1, 3, 19, 21, 8, 7, 7, p(2, 3, 1, 1)), DType.FLOAT64, true, true, STEM_POOL);
        assertArrayEquals(r[1], r[0]);
        r = both(Case.random(79, 1, 16, 12, 13, 8, 3, 3, p(1, 1, 1, 1)), DType.FLOAT32, true, true, STEM_POOL);
        assertArrayEquals(r[1], r[0]);
    }

    @Test
    void badPoolingOrInputIsRejected() {
        Case c = Case.random(80, 1, 3, 15, 15, 8, 7, 7, p(2, 3, 1, 1));
        try (Tensor tx = t(DType.FLOAT32, c.x(), 1, 3, 15, 15); Tensor tw = t(DType.FLOAT32, c.wt(), 8, 3, 7, 7);
             Tensor bad = t(DType.FLOAT32, new double[4 * 15 * 15], 1, 4, 15, 15);
             PreparedConv2d pc = Conv2d.prepare(tw, null, c.params(), null, null)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> pc.forwardMaxPool(tx, true, new int[] {3, 3}, new int[] {2, 2}, new int[] {2, 2}, new int[] {1, 1}, false));
            assertTrue(e.getMessage().contains("padding"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> pc.forwardMaxPool(tx, true, new int[] {0, 3}, new int[] {2, 2}, new int[] {0, 0}, new int[] {1, 1}, false));
            assertTrue(e.getMessage().contains("kernel"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> pc.forwardMaxPool(bad, true, new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 1}, false));
            assertTrue(e.getMessage().contains("C_in"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> pc.forwardMaxPool(tx, true, new int[] {11, 11}, new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 1}, false));
            assertTrue(e.getMessage().contains("too small"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> pc.forwardMaxPool(null, true, new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 1}, false));
            assertTrue(e.getMessage().contains("input"), e.getMessage());
        }
    }
}
