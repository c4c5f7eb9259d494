package dev.nativeext.ops;

import dev.nativeext.testing.RestoreCpuOptions;
import org.junit.jupiter.api.extension.ExtendWith;
import dev.nativeext.RequiresCuda;
import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(RestoreCpuOptions.class)
class Conv2dTest {

    /** A problem: shapes, params and random data (float32-representable values). */
    record Case(int n, int cin, int h, int w, int cout, int kh, int kw, int[] p, double[] x, double[] wt, double[] bias,
                double[] scale, double[] shift, double[] res) {

        static Case random(long seed, int n, int cin, int h, int w, int cout, int kh, int kw, int[] p) {
            Random r = new Random(seed);
            int ho = (h + 2 * p[2] - (p[4] * (kh - 1) + 1)) / p[0] + 1, wo = (w + 2 * p[3] - (p[5] * (kw - 1) + 1)) / p[1] + 1;
            return new Case(n, cin, h, w, cout, kh, kw, p, vals(r, n * cin * h * w), vals(r, cout * (cin / p[6]) * kh * kw),
                    vals(r, cout), vals(r, cout), vals(r, cout), vals(r, n * cout * ho * wo));
        }

        int ho() {
            return (h + 2 * p[2] - (p[4] * (kh - 1) + 1)) / p[0] + 1;
        }

        int wo() {
            return (w + 2 * p[3] - (p[5] * (kw - 1) + 1)) / p[1] + 1;
        }

        Conv2d.Params params() {
            return Conv2d.Params.of(p[0], p[1], p[2], p[3], p[4], p[5], p[6]);
        }

        /** epi bits: 1 bias, 2 scale/shift, 4 residual, 8 relu. */
        double[] expected(int epi) {
            return Conv2dReference.forward(x, n, cin, h, w, wt, cout, kh, kw, p, (epi & 1) != 0 ? bias : null,
                    (epi & 2) != 0 ? scale : null, (epi & 2) != 0 ? shift : null, (epi & 4) != 0 ? res : null, (epi & 8) != 0);
        }

        double[] run(DType dt, int epi, Conv2d.Algo algo) {
            try (Tensor tx = t(dt, x, n, cin, h, w); Tensor tw = t(dt, wt, cout, cin / p[6], kh, kw);
                 Tensor tb = t(dt, bias, cout); Tensor ts = t(dt, scale, cout); Tensor tsh = t(dt, shift, cout);
                 Tensor tr = t(dt, res, n, cout, ho(), wo())) {
                Conv2d.Epilogue e = Conv2d.Epilogue.none();
                if ((epi & 2) != 0) e = e.scaleShift(ts, tsh);
                if ((epi & 4) != 0) e = e.residual(tr);
                if ((epi & 8) != 0) e = e.relu();
                // into an output filled with NaN: an element no path writes shows, where a fresh
                // tensor could reuse the last run's block and hold the expected values already
                double[] poison = new double[n * cout * ho() * wo()];
                Arrays.fill(poison, Double.NaN);
                try (Tensor out = t(dt, poison, n, cout, ho(), wo())) {
                    Conv2d.run(tx, tw, (epi & 1) != 0 ? tb : null, params(), e, out, algo);
                    return values(out);
                }
            }
        }
    }

    static double[] vals(Random r, int count) {
        double[] v = new double[count];
        for (int i = 0; i < count; i++) v[i] = (float) (r.nextDouble() * 2 - 1);
        return v;
    }

    static Tensor t(DType dt, double[] v, long... shape) {
        if (dt == DType.FLOAT64) return Tensor.of(v, shape);
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return Tensor.of(f, shape);
    }

    static double[] values(Tensor t) {
        if (t.dtype() == DType.FLOAT64) return t.toDoubleArray();
        float[] f = t.toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    static int[] p(int stride, int pad, int dil, int groups) {
        return new int[] {stride, stride, pad, pad, dil, dil, groups};
    }

    /** float64: 1e-12 relative to the magnitude; float32: 2e-6 (GEMM) or 2e-5 (Winograd) of Σ|w|·|x| + |terms|. */
    static void assertClose(Case c, int epi, double[] got, DType dt, Conv2d.Algo algo, String what) {
        double[] want = c.expected(epi);
        double[] mag = Conv2dReference.magnitude(c.x, c.n, c.cin, c.h, c.w, c.wt, c.cout, c.kh, c.kw, c.p);
        double tol = dt == DType.FLOAT64 ? 1e-12 : algo == Conv2d.Algo.WINOGRAD ? 2e-5 : 2e-6;
        assertEquals(want.length, got.length, what);
        int hw = c.ho() * c.wo();
        for (int i = 0; i < want.length; i++) {
            int co = (i / hw) % c.cout;
            double s = (epi & 2) != 0 ? Math.abs(c.scale[co]) : 1;
            double bound = tol * ((mag[i] + 1) * Math.max(s, 1) + 3);
            if (!(Math.abs(got[i] - want[i]) <= bound)) {
                throw new AssertionError(what + ": element " + i + " got " + got[i] + ", want " + want[i] + " (bound " + bound + ")");
            }
        }
    }

    static void check(Case c, DType dt, int epi, Conv2d.Algo algo) {
        assertClose(c, epi, c.run(dt, epi, algo), dt, algo, dt + " epi=" + epi + " " + algo + " " + c.params() + " in "
                + Arrays.toString(new int[] {c.n, c.cin, c.h, c.w}) + " w " + Arrays.toString(new int[] {c.cout, c.cin / c.p[6], c.kh, c.kw}));
    }

    // ---- hand cases ----------------------------------------------------------------------------

    @Test
    void oneByOneIsAMatrixProduct() {
        // out[co, p] = Σ_ci W[co, ci] x[ci, p]: W = [[1, 2], [3, 4], [5, 6]], x = [[1, 2, 3], [4, 5, 6]] (one row of 3 pixels).
        try (Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 1, 2, 1, 3);
             Tensor w = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2, 1, 1);
             Tensor y = NnOps.conv2d(x, w, null, Conv2d.Params.of(1, 0, 1, 1), null)) {
            assertArrayEquals(new long[] {1, 3, 1, 3}, y.shape());
            assertArrayEquals(new float[] {9, 12, 15, 19, 26, 33, 29, 40, 51}, y.toFloatArray());
        }
    }

    @Test
    void threeByThreeIdentityKernelReturnsItsInput() {
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            int c = 20;
            double[] id = new double[c * c * 9];
            for (int i = 0; i < c; i++) id[(i * c + i) * 9 + 4] = 1;
            double[] x = vals(new Random(3), 2 * c * 7 * 11);
            for (Conv2d.Algo algo : dt == DType.FLOAT32 ? new Conv2d.Algo[] {Conv2d.Algo.AUTO, Conv2d.Algo.GEMM, Conv2d.Algo.WINOGRAD}
                                                        : new Conv2d.Algo[] {Conv2d.Algo.AUTO, Conv2d.Algo.GEMM}) {
                try (Tensor tx = t(dt, x, 2, c, 7, 11); Tensor tw = t(dt, id, c, c, 3, 3);
                     Tensor y = Conv2d.run(tx, tw, null, Conv2d.Params.of(1, 1, 1, 1), null, null, algo)) {
                    double tol = dt == DType.FLOAT32 && algo != Conv2d.Algo.GEMM ? 1e-5 : 0;   // AUTO: Winograd in float32
                    assertArrayEquals(x, values(y), tol, dt + " " + algo);
                }
            }
        }
        // the direct kernel (3 channels, as the stem): 1 * x + 0 * the neighbours is exact
        int c = 3;
        double[] id = new double[c * c * 9];
        for (int i = 0; i < c; i++) id[(i * c + i) * 9 + 4] = 1;
        double[] x = vals(new Random(4), 2 * c * 7 * 53);
        try (Tensor tx = t(DType.FLOAT32, x, 2, c, 7, 53); Tensor tw = t(DType.FLOAT32, id, c, c, 3, 3);
             Tensor y = Conv2d.run(tx, tw, null, Conv2d.Params.of(1, 1, 1, 1), null, null, Conv2d.Algo.DIRECT)) {
            assertArrayEquals(x, values(y), 0.0, "direct");
        }
    }

    @Test
    void epilogueOnAHandCase() {
        // conv = 2x (1x1 kernel 2), bias 1 -> 2x+1; scale -1, shift 0.5 -> -2x-0.5; + residual 1 -> -2x+0.5; relu.
        try (Tensor x = Tensor.of(new float[] {-1, 0, 0.5f, 2}, 1, 1, 2, 2); Tensor w = Tensor.of(new float[] {2}, 1, 1, 1, 1);
             Tensor b = Tensor.of(new float[] {1}, 1); Tensor s = Tensor.of(new float[] {-1}, 1); Tensor sh = Tensor.of(new float[] {0.5f}, 1);
             Tensor r = Tensor.of(new float[] {1, 1, 1, 1}, 1, 1, 2, 2);
             Tensor y = Conv2d.forward(x, w, b, Conv2d.Params.of(1, 0, 1, 1), Conv2d.Epilogue.none().scaleShift(s, sh).residual(r).relu())) {
            assertArrayEquals(new float[] {2.5f, 0.5f, 0, 0}, y.toFloatArray());
        }
    }

    // ---- random cases against the reference ------------------------------------------------------

    @Test
    void everyEpilogueCombination() {
        Case c = Case.random(11, 2, 6, 9, 13, 8, 3, 3, p(1, 1, 1, 1));
        Case g = Case.random(12, 1, 8, 7, 10, 6, 3, 3, p(2, 1, 1, 2));
        for (int epi = 0; epi < 16; epi++) {
            for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                check(c, dt, epi, Conv2d.Algo.GEMM);
                check(g, dt, epi, Conv2d.Algo.AUTO);
            }
            check(c, DType.FLOAT32, epi, Conv2d.Algo.WINOGRAD);
        }
    }

    @Test
    void shapesStridesDilationsAndGroups() {
        int[][] shapes = {
            // n, cin, h, w, cout, kh, kw, stride, pad, dil, groups
            {1, 3, 23, 29, 8, 7, 7, 2, 3, 1, 1},     // stem-like
            {2, 8, 9, 17, 12, 1, 1, 1, 0, 1, 1},     // 1x1 straight on the input, width not a multiple of 16
            {1, 8, 9, 17, 12, 1, 1, 2, 0, 1, 1},     // 1x1 stride 2 (downsample)
            {1, 4, 1, 1, 5, 1, 1, 1, 0, 1, 1},       // 1x1 plane
            {1, 4, 1, 1, 5, 3, 3, 1, 1, 1, 1},       // 1x1 plane, 3x3 kernel
            {1, 6, 9, 11, 6, 3, 3, 1, 1, 1, 6},      // depthwise: groups with one channel each
            {1, 6, 9, 11, 12, 3, 3, 1, 1, 1, 6},     // depthwise, multiplier 2
            {1, 64, 9, 11, 64, 3, 3, 2, 2, 2, 32},   // ResNeXt groups 32, stride 2, dilation 2
            {1, 19, 17, 33, 21, 3, 3, 1, 1, 1, 1},   // channels not a multiple of 16, Winograd (auto)
            {2, 17, 6, 5, 18, 3, 3, 1, 0, 1, 1},     // Winograd without padding, partial tiles
            {1, 5, 12, 10, 7, 2, 4, 1, 2, 3, 1},     // rectangular kernel, dilation 3
        };
        long seed = 100;
        for (int[] s : shapes) {
            Case c = Case.random(seed++, s[0], s[1], s[2], s[3], s[4], s[5], s[6], p(s[7], s[8], s[9], s[10]));
            for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) check(c, dt, 15, Conv2d.Algo.AUTO);
            check(c, DType.FLOAT32, 0, Conv2d.Algo.GEMM);
        }
        Case rect = Case.random(seed, 1, 4, 9, 8, 3, 3, 2, new int[] {2, 1, 1, 0, 1, 2, 1});   // per-axis params
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) check(rect, dt, 11, Conv2d.Algo.AUTO);
    }

    /**
     * Winograd F(4x4,3x3) against the direct (GEMM) convolution in float32: stated bound 2e-5 of
     * Σ|w|·|x| per element (its transforms multiply values by up to 10 before the products and
     * divide after; measured about 3e-6 at C_in 256).
     */
    @Test
    void winogradAgreesWithDirectConvolution() {
        Case c = Case.random(21, 1, 128, 21, 26, 32, 3, 3, p(1, 1, 1, 1));
        double[] wino = c.run(DType.FLOAT32, 15, Conv2d.Algo.WINOGRAD);
        double[] gemm = c.run(DType.FLOAT32, 15, Conv2d.Algo.GEMM);
        double[] mag = Conv2dReference.magnitude(c.x, c.n, c.cin, c.h, c.w, c.wt, c.cout, c.kh, c.kw, c.p);
        int hw = c.ho() * c.wo();
        double worst = 0;
        for (int i = 0; i < wino.length; i++) {
            double s = Math.abs(c.scale[(i / hw) % c.cout]);
            worst = Math.max(worst, Math.abs(wino[i] - gemm[i]) / ((mag[i] + 1) * Math.max(s, 1)));
        }
        assertTrue(worst < 2e-5, "Winograd vs direct: worst relative error " + worst);
        assertClose(c, 15, wino, DType.FLOAT32, Conv2d.Algo.WINOGRAD, "winograd vs reference");
    }

    /**
     * The direct kernel for float32 convolutions with at most 4 input channels (what AUTO runs for
     * the RGB stem) and for 1x1 stride-1 unpadded ones (ResNet's 1x1 layers): every epilogue, C_in 1 to 4, strides 1 and 2 along the width (and 3 along the
     * height), padding wider than the kernel's reach, height dilation, output widths around its
     * 48-column register block and channel counts around its 8-channel block. Same float32 bound
     * as the GEMM path (it is an fma chain over the same products); AUTO gives the same bits.
     */
    @Test
    void directKernelForFewInputChannels() {
        int[][] shapes = {
            // n, cin, h, w, cout, kh, kw, strideH, strideW, padH, padW, dilH
            {1, 3, 23, 29, 8, 7, 7, 2, 2, 3, 3, 1},      // the stem, small
            {2, 1, 5, 97, 3, 3, 3, 1, 1, 1, 1, 1},       // C_in 1, width 97 = 2 blocks + 1
            {1, 2, 9, 95, 9, 1, 5, 3, 2, 0, 2, 1},       // output width exactly one block (stride 2)
            {1, 4, 8, 100, 17, 4, 2, 1, 2, 2, 4, 2},     // even kernel, padding past the kernel's reach, dilation 2 along H
            {1, 3, 1, 1, 16, 1, 1, 1, 1, 0, 0, 1},       // 1x1 plane
            {1, 3, 3, 2, 7, 3, 3, 2, 1, 5, 5, 1},        // output larger than the input
            // 7 wide at stride 2: the 1-D Winograd rows (4-column tiles in blocks of 48 tiles)
            {1, 3, 11, 701, 8, 7, 7, 2, 2, 3, 3, 1},     // W_out 351: a whole block, then 40 tiles (the 48-tile kernel, cut)
            {1, 3, 9, 515, 13, 7, 7, 1, 2, 3, 3, 1},     // W_out 258: a whole block, then 17 tiles (the 32-tile kernel); 13 channels
            {2, 2, 8, 61, 5, 7, 7, 2, 2, 0, 1, 1},       // C_in 2, narrow padding, W_out 29 (a cut tile)
            {1, 4, 6, 100, 9, 3, 7, 2, 2, 1, 3, 2},      // C_in 4, kh 3, dilation 2 along H
            {1, 1, 5, 3, 3, 7, 7, 2, 2, 3, 3, 1},        // one channel, W_out 2: one cut tile
            {1, 3, 9, 60, 8, 7, 7, 1, 1, 3, 3, 1},       // 7 wide at stride 1: the plain direct rows
            // the pointwise driver (1x1, stride 1, no padding): C_in over its 256-channel chunk,
            // planes not a multiple of its 48-column block nor of its up-to-384-position item
            {2, 260, 7, 61, 13, 1, 1, 1, 1, 0, 0, 1},
            {1, 20, 1, 1, 9, 1, 1, 1, 1, 0, 0, 1},      // 1x1 plane
            {1, 7, 30, 29, 24, 1, 1, 1, 1, 0, 0, 1},
            // strided 1x1 (ResNet's downsampling): the panel gathers every second column (AVX-512's
            // permute) or third row; odd planes, a last row shorter than the stride's reach
            {1, 40, 45, 45, 20, 1, 1, 2, 2, 0, 0, 1},
            {2, 264, 17, 23, 16, 1, 1, 2, 2, 0, 0, 1},
            {1, 9, 31, 50, 11, 1, 1, 3, 2, 0, 0, 1},
        };
        long seed = 400;
        for (int[] s : shapes) {
            Case c = Case.random(seed++, s[0], s[1], s[2], s[3], s[4], s[5], s[6],
                    new int[] {s[7], s[8], s[9], s[10], s[11], 1, 1});
            for (int epi = 0; epi < 16; epi++) check(c, DType.FLOAT32, epi, Conv2d.Algo.DIRECT);
            // AUTO's rule sends a pointwise plane that wastes over a quarter of its 48-position
            // blocks (here the 1x1 plane) to the GEMM path instead
            int hwo = c.ho() * c.wo();
            boolean pointwiseOverhang = s[1] > 4 && ((hwo + 47) / 48 < 8 || (hwo + 47) / 48 * 48 * 4 > hwo * 5);
            if (!pointwiseOverhang) {
                assertArrayEquals(c.run(DType.FLOAT32, 15, Conv2d.Algo.DIRECT), c.run(DType.FLOAT32, 15, Conv2d.Algo.AUTO), 0.0,
                        "AUTO runs the direct kernel for " + Arrays.toString(s));
            }
        }
        try (Tensor x = Tensor.of(new float[5 * 16], 1, 5, 4, 4); Tensor w = Tensor.of(new float[2 * 5 * 9], 2, 5, 3, 3)) {
            Rejects.withMessage("direct kernel needs", () -> Conv2d.run(x, w, null, Conv2d.Params.of(1, 1, 1, 1), null, null, Conv2d.Algo.DIRECT));
        }
    }

    /**
     * The stem (7x7/2, 3 -> 64, padding 3) on a 1344-wide strip: its rows run the 1-D Winograd
     * F(4,4) over the stride-2 phases (ne_conv2d_direct_paths.h). Stated bound, the direct path's:
     * 2e-6 of (Σ|w|·|x| + 1) per element, every epilogue; measured about 4e-7 of Σ|w|·|x| on the
     * full 800x1344 image (tools/profile/stem_profile.c), like the plain fma chain it replaced.
     */
    @Test
    void stemWinogradRowsStayWithinTheDirectBound() {
        Case c = Case.random(47, 1, 3, 9, 1344, 64, 7, 7, p(2, 3, 1, 1));
        for (int epi : new int[] {0, 2, 15}) check(c, DType.FLOAT32, epi, Conv2d.Algo.AUTO);
    }

    /**
     * Stride-2 convolutions on the GEMM path (ResNet's downsampling 3x3s) and stride-1 ones on
     * small planes: AVX-512's im2col copies their rows 16 outputs at a time with masked loads
     * (padding columns, run ends), the other variants with plain loops; the columns are split into whole 32-wide panels. Output rows of 1,
     * 7, 17, 29 and 64 columns (one vector, a vector and a tail, two), more than 64 (the plain
     * loops), chunks that start and end inside a row, padding 0 to 2, a 5-wide kernel, groups,
     * dilation 2 (plain loops), two images: the reference for every epilogue, and the same bits
     * for every variant and thread count.
     */
    @Test
    void strideTwoIm2colRowsOnTheGemmPath() {
        Case[] cases = {Case.random(60, 1, 20, 57, 57, 24, 3, 3, p(2, 1, 1, 1)),    // 29 wide, 841 positions: 4 chunks
                        Case.random(61, 2, 8, 21, 33, 12, 5, 5, p(2, 2, 1, 1)),     // 17 wide, 5-wide kernel
                        Case.random(62, 1, 16, 16, 16, 8, 3, 3, p(2, 0, 1, 1)),     // 7 wide, no padding
                        Case.random(63, 1, 8, 15, 31, 8, 3, 3, p(2, 1, 1, 2)),      // groups 2
                        Case.random(64, 1, 6, 9, 140, 10, 3, 3, p(2, 1, 1, 1)),     // 70 wide: the plain loops
                        Case.random(65, 1, 6, 40, 128, 10, 3, 3, p(2, 1, 1, 1)),    // 64 wide, 1280 positions
                        Case.random(66, 1, 5, 11, 13, 7, 3, 3, p(2, 2, 2, 1)),      // dilation 2: the plain loops
                        Case.random(67, 1, 7, 5, 2, 9, 3, 3, p(2, 1, 1, 1)),        // 1 wide
                        // stride 1 on small planes (rows of at most 8: the masked loads too), then 9 wide
                        Case.random(68, 1, 9, 7, 7, 10, 3, 3, p(1, 1, 1, 1)), Case.random(69, 2, 5, 6, 5, 7, 3, 3, p(1, 0, 1, 1)),
                        Case.random(70, 1, 4, 8, 9, 6, 5, 5, p(1, 2, 1, 1)),
                        // "same" stride 1 on planes of at most 64: rows as the shifted plane
                        Case.random(71, 2, 6, 8, 8, 9, 3, 3, p(1, 2, 2, 1)),        // dilation 2, 64 positions
                        Case.random(72, 1, 5, 5, 9, 7, 3, 3, p(1, 1, 1, 1)),        // 5x9
                        Case.random(73, 1, 8, 7, 7, 8, 3, 3, p(1, 1, 1, 2)),        // groups 2
                        // stride 2 on planes of at most 1024 outputs: rows from phase planes
                        Case.random(74, 1, 3, 10, 12, 4, 2, 2, p(2, 0, 1, 1)),      // 2x2/2, no padding
                        Case.random(75, 2, 5, 9, 7, 6, 3, 3, p(2, 2, 1, 1)),        // padding 2
                        Case.random(76, 1, 6, 13, 11, 5, 1, 1, p(2, 0, 1, 1))};     // 1x1/2
        for (Case c : cases) {
            for (int epi = 0; epi < 16; epi++) check(c, DType.FLOAT32, epi, Conv2d.Algo.GEMM);
            check(c, DType.FLOAT64, 15, Conv2d.Algo.GEMM);
            CpuOptions.setThreads(1);
            CpuOptions.setIsa(CpuOptions.Isa.BASELINE);
            double[] base = c.run(DType.FLOAT32, 15, Conv2d.Algo.GEMM);
            for (CpuOptions.Isa isa : Isas.simdAfterBaseline()) {
                for (int threads : new int[] {1, 2, 3}) {
                    CpuOptions.setThreads(threads);
                    CpuOptions.setIsa(isa);
                    assertArrayEquals(base, c.run(DType.FLOAT32, 15, Conv2d.Algo.GEMM), 0.0, isa + " threads " + threads);
                }
            }
        }
    }

    @Test
    void variantsAndThreadCountsGiveIdenticalBits() {
        Case[] cases = {Case.random(31, 2, 20, 13, 19, 24, 3, 3, p(1, 1, 1, 1)), Case.random(32, 1, 3, 31, 37, 16, 7, 7, p(2, 3, 1, 1)),
                        Case.random(33, 1, 48, 10, 50, 40, 1, 1, p(1, 0, 1, 1)), Case.random(34, 1, 8, 11, 9, 8, 3, 3, p(1, 1, 1, 8)),
                        Case.random(35, 2, 2, 7, 203, 13, 5, 3, p(2, 2, 1, 1)),    // direct kernel: column tail, 13 = 8 + 5 channels
                        Case.random(36, 1, 4, 6, 61, 9, 3, 3, p(1, 1, 1, 1)),      // direct kernel, stride 1
                        Case.random(37, 2, 263, 5, 43, 11, 1, 1, p(1, 0, 1, 1)),   // pointwise: two channel chunks, tails
                        Case.random(38, 1, 40, 5, 6, 24, 3, 3, p(1, 1, 1, 1)),     // small plane: GEMM, scale after it
                        Case.random(39, 2, 64, 5, 5, 36, 1, 1, p(1, 0, 1, 1)),     // pointwise overhang: GEMM, scale after it
                        Case.random(40, 1, 72, 4, 5, 130, 3, 3, p(1, 1, 1, 1)),    // GEMM items split along output channels
                        // narrow GEMM products (3-vector panels + single columns): 7x7 = 49 columns,
                        // 14x14 = 196, panels of 12 and of 6 rows, K over two KC blocks
                        Case.random(41, 1, 40, 7, 7, 30, 3, 3, p(1, 1, 1, 1)), Case.random(42, 2, 300, 14, 14, 26, 1, 1, p(1, 0, 1, 1)),
                        // one image split along output channels: im2col columns built once for the items
                        Case.random(43, 1, 40, 7, 7, 130, 3, 3, p(1, 1, 1, 1)), Case.random(44, 1, 36, 14, 14, 140, 3, 3, p(2, 1, 1, 1)),
                        // the stem's 1-D Winograd rows: whole 48-tile blocks, a 40-tile and a 17-tile one
                        Case.random(45, 1, 3, 9, 701, 13, 7, 7, p(2, 3, 1, 1)), Case.random(46, 2, 3, 5, 515, 8, 7, 7, p(2, 3, 1, 1)),
                        // pointwise with stride 2: whole 8 x 48 blocks (AVX-512's epilogue in the kernel) and tails
                        Case.random(48, 2, 40, 45, 45, 20, 1, 1, p(2, 0, 1, 1)),
                        // Winograd on few tiles (AVX-512's one-vector products with U prefetched): 16 tiles and U
                        // over two KC blocks with a last panel of 2 rows; 12 tiles (masked), two images
                        Case.random(50, 1, 300, 14, 14, 26, 3, 3, p(1, 1, 1, 1)), Case.random(51, 2, 20, 12, 13, 37, 3, 3, p(1, 1, 1, 1)),
                        Case.random(52, 1, 24, 83, 37, 20, 3, 3, p(1, 1, 1, 1)),    // small U: 1 MiB blocks of tile rows
                        Case.random(54, 2, 16, 30, 22, 12, 3, 3, p(1, 1, 1, 1)),    // small U, two images: whole blocks per thread
                        Case.random(53, 1, 256, 14, 14, 256, 3, 3, p(1, 1, 1, 1)),   // Winograd F(2x2,3x3): 256 channels on 14x14
                        // F(2x2) with its AVX-512 transforms: partial tiles in both axes and two images
                        // (6 tiles a row), and a row of 20 tiles (runs of 7, 7 and 6)
                        Case.random(57, 2, 260, 9, 11, 270, 3, 3, p(1, 1, 1, 1)), Case.random(58, 1, 256, 4, 40, 264, 3, 3, p(1, 1, 1, 1)),
                        // Winograd F(4x4) with V packed for the narrow products (AVX-512): 49 tiles (48 + 1) and
                        // 98 (96 + 2), C_in over two KC blocks
                        Case.random(55, 1, 300, 28, 28, 40, 3, 3, p(1, 1, 1, 1)), Case.random(56, 1, 300, 56, 28, 40, 3, 3, p(1, 1, 1, 1))};
        for (Case c : cases) {
            for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                CpuOptions.setThreads(1);
                CpuOptions.setIsa(CpuOptions.Isa.BASELINE);
                double[] base = c.run(dt, 15, Conv2d.Algo.AUTO);
                for (CpuOptions.Isa isa : Isas.simdAfterBaseline()) {
                    for (int threads : new int[] {1, 2, 3}) {
                        CpuOptions.setThreads(threads);
                        CpuOptions.setIsa(isa);
                        assertArrayEquals(base, c.run(dt, 15, Conv2d.Algo.AUTO), 0.0, dt + " " + isa + " threads " + threads);
                    }
                }
            }
        }
    }

    /**
     * Winograd on planes of at most 16 tiles (resnet50's 14x14 stage: 16): on AVX-512 the products
     * run one vector of tiles per row of U (ne_conv2d_wino_products.h) instead of ne_gemm_pab.
     * Every epilogue (bias, scale and shift, residual, ReLU) within the Winograd bound of the
     * float64 reference, AUTO = WINOGRAD bit for bit; odd sizes: 9 tiles (3x3 of partial tiles),
     * 12, 16; C_out not a multiple of the 12-row panel; C_in over one KC block (256). And a
     * small U (64 channels and fewer), whose tile rows run in 1 MiB blocks (several per plane).
     */
    @Test
    void fewTilesAndSmallWeightBlocksStayWithinTheWinogradBound() {
        Case[] cases = {
            Case.random(70, 1, 24, 14, 14, 26, 3, 3, p(1, 1, 1, 1)),    // 16 tiles, a last panel of 2 rows
            Case.random(71, 2, 19, 9, 11, 17, 3, 3, p(1, 1, 1, 1)),     // 9 tiles, partial in both axes
            Case.random(72, 1, 270, 12, 13, 17, 3, 3, p(1, 1, 1, 1)),   // 12 tiles, C_in 270: two KC blocks
            Case.random(73, 1, 16, 16, 16, 16, 3, 3, p(1, 0, 1, 1)),    // 16 tiles without padding: 14x14 out
            // small U (24 x 20 channels): 1 MiB blocks of tile rows, 16 + 5 of 21, the last partial
            Case.random(74, 1, 24, 83, 37, 20, 3, 3, p(1, 1, 1, 1)),
        };
        assertWinogradWithinBoundAndTakenByAuto(cases, java.util.stream.IntStream.range(0, 16).toArray());
    }

    /**
     * Winograd with 256+ channels each way on a plane of at most 16 F(4x4) tiles (resnet50's 14x14
     * stage) runs F(2x2,3x3) (ne_conv2d_wino2.h): epilogues within the Winograd bound of the float64
     * reference, AUTO = WINOGRAD bit for bit; 14x14 (49 tiles of 2x2), odd sizes (partial tiles in
     * both axes, C_out not a multiple of the 12-row panel, C_in over two KC blocks), no padding.
     */
    @Test
    void manyChannelsOnSmallPlanesRunWinogradF2x2WithinTheBound() {
        Case[] cases = {
            Case.random(80, 1, 256, 14, 14, 256, 3, 3, p(1, 1, 1, 1)),
            Case.random(81, 2, 260, 9, 11, 270, 3, 3, p(1, 1, 1, 1)),
            Case.random(82, 1, 256, 16, 16, 256, 3, 3, p(1, 0, 1, 1)),
        };
        assertWinogradWithinBoundAndTakenByAuto(cases, new int[] {0, 5, 10, 15});
    }

    /** Each epilogue of each case within the Winograd bound of the reference, AUTO = WINOGRAD bit for bit. */
    private static void assertWinogradWithinBoundAndTakenByAuto(Case[] cases, int[] epilogues) {
        for (Case c : cases) {
            for (int epi : epilogues) {
                check(c, DType.FLOAT32, epi, Conv2d.Algo.WINOGRAD);
                assertArrayEquals(c.run(DType.FLOAT32, epi, Conv2d.Algo.WINOGRAD), c.run(DType.FLOAT32, epi, Conv2d.Algo.AUTO), 0.0,
                        "AUTO runs Winograd for " + c.params() + " C_in " + c.cin + " " + c.h + "x" + c.w);
            }
        }
    }

    /**
     * Small planes (resnet50's 7x7 and 14x14 stages): AUTO leaves Winograd below 36 tiles per image
     * and the pointwise kernel when its 48-position blocks would waste over a quarter of their
     * work, for the GEMM path; where the weights outnumber the outputs that path applies the BN
     * scale after the GEMM (no per-call pass over the weights) unless the residual is the output
     * itself; a plane of one chunk splits its output channels into items. Every epilogue against
     * the float64 reference, AUTO = GEMM bit for bit, and the
     * in-place residual (scale folded into the weights) within float32 rounding of it.
     */
    @Test
    void smallPlanesRunTheGemmPathWithTheScaleAfterIt() {
        Case[] cases = {
            Case.random(60, 1, 40, 5, 6, 24, 3, 3, p(1, 1, 1, 1)),     // 2x2 tiles; weights 8640 > outputs 720
            Case.random(61, 2, 32, 7, 7, 20, 3, 3, p(1, 1, 1, 1)),     // resnet50's last stage in small
            Case.random(62, 1, 64, 5, 5, 36, 1, 1, p(1, 0, 1, 1)),     // pointwise: 25 positions of a 48 block
            Case.random(63, 1, 48, 7, 7, 70, 1, 1, p(1, 0, 1, 1)),     // pointwise 7x7: two blocks for 49
            Case.random(64, 1, 24, 9, 9, 16, 3, 3, p(2, 1, 1, 1)),     // strided 3x3 (GEMM before too)
            Case.random(65, 1, 72, 4, 5, 130, 3, 3, p(1, 1, 1, 1)),    // one chunk: output channels split 80 + 50
        };
        for (Case c : cases) {
            for (int epi = 0; epi < 16; epi++) {
                for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) check(c, dt, epi, Conv2d.Algo.AUTO);
                assertArrayEquals(c.run(DType.FLOAT32, epi, Conv2d.Algo.GEMM), c.run(DType.FLOAT32, epi, Conv2d.Algo.AUTO), 0.0,
                        "AUTO runs the GEMM path for " + c.params() + " C_in " + c.cin + " " + c.h + "x" + c.w);
            }
            // the residual is the output itself: the scale is folded into the weights instead
            try (Tensor tx = t(DType.FLOAT32, c.x, c.n, c.cin, c.h, c.w); Tensor tw = t(DType.FLOAT32, c.wt, c.cout, c.cin, c.kh, c.kw);
                 Tensor ts = t(DType.FLOAT32, c.scale, c.cout); Tensor tsh = t(DType.FLOAT32, c.shift, c.cout);
                 Tensor out = t(DType.FLOAT32, c.res, c.n, c.cout, c.ho(), c.wo())) {
                Conv2d.forward(tx, tw, null, c.params(), Conv2d.Epilogue.none().scaleShift(ts, tsh).residual(out).relu(), out);
                assertClose(c, 14, values(out), DType.FLOAT32, Conv2d.Algo.GEMM, "in-place residual " + c.params());
            }
        }
    }

    @Test
    void chainConvConvAddRelu() {
        // conv1 -> conv2 (+ identity, relu fused) equals the layers one by one in float64.
        Random r = new Random(41);
        int c = 16, h = 12, w = 10;
        double[] x = vals(r, c * h * w), w1 = vals(r, c * c * 9), w2 = vals(r, c * c), s = vals(r, c), t = vals(r, c);
        int[] p3 = p(1, 1, 1, 1), p1 = p(1, 0, 1, 1);
        double[] y1 = Conv2dReference.forward(x, 1, c, h, w, w1, c, 3, 3, p3, null, s, t, null, true);
        double[] want = Conv2dReference.forward(y1, 1, c, h, w, w2, c, 1, 1, p1, null, null, null, x, true);
        try (Tensor tx = t(DType.FLOAT32, x, 1, c, h, w); Tensor tw1 = t(DType.FLOAT32, w1, c, c, 3, 3);
             Tensor tw2 = t(DType.FLOAT32, w2, c, c, 1, 1); Tensor ts = t(DType.FLOAT32, s, c); Tensor tt = t(DType.FLOAT32, t, c);
             Tensor a = NnOps.conv2d(tx, tw1, null, Conv2d.Params.of(1, 1, 1, 1), Conv2d.Epilogue.none().scaleShift(ts, tt).relu());
             Tensor out = Tensor.empty(DType.FLOAT32, Device.CPU, 1, c, h, w)) {
            Tensor b = NnOps.conv2d(a, tw2, null, Conv2d.Params.of(1, 0, 1, 1), Conv2d.Epilogue.none().residual(tx).relu(), out);
            assertSame(out, b);
            assertArrayEquals(want, values(b), 1e-4);
            // the residual may be the output itself: out = relu(conv(a) + out)
            out.close();
        }
        try (Tensor tx = t(DType.FLOAT64, x, 1, c, h, w); Tensor tw2 = t(DType.FLOAT64, w2, c, c, 1, 1);
             Tensor acc = t(DType.FLOAT64, x, 1, c, h, w)) {
            Conv2d.forward(tx, tw2, null, Conv2d.Params.of(1, 0, 1, 1), Conv2d.Epilogue.none().residual(acc).relu(), acc);
            double[] wantInPlace = Conv2dReference.forward(x, 1, c, h, w, w2, c, 1, 1, p1, null, null, null, x, true);
            assertArrayEquals(wantInPlace, values(acc), 1e-12);
        }
    }

    // ---- bad input ---------------------------------------------------------------------------------

    @Test
    void badInputIsRejectedNamingTheArgument() {
        Conv2d.Params one = Conv2d.Params.of(1, 1, 1, 1);
        try (Tensor x = Tensor.zeros(DType.FLOAT32, Device.CPU, 1, 6, 5, 5); Tensor w = Tensor.zeros(DType.FLOAT32, Device.CPU, 4, 6, 3, 3);
             Tensor wd = Tensor.zeros(DType.FLOAT64, Device.CPU, 4, 6, 3, 3); Tensor w3 = Tensor.zeros(DType.FLOAT32, Device.CPU, 4, 6, 3);
             Tensor wbad = Tensor.zeros(DType.FLOAT32, Device.CPU, 4, 5, 3, 3); Tensor wg = Tensor.zeros(DType.FLOAT32, Device.CPU, 5, 3, 3, 3);
             Tensor b5 = Tensor.zeros(DType.FLOAT32, Device.CPU, 5); Tensor s4 = Tensor.zeros(DType.FLOAT32, Device.CPU, 4);
             Tensor r = Tensor.zeros(DType.FLOAT32, Device.CPU, 1, 4, 4, 5); Tensor x0 = Tensor.zeros(DType.FLOAT32, Device.CPU, 1, 6, 0, 5);
             Tensor xi = Tensor.zeros(DType.INT32, Device.CPU, 1, 6, 5, 5); Tensor big = Tensor.zeros(DType.FLOAT32, Device.CPU, 4, 6, 9, 9);
             Tensor out = Tensor.zeros(DType.FLOAT32, Device.CPU, 1, 4, 5, 6)) {
            Rejects.withMessage("groups", () -> Conv2d.forward(x, w, null, Conv2d.Params.of(1, 1, 1, 4), null));
            Rejects.withMessage("weight.shape[0]", () -> Conv2d.forward(x, wg, null, Conv2d.Params.of(1, 1, 1, 2), null));
            Rejects.withMessage("weight must be", () -> Conv2d.forward(x, wbad, null, one, null));
            Rejects.withMessage("weight must have rank 4", () -> Conv2d.forward(x, w3, null, one, null));
            Rejects.withMessage("padding", () -> Conv2d.Params.of(1, -1, 1, 1));
            Rejects.withMessage("stride", () -> Conv2d.Params.of(0, 1, 1, 1));
            Rejects.withMessage("dilation", () -> Conv2d.Params.of(1, 1, 0, 1));
            Rejects.withMessage("groups", () -> Conv2d.Params.of(1, 1, 1, 0));
            Rejects.withMessage("input must be", () -> Conv2d.forward(x0, w, null, one, null));
            Rejects.withMessage("weight dtype", () -> Conv2d.forward(x, wd, null, one, null));
            Rejects.withMessage("input dtype", () -> Conv2d.forward(xi, w, null, one, null));
            Rejects.withMessage("bias must be [C_out]", () -> Conv2d.forward(x, w, b5, one, null));
            Rejects.withMessage("scale must be [C_out]", () -> Conv2d.forward(x, w, null, one, Conv2d.Epilogue.none().scaleShift(b5, s4)));
            Rejects.withMessage("shift must be [C_out]", () -> Conv2d.forward(x, w, null, one, Conv2d.Epilogue.none().scaleShift(s4, b5)));
            Rejects.withMessage("scaleShift needs both", () -> Conv2d.Epilogue.none().scaleShift(s4, null));
            Rejects.withMessage("residual must have the output's shape", () -> Conv2d.forward(x, w, null, one, Conv2d.Epilogue.none().residual(r)));
            Rejects.withMessage("output size must be positive", () -> Conv2d.forward(x, big, null, Conv2d.Params.of(1, 0, 1, 1), null));
            Rejects.withMessage("out must have shape", () -> Conv2d.forward(x, w, null, one, null, out));
            Rejects.withMessage("params", () -> Conv2d.forward(x, w, null, null, null));
            Rejects.withMessage("input must be a rank-4 tensor", () -> Conv2d.forward(null, w, null, one, null));
            Rejects.withMessage("Winograd needs", () -> Conv2d.run(x, w, null, Conv2d.Params.of(2, 1, 1, 1), null, null, Conv2d.Algo.WINOGRAD));
            try (Tensor y = Tensor.zeros(DType.FLOAT32, Device.CPU, 1, 6, 5, 5)) {
                try (Tensor w66 = Tensor.zeros(DType.FLOAT32, Device.CPU, 6, 6, 3, 3)) {
                    Rejects.withMessage("out must not overlap input", () -> Conv2d.forward(y, w66, null, one, null, y));
                }
            }
        }
    }

    @Test
    @RequiresCuda
    void cudaMatchesCpu() {
        Case c = Case.random(51, 2, 19, 13, 17, 24, 3, 3, p(1, 1, 1, 1));
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            double[] cpu = c.run(dt, 15, Conv2d.Algo.AUTO);
            try (Tensor tx = t(dt, c.x, c.n, c.cin, c.h, c.w).to(Device.cuda(0)); Tensor tw = t(dt, c.wt, c.cout, c.cin, 3, 3).to(Device.cuda(0));
                 Tensor tb = t(dt, c.bias, c.cout).to(Device.cuda(0)); Tensor ts = t(dt, c.scale, c.cout).to(Device.cuda(0));
                 Tensor tsh = t(dt, c.shift, c.cout).to(Device.cuda(0)); Tensor tr = t(dt, c.res, c.n, c.cout, c.ho(), c.wo()).to(Device.cuda(0));
                 Tensor y = Conv2d.forward(tx, tw, tb, c.params(), Conv2d.Epilogue.none().scaleShift(ts, tsh).residual(tr).relu());
                 Tensor yc = y.to(Device.CPU)) {
                assertClose(c, 15, values(yc), dt, Conv2d.Algo.WINOGRAD, "cuda " + dt);
                assertArrayEquals(cpu, values(yc), dt == DType.FLOAT64 ? 1e-10 : 1e-3);
            }
        }
    }
}
