package dev.nativeext.ops;

import dev.nativeext.ops.Conv2dTest.Case;
import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Tensor;
import dev.nativeext.testing.RestoreCpuOptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.Arrays;

import static dev.nativeext.ops.Conv2dTest.p;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * conv2d's AMX route (src/main/cpp/ne_conv2d_amx_path.h: the float32 GEMM and pointwise paths'
 * products on AMX tiles, bf16x6): within the GEMM path's float32 bound of the float64 reference,
 * the same bits for any thread count and between the prepared and unprepared entry points, and
 * NaN / infinity where the AVX-512 code has them. Skipped where AMX is not usable.
 */
@ExtendWith(RestoreCpuOptions.class)
class Conv2dAmxTest {

    @BeforeEach
    void needsAmx() {
        assumeTrue(CpuOptions.amxUsable(), "this CPU or OS gives no AMX (AMX-BF16 and the tile state): conv2d's AMX route cannot run");
    }

    /** Shapes of every AMX mode, with tails (channels and positions not multiples of 16 / 32). */
    static Case[] cases() {
        return new Case[] {
            Case.random(101, 2, 37, 13, 11, 19, 1, 1, p(1, 0, 1, 1)),     // 1x1: B is the input; 143 positions, 19 rows
            Case.random(102, 1, 300, 14, 14, 70, 1, 1, p(1, 0, 1, 1)),    // 14x14: rows split in blocks (two items), K tail
            Case.random(103, 1, 64, 45, 47, 40, 1, 1, p(1, 0, 1, 1)),     // several position chunks
            Case.random(104, 2, 40, 15, 17, 33, 1, 1, p(2, 0, 1, 1)),     // strided 1x1: gathered B
            Case.random(105, 1, 96, 14, 14, 130, 1, 1, p(2, 0, 1, 1)),    // strided 1x1 on 7x7 out: shared gathered B
            Case.random(106, 1, 20, 13, 19, 24, 3, 3, p(1, 1, 1, 1)),     // im2col 3x3
            Case.random(107, 1, 36, 14, 14, 140, 3, 3, p(2, 1, 1, 1)),    // im2col 3x3/2, rows split: shared columns
            Case.random(108, 1, 40, 7, 7, 70, 3, 3, p(1, 1, 1, 1)),       // 3x3 on 7x7
            Case.random(109, 1, 8, 15, 31, 8, 3, 3, p(2, 1, 1, 2)),       // groups 2
            Case.random(110, 1, 6, 11, 13, 7, 5, 5, p(1, 2, 2, 1)),       // dilation 2, 5x5
            Case.random(111, 3, 300, 1, 1, 37, 1, 1, p(1, 0, 1, 1)),      // one position per image
            Case.random(112, 1, 1200, 10, 10, 120, 1, 1, p(1, 0, 1, 1)),  // A outweighs B: k summed in two parts (row blocks on 3 threads)
            Case.random(113, 1, 2400, 10, 10, 240, 1, 1, p(1, 0, 1, 2)),  // groups 2, A outweighs B: k in 2 ranges on 1 and 2 threads, 1 on 3
            Case.random(114, 1, 67, 14, 14, 96, 3, 3, p(2, 1, 1, 1))};    // im2col 3x3/2, k in two parts split inside a channel's taps
    }

    static void withIsa(CpuOptions.Isa isa, int threads) {
        CpuOptions.setIsa(isa);
        CpuOptions.setThreads(threads);
    }

    @Test
    void staysWithinTheGemmBoundOnEveryEpilogue() {
        withIsa(CpuOptions.Isa.AMX, 2);
        for (Case c : cases())
            for (Conv2d.Algo algo : algos(c))
                for (int epi = 0; epi < 16; epi++)
                    Conv2dTest.assertClose(c, epi, c.run(DType.FLOAT32, epi, algo), DType.FLOAT32, Conv2d.Algo.GEMM,
                            "AMX " + algo + " epi " + epi + " " + describe(c));
    }

    @Test
    void sameBitsForEveryThreadCountPreparedOrNot() {
        for (Case c : cases())
            for (Conv2d.Algo algo : algos(c)) {
                withIsa(CpuOptions.Isa.AMX, 1);
                double[] base = c.run(DType.FLOAT32, 15, algo);
                for (int threads : new int[] {1, 2, 3}) {
                    withIsa(CpuOptions.Isa.AMX, threads);
                    String what = algo + " threads " + threads + " " + describe(c);
                    assertArrayEquals(base, c.run(DType.FLOAT32, 15, algo), 0.0, what);
                    assertArrayEquals(base, PreparedConv2dTest.runPrepared(c, DType.FLOAT32, 15, algo), 0.0, "prepared " + what);
                }
            }
    }

    /** The route really runs: other bits than the AVX-512 fma chain, which AVX512 still gives. */
    @Test
    void amxGivesOtherBitsThanAvx512WhichKeepsItsOwn() {
        Case c = Case.random(120, 1, 256, 14, 14, 64, 1, 1, p(1, 0, 1, 1));
        withIsa(CpuOptions.Isa.BASELINE, 1);
        double[] base = c.run(DType.FLOAT32, 15, Conv2d.Algo.GEMM);
        withIsa(CpuOptions.Isa.AVX512, 2);
        if (CpuOptions.supports(CpuOptions.Isa.AVX512)) assertArrayEquals(base, c.run(DType.FLOAT32, 15, Conv2d.Algo.GEMM), 0.0);
        withIsa(CpuOptions.Isa.AMX, 2);
        double[] amx = c.run(DType.FLOAT32, 15, Conv2d.Algo.GEMM);
        assertFalse(Arrays.equals(base, amx), "AMX gave the fma chain's bits: the AMX route did not run");
    }

    /** AUTO takes AMX where the rule says it pays (ResNet's 1x1 on 14x14) and keeps Winograd's bits. */
    @Test
    void autoFollowsTheRule() {
        Case pw = Case.random(121, 1, 256, 14, 14, 64, 1, 1, p(1, 0, 1, 1));
        withIsa(CpuOptions.Isa.AMX, 2);
        double[] amx = pw.run(DType.FLOAT32, 15, Conv2d.Algo.AUTO);
        withIsa(CpuOptions.Isa.AUTO, 2);
        assertArrayEquals(amx, pw.run(DType.FLOAT32, 15, Conv2d.Algo.AUTO), 0.0, "1x1 on 14x14");
        Case wino = Case.random(122, 1, 20, 13, 19, 24, 3, 3, p(1, 1, 1, 1));
        double[] auto = wino.run(DType.FLOAT32, 15, Conv2d.Algo.AUTO);
        withIsa(CpuOptions.Isa.AVX512, 2);
        assertArrayEquals(wino.run(DType.FLOAT32, 15, Conv2d.Algo.AUTO), auto, 0.0, "Winograd");
    }

    /**
     * One prepared layer run under AUTO (where its 1x1 on 14x14 takes AMX), AVX512, AMX and AUTO
     * again gives each isa's own bits, those of the unprepared call: the prepared buffer follows
     * the isa (the AMX route has a buffer of its own, the float32 path another).
     */
    @Test
    void aPreparedLayerFollowsTheIsaFromCallToCall() {
        Case c = Case.random(123, 1, 256, 14, 14, 64, 1, 1, p(1, 0, 1, 1));
        CpuOptions.Isa[] order = {CpuOptions.Isa.AUTO, CpuOptions.Isa.AVX512, CpuOptions.Isa.AMX, CpuOptions.Isa.AUTO};
        double[][] want = new double[order.length][];
        for (int i = 0; i < order.length; i++) {
            withIsa(order[i], 2);
            want[i] = c.run(DType.FLOAT32, 15, Conv2d.Algo.AUTO);
        }
        assertFalse(Arrays.equals(want[0], want[1]), "AUTO gave AVX-512's bits on a 1x1 on 14x14: the AMX route did not run");
        try (Tensor tx = Conv2dTest.t(DType.FLOAT32, c.x(), c.n(), c.cin(), c.h(), c.w());
             Tensor tw = Conv2dTest.t(DType.FLOAT32, c.wt(), c.cout(), c.cin(), 1, 1);
             Tensor tb = Conv2dTest.t(DType.FLOAT32, c.bias(), c.cout());
             Tensor ts = Conv2dTest.t(DType.FLOAT32, c.scale(), c.cout()); Tensor tsh = Conv2dTest.t(DType.FLOAT32, c.shift(), c.cout());
             Tensor tr = Conv2dTest.t(DType.FLOAT32, c.res(), c.n(), c.cout(), c.ho(), c.wo());
             PreparedConv2d pc = Conv2d.prepare(tw, tb, c.params(), ts, tsh)) {
            for (int i = 0; i < order.length; i++) {
                withIsa(order[i], 2);
                try (Tensor out = pc.forward(tx, tr, true)) {
                    assertArrayEquals(want[i], Conv2dTest.values(out), 0.0, "prepared, call " + i + " on " + order[i]);
                }
            }
        }
    }

    /**
     * A layer prepares the weights of the route its shapes and isa run, and no other: under AUTO a
     * 1x1 on 14x14 gets the AMX route's block (path | 8: the bf16x3 A and the shift, no float32
     * weights), on 7x7 (where AMX does not pay) the float32 block without an AMX copy; a forward
     * given the block of the other route is refused, not run with other bits.
     */
    @Test
    void preparesOnlyTheRouteThatRuns() {
        long cin = 512, cout = 256;
        long[] conv = {1, 1, 0, 0, 1, 1};
        long[] on14 = {1, cin, 14, 14, cout, 1, 1, 14, 14, 1}, on7 = {1, cin, 7, 7, cout, 1, 1, 7, 7, 1};
        int auto = CpuOptions.Isa.AUTO.code(), avx512 = CpuOptions.Isa.AVX512.code();
        int[] path = new int[1];
        long[] bytes = new long[1];
        long floats = cin * cout * Float.BYTES;
        assertEquals(0, Conv2dNative.ne_conv2d_path_cpu(0, on14, conv, 0, auto, path));
        int amxPath = path[0];
        assertEquals(8, amxPath & 8, "1x1 512->256 on 14x14 under AUTO: the AMX route, got path " + amxPath);
        assertEquals(0, Conv2dNative.ne_conv2d_prepared_bytes_cpu(0, on14, conv, amxPath, bytes));
        assertTrue(bytes[0] >= floats * 3 / 2 && bytes[0] < floats * 3 / 2 + 64 * 1024, "the AMX block holds A (bf16x3) and t only: " + bytes[0]);
        assertEquals(0, Conv2dNative.ne_conv2d_path_cpu(0, on7, conv, 0, auto, path));
        assertEquals(0, path[0] & 8, "on 7x7 AUTO keeps the float32 path, got " + path[0]);
        assertEquals(0, Conv2dNative.ne_conv2d_prepared_bytes_cpu(0, on7, conv, path[0], bytes));
        assertTrue(bytes[0] < floats * 5 / 4, "the float32 block holds no AMX copy: " + bytes[0]);
        assertEquals(0, Conv2dNative.ne_conv2d_path_cpu(0, on14, conv, 0, avx512, path));
        assertEquals(0, path[0] & 8, "AVX512 never takes the AMX route, got " + path[0]);

        Case c = Case.random(124, 1, (int) cin, 14, 14, (int) cout, 1, 1, p(1, 0, 1, 1));
        try (Tensor tx = Conv2dTest.t(DType.FLOAT32, c.x(), 1, (int) cin, 14, 14);
             Tensor tw = Conv2dTest.t(DType.FLOAT32, c.wt(), (int) cout, (int) cin, 1, 1);
             Tensor out = Tensor.empty(DType.FLOAT32, tx.device(), 1, cout, 14, 14)) {
            assertEquals(0, Conv2dNative.ne_conv2d_prepared_bytes_cpu(0, on14, conv, amxPath, bytes));
            try (Tensor prep = Tensor.empty(DType.UINT8, tx.device(), bytes[0])) {
                assertEquals(0, Conv2dNative.ne_conv2d_prepare_cpu(0, tw.address(), 0, 0, 0, on14, conv, amxPath, prep.address(), bytes[0],
                        1, auto));
                assertEquals(0, Conv2dNative.ne_conv2d_forward_prepared_cpu(0, tx.address(), prep.address(), bytes[0], 0, 0, out.address(),
                        on14, conv, 1, auto), "the AMX block under AUTO");
                assertEquals(NE_ERR_INVALID_ARGUMENT, Conv2dNative.ne_conv2d_forward_prepared_cpu(0, tx.address(), prep.address(), bytes[0], 0,
                        0, out.address(), on14, conv, 1, avx512), "the AMX block under AVX512");
            }
            int plain = amxPath & ~8;
            assertEquals(0, Conv2dNative.ne_conv2d_prepared_bytes_cpu(0, on14, conv, plain, bytes));
            try (Tensor prep = Tensor.empty(DType.UINT8, tx.device(), bytes[0])) {
                assertEquals(0, Conv2dNative.ne_conv2d_prepare_cpu(0, tw.address(), 0, 0, 0, on14, conv, plain, prep.address(), bytes[0],
                        1, avx512));
                assertEquals(NE_ERR_INVALID_ARGUMENT, Conv2dNative.ne_conv2d_forward_prepared_cpu(0, tx.address(), prep.address(), bytes[0], 0,
                        0, out.address(), on14, conv, 1, auto), "the float32 block under AUTO, where AMX runs");
            }
        }
    }

    /** include/ne_status.h */
    private static final int NE_ERR_INVALID_ARGUMENT = 1;

    /**
     * NaN and infinities in the input reach the outputs they reach on the AVX-512 path, as
     * themselves (ne_amx_gemm.h redoes non-finite results by the float32 fma chain), and nothing
     * else becomes non-finite.
     */
    @Test
    void nanAndInfinityPropagateAsOnAvx512() {
        // 1x1 in place, gathered, im2col; then the k split (1x1 and im2col): a NaN and +inf in the first half of k, -inf in the second
        for (Case c0 : new Case[] {cases()[1], cases()[3], cases()[6], cases()[11], cases()[13]}) {
            double[] x = c0.x().clone();
            double[] w = c0.wt().clone();
            for (int i = 0; i < w.length; i++) w[i] = Math.abs(w[i]) + 0.01;   // positive weights: +inf stays +inf
            int plane = c0.h() * c0.w();
            x[3] = Double.NaN;
            x[plane + 2 * c0.w() + 5] = Double.POSITIVE_INFINITY;
            x[x.length - 1] = Double.NEGATIVE_INFINITY;
            Case c = new Case(c0.n(), c0.cin(), c0.h(), c0.w(), c0.cout(), c0.kh(), c0.kw(), c0.p(), x, w, c0.bias(), c0.scale(),
                    c0.shift(), c0.res());
            int nonFinite = 0;
            for (int epi : new int[] {1, 9}) {   // bias; bias and ReLU
                withIsa(CpuOptions.Isa.AVX512, 1);
                double[] want = c.run(DType.FLOAT32, epi, Conv2d.Algo.GEMM);
                withIsa(CpuOptions.Isa.AMX, 2);
                double[] got = c.run(DType.FLOAT32, epi, Conv2d.Algo.GEMM);
                for (int i = 0; i < want.length; i++) {
                    String what = describe(c) + " epi " + epi + " element " + i;
                    if (Double.isFinite(want[i])) {
                        assertTrue(Double.isFinite(got[i]), what + ": " + got[i]);
                    } else {
                        nonFinite++;
                        assertEquals(want[i], got[i], 0.0, what);   // NaN equals NaN here
                    }
                }
            }
            assertTrue(nonFinite > 0, "no non-finite output: the case does not test anything");
        }
    }

    /** A residual that is the output itself (out = relu(conv(x) + out)): the AMX route reads it before writing. */
    @Test
    void residualThatIsTheOutputItself() {
        for (Case c : new Case[] {cases()[1], cases()[4], cases()[6], cases()[11], cases()[13]}) {   // the last two: the k split
            for (int threads : new int[] {1, 2}) {
                withIsa(CpuOptions.Isa.AMX, threads);
                double[] want = c.run(DType.FLOAT32, 12, Conv2d.Algo.GEMM);   // residual (a separate tensor) and ReLU
                try (Tensor tx = Conv2dTest.t(DType.FLOAT32, c.x(), c.n(), c.cin(), c.h(), c.w());
                     Tensor tw = Conv2dTest.t(DType.FLOAT32, c.wt(), c.cout(), c.cin() / c.p()[6], c.kh(), c.kw());
                     Tensor acc = Conv2dTest.t(DType.FLOAT32, c.res(), c.n(), c.cout(), c.ho(), c.wo())) {
                    Conv2d.forward(tx, tw, null, c.params(), Conv2d.Epilogue.none().residual(acc).relu(), acc);
                    assertArrayEquals(want, Conv2dTest.values(acc), 0.0, describe(c) + " threads " + threads);
                }
            }
        }
    }

    static Conv2d.Algo[] algos(Case c) {
        boolean pointwise = c.kh() == 1 && c.kw() == 1 && c.p()[2] == 0 && c.p()[6] == 1 && c.cin() > 4;
        return pointwise ? new Conv2d.Algo[] {Conv2d.Algo.GEMM, Conv2d.Algo.DIRECT} : new Conv2d.Algo[] {Conv2d.Algo.GEMM};
    }

    static String describe(Case c) {
        return c.params() + " in " + Arrays.toString(new int[] {c.n(), c.cin(), c.h(), c.w()}) + " out " + c.cout() + " k "
                + c.kh() + "x" + c.kw();
    }
}
