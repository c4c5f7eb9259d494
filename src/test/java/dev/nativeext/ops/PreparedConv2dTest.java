package dev.nativeext.ops;

import dev.nativeext.testing.RestoreCpuOptions;
import org.junit.jupiter.api.extension.ExtendWith;
import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.nativeext.ops.Conv2dTest.Case;
import static dev.nativeext.ops.Conv2dTest.p;
import static dev.nativeext.ops.Conv2dTest.t;
import static dev.nativeext.ops.Conv2dTest.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link PreparedConv2d}: the same bits as the unprepared {@link Conv2d} on every path, and its own errors. */
@ExtendWith(RestoreCpuOptions.class)
class PreparedConv2dTest {

    /** The prepared forward of case c with epilogue bits epi (Conv2dTest.Case's: 1 bias, 2 scale/shift, 4 residual, 8 relu). */
    static double[] runPrepared(Case c, DType dt, int epi, Conv2d.Algo algo) {
        try (Tensor tx = t(dt, c.x(), c.n(), c.cin(), c.h(), c.w()); Tensor tw = t(dt, c.wt(), c.cout(), c.cin() / c.p()[6], c.kh(), c.kw());
             Tensor tb = t(dt, c.bias(), c.cout()); Tensor ts = t(dt, c.scale(), c.cout()); Tensor tsh = t(dt, c.shift(), c.cout());
             Tensor tr = t(dt, c.res(), c.n(), c.cout(), c.ho(), c.wo());
             PreparedConv2d pc = Conv2d.prepare(tw, (epi & 1) != 0 ? tb : null, c.params(), (epi & 2) != 0 ? ts : null,
                     (epi & 2) != 0 ? tsh : null);
             Tensor out = pc.run(tx, (epi & 4) != 0 ? tr : null, (epi & 8) != 0, null, algo)) {
            return values(out);
        }
    }

    /** Shapes that reach every path: GEMM (im2col, 1x1 straight, groups, 1x1 plane), Winograd, direct (stem, pointwise). */
    static Case[] cases() {
        return new Case[] {
            Case.random(51, 2, 20, 13, 19, 24, 3, 3, p(1, 1, 1, 1)),     // Winograd (auto)
            Case.random(52, 1, 40, 5, 6, 24, 3, 3, p(1, 1, 1, 1)),       // small plane: GEMM
            Case.random(53, 1, 72, 7, 7, 130, 3, 3, p(2, 1, 1, 1)),      // strided: GEMM, rows split along output channels
            Case.random(54, 1, 8, 11, 9, 8, 3, 3, p(1, 1, 1, 8)),        // depthwise: GEMM per group
            Case.random(55, 1, 3, 31, 37, 16, 7, 7, p(2, 3, 1, 1)),      // stem: direct
            Case.random(56, 2, 133, 5, 43, 11, 1, 1, p(1, 0, 1, 1)),     // pointwise: direct
            Case.random(57, 2, 64, 5, 5, 36, 1, 1, p(1, 0, 1, 1)),       // 1x1 on a small plane: GEMM straight on the input
            Case.random(58, 3, 300, 1, 1, 37, 1, 1, p(1, 0, 1, 1)),      // a fully connected layer: one column
            Case.random(59, 1, 24, 9, 8, 20, 3, 3, p(1, 2, 2, 1)),       // dilation: GEMM
            Case.random(60, 1, 520, 3, 3, 20, 3, 3, p(1, 1, 1, 1)),      // K = 4680 > several KC blocks
            Case.random(61, 1, 20, 22, 21, 24, 3, 3, p(1, 1, 1, 1)),     // Winograd, 36 tiles: a last panel of 4 (AVX-512's 1-vector tile)
            Case.random(62, 1, 16, 70, 69, 16, 3, 3, p(1, 1, 1, 1)),     // Winograd, 324 tiles: two 256-column blocks of V, the last 68 wide
            Case.random(63, 1, 264, 41, 39, 24, 1, 1, p(2, 0, 1, 1)),    // strided 1x1: pointwise (gathered panel), two channel chunks
            Case.random(64, 2, 40, 14, 14, 30, 3, 3, p(1, 1, 1, 1)),     // Winograd, 16 tiles: AVX-512's few-tile products
            Case.random(65, 1, 260, 10, 9, 18, 3, 3, p(1, 1, 1, 1))};    // Winograd, 9 tiles (masked), C_in over two KC blocks
    }

    @Test
    void preparedGivesTheUnpreparedBitsOnEveryPath() {
        for (Case c : cases()) {
            for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                List<Conv2d.Algo> algos = new ArrayList<>(List.of(Conv2d.Algo.AUTO, Conv2d.Algo.GEMM));
                if (dt == DType.FLOAT32 && c.kh() == 3 && c.kw() == 3 && c.p()[0] == 1 && c.p()[4] == 1 && c.p()[6] == 1) {
                    algos.add(Conv2d.Algo.WINOGRAD);
                }
                boolean pointwise = c.kh() == 1 && c.kw() == 1 && c.p()[2] == 0;
                if (dt == DType.FLOAT32 && c.p()[6] == 1 && (c.cin() <= 4 || pointwise)) algos.add(Conv2d.Algo.DIRECT);
                for (Conv2d.Algo algo : algos) {
                    for (int epi : new int[] {0, 1, 2, 3, 12, 15}) {
                        String what = dt + " " + algo + " epi " + epi + " " + c.params() + " cin " + c.cin() + " " + c.h() + "x" + c.w();
                        double[] plain = c.run(dt, epi, algo);
                        assertArrayEquals(plain, runPrepared(c, dt, epi, algo), 0.0, what);
                        Conv2dTest.assertClose(c, epi, plain, dt, algo == Conv2d.Algo.AUTO && algos.contains(Conv2d.Algo.WINOGRAD)
                                ? Conv2d.Algo.WINOGRAD : algo, what);
                    }
                }
            }
        }
    }

    @Test
    void variantsAndThreadCountsGiveIdenticalBits() {
        for (Case c : cases()) {
            for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                CpuOptions.setThreads(1);
                CpuOptions.setIsa(CpuOptions.Isa.BASELINE);
                double[] base = runPrepared(c, dt, 15, Conv2d.Algo.AUTO);
                for (CpuOptions.Isa isa : Isas.simdAfterBaseline()) {
                    for (int threads : new int[] {1, 2, 3}) {
                        CpuOptions.setThreads(threads);
                        CpuOptions.setIsa(isa);
                        assertArrayEquals(base, runPrepared(c, dt, 15, Conv2d.Algo.AUTO), 0.0, dt + " " + isa + " threads " + threads
                                + " " + c.params() + " cin " + c.cin());
                    }
                }
            }
        }
    }

    @Test
    void oneLayerRunsEveryPlaneSizeItMeets() {
        // 3x3 stride 1: 5x6 runs the GEMM path, 13x19 Winograd; both prepared lazily, each equal to the unprepared call
        Case small = Case.random(61, 1, 20, 5, 6, 24, 3, 3, p(1, 1, 1, 1));
        Case large = new Case(1, 20, 13, 19, 24, 3, 3, small.p(), Case.random(62, 1, 20, 13, 19, 24, 3, 3, small.p()).x(), small.wt(),
                small.bias(), small.scale(), small.shift(), Case.random(62, 1, 20, 13, 19, 24, 3, 3, small.p()).res());
        DType dt = DType.FLOAT32;
        try (Tensor tw = t(dt, small.wt(), 24, 20, 3, 3); Tensor tb = t(dt, small.bias(), 24); Tensor ts = t(dt, small.scale(), 24);
             Tensor tsh = t(dt, small.shift(), 24); PreparedConv2d pc = NnOps.prepareConv2d(tw, tb, small.params(), ts, tsh)) {
            for (int round = 0; round < 2; round++) {
                for (Case c : new Case[] {small, large, small}) {
                    try (Tensor x = t(dt, c.x(), 1, 20, c.h(), c.w()); Tensor y = NnOps.conv2d(pc, x, null, true)) {
                        assertArrayEquals(c.run(dt, 11, Conv2d.Algo.AUTO), values(y), 0.0, c.h() + "x" + c.w() + " round " + round);
                    }
                }
            }
            // the same plane on another path: the buffer of the last call's shapes is not reused
            try (Tensor x = t(dt, large.x(), 1, 20, large.h(), large.w()); Tensor y = pc.run(x, null, true, null, Conv2d.Algo.GEMM)) {
                assertArrayEquals(large.run(dt, 11, Conv2d.Algo.GEMM), values(y), 0.0, "GEMM after Winograd on one plane");
            }
            assertSame(pc, pc.prepareFor(50, 50));
        }
    }

    /**
     * A 3x3 layer of 256 channels runs Winograd F(2x2) on 14x14 and F(4x4) on 30x30 (ne_conv2d_wino2.h),
     * each from a buffer that holds its own transformed weights only (path 18 and 2); each gives
     * the unprepared call's bits, and a forward given the other transform's buffer is refused.
     */
    @Test
    void aWinogradLayerPreparesEachTransformWhereItRuns() {
        int ch = 256;
        Case small = Case.random(65, 1, ch, 14, 14, ch, 3, 3, p(1, 1, 1, 1));
        Case large = Case.random(66, 1, ch, 30, 30, ch, 3, 3, p(1, 1, 1, 1));
        DType dt = DType.FLOAT32;
        try (Tensor tw = t(dt, small.wt(), ch, ch, 3, 3); Tensor tb = t(dt, small.bias(), ch);
             PreparedConv2d pc = NnOps.prepareConv2d(tw, tb, small.params(), null, null)) {
            for (Case c : new Case[] {small, large, small}) {
                Case same = new Case(1, ch, c.h(), c.w(), ch, 3, 3, c.p(), c.x(), small.wt(), small.bias(), c.scale(), c.shift(), c.res());
                try (Tensor x = t(dt, c.x(), 1, ch, c.h(), c.w()); Tensor y = NnOps.conv2d(pc, x, null, false)) {
                    assertArrayEquals(same.run(dt, 1, Conv2d.Algo.AUTO), values(y), 0.0, c.h() + "x" + c.w());
                }
            }
        }
        long[] conv = {1, 1, 1, 1, 1, 1}, on14 = {1, ch, 14, 14, ch, 3, 3, 14, 14, 1}, on30 = {1, ch, 30, 30, ch, 3, 3, 30, 30, 1};
        int[] path = new int[1];
        long[] bytes = new long[1];
        long pair = 264L * ch * Float.BYTES;   // one packed [C_out][C_in] matrix (C_out padded to the GEMM's 12 rows)
        assertEquals(0, Conv2dNative.ne_conv2d_path_cpu(0, on14, conv, 0, 0, path));
        assertEquals(18, path[0], "14x14: Winograd F(2x2)");
        assertEquals(0, Conv2dNative.ne_conv2d_prepared_bytes_cpu(0, on14, conv, 18, bytes));
        assertTrue(bytes[0] > 16 * pair && bytes[0] < 17 * pair, "F(2x2)'s buffer: its 16 matrices only, got " + bytes[0]);
        assertEquals(0, Conv2dNative.ne_conv2d_path_cpu(0, on30, conv, 0, 0, path));
        assertEquals(2, path[0], "30x30: Winograd F(4x4)");
        assertEquals(0, Conv2dNative.ne_conv2d_prepared_bytes_cpu(0, on30, conv, 2, bytes));
        assertTrue(bytes[0] > 36 * pair && bytes[0] < 37 * pair, "F(4x4)'s buffer: its 36 matrices only, got " + bytes[0]);
        try (Tensor tw = t(dt, small.wt(), ch, ch, 3, 3); Tensor x = t(dt, small.x(), 1, ch, 14, 14);
             Tensor y = Tensor.empty(dt, x.device(), 1, ch, 14, 14); Tensor prep = Tensor.empty(DType.UINT8, x.device(), bytes[0])) {
            assertEquals(0, Conv2dNative.ne_conv2d_prepare_cpu(0, tw.address(), 0, 0, 0, on30, conv, 2, prep.address(), bytes[0], 1, 0));
            assertEquals(NE_ERR_INVALID_ARGUMENT, Conv2dNative.ne_conv2d_forward_prepared_cpu(0, x.address(), prep.address(), bytes[0], 0, 0,
                    y.address(), on14, conv, 1, 0), "F(4x4)'s buffer on 14x14, where F(2x2) runs");
        }
    }

    /** include/ne_status.h */
    private static final int NE_ERR_INVALID_ARGUMENT = 1;

    @Test
    void residualMayBeTheOutputItself() {
        Case c = Case.random(63, 1, 16, 6, 7, 12, 3, 3, p(1, 1, 1, 1));
        DType dt = DType.FLOAT32;
        try (Tensor x = t(dt, c.x(), 1, 16, 6, 7); Tensor w = t(dt, c.wt(), 12, 16, 3, 3); Tensor s = t(dt, c.scale(), 12);
             Tensor sh = t(dt, c.shift(), 12); Tensor out = t(dt, c.res(), 1, 12, 6, 7);
             PreparedConv2d pc = Conv2d.prepare(w, null, c.params(), s, sh)) {
            assertSame(out, pc.forward(x, out, true, out));
            assertArrayEquals(c.run(dt, 14, Conv2d.Algo.AUTO), values(out), 0.0);
        }
    }

    @Test
    void concurrentCallsShareOnePreparation() throws Exception {
        Case c = Case.random(64, 1, 32, 12, 12, 32, 3, 3, p(1, 1, 1, 1));
        DType dt = DType.FLOAT32;
        double[] want = c.run(dt, 3, Conv2d.Algo.AUTO);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (Tensor x = t(dt, c.x(), 1, 32, 12, 12); Tensor w = t(dt, c.wt(), 32, 32, 3, 3); Tensor b = t(dt, c.bias(), 32);
             Tensor s = t(dt, c.scale(), 32); Tensor sh = t(dt, c.shift(), 32); PreparedConv2d pc = Conv2d.prepare(w, b, c.params(), s, sh)) {
            List<Future<double[]>> runs = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                runs.add(pool.submit(() -> {
                    try (Tensor y = pc.forward(x, null, false)) {
                        return values(y);
                    }
                }));
            }
            for (Future<double[]> f : runs) assertArrayEquals(want, f.get(), 0.0);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void badInputIsRejectedNamingTheArgument() {
        try (Tensor w = Tensor.of(new float[8 * 4 * 9], 8, 4, 3, 3); Tensor s = Tensor.of(new float[8], 8);
             Tensor s7 = Tensor.of(new float[7], 7); Tensor x3 = Tensor.of(new float[3 * 25], 1, 3, 5, 5);
             Tensor x8 = Tensor.of(new float[8 * 25], 1, 8, 5, 5); Tensor xd = Tensor.of(new double[4 * 25], 1, 4, 5, 5);
             Tensor tiny = Tensor.of(new float[4], 1, 4, 1, 1)) {
            Conv2d.Params one = Conv2d.Params.of(1, 1, 1, 1);
            Rejects.withMessage("scale and shift must be given together", () -> Conv2d.prepare(w, null, one, s, null));
            Rejects.withMessage("params must be given", () -> Conv2d.prepare(w, null, null, null, null));
            Rejects.withMessage("weight must be a rank-4 tensor", () -> Conv2d.prepare(s, null, one, null, null));
            Rejects.withMessage("bias must be [C_out] = [8]", () -> Conv2d.prepare(w, s7, one, null, null));
            Rejects.withMessage("divisible by groups", () -> Conv2d.prepare(w, null, Conv2d.Params.of(1, 1, 1, 3), null, null));
            PreparedConv2d pc = Conv2d.prepare(w, null, one, s, s);
            Rejects.withMessage("input.shape[1] must be C_in = 4", () -> pc.forward(x3, null, false));
            Rejects.withMessage("input.shape[1] must be C_in = 4", () -> pc.forward(x8, null, false));
            Rejects.withMessage("input dtype must be FLOAT32 (the prepared weight's), got FLOAT64", () -> pc.forward(xd, null, false));
            Rejects.withMessage("output size must be positive", () -> Conv2d.prepare(w, null, Conv2d.Params.of(1, 0, 1, 1), null, null)
                    .forward(tiny, null, false));
            Rejects.withMessage("out must be a tensor", () -> pc.forward(x3, null, false, null));
            Rejects.withMessage("prepareFor needs h, w >= 1", () -> pc.prepareFor(0, 5));
            Rejects.withMessage("conv must not be null", () -> NnOps.conv2d((PreparedConv2d) null, x3, null, false));
            pc.close();
            pc.close();   // idempotent
            Rejects.withMessage("is closed", () -> pc.forward(x3, null, false));
            Rejects.withMessage("is closed", () -> pc.prepareFor(5, 5));
        }
    }
}
