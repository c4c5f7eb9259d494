package dev.nativeext.ops;

import dev.nativeext.RequiresCuda;
import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.nativeext.ops.LayerReference.random;
import static dev.nativeext.ops.LayerReference.rounded;
import static dev.nativeext.ops.LayerReference.tensor;
import static dev.nativeext.ops.LayerReference.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MaxPool2dTest {

    static double[] run(double[] x, boolean f32, long[] shape, int[] k, int[] s, int[] p, int[] d, boolean ceil, long[] outShape) {
        try (Tensor t = tensor(x, f32, shape); Tensor out = MaxPool2d.forward(t, k, s, p, d, ceil)) {
            if (outShape != null) assertArrayEquals(outShape, out.shape());
            return values(out);
        }
    }

    @Test
    void outputSizeIsPyTorchs() {
        assertEquals(2, MaxPool2d.outputSize(5, 2, 2, 0, 1, false));
        assertEquals(3, MaxPool2d.outputSize(5, 2, 2, 0, 1, true));
        // ceil_mode: the last window would start at 6 = in + padding, inside no input: dropped.
        assertEquals(3, MaxPool2d.outputSize(5, 2, 2, 1, 1, true));
        assertEquals(3, MaxPool2d.outputSize(5, 2, 2, 1, 1, false));
        assertEquals(3, MaxPool2d.outputSize(4, 3, 2, 1, 1, true));
        assertEquals(2, MaxPool2d.outputSize(4, 3, 2, 1, 1, false));
        assertEquals(200, MaxPool2d.outputSize(400, 3, 2, 1, 1, false));   // the ResNet stem
        assertEquals(336, MaxPool2d.outputSize(672, 3, 2, 1, 1, false));
        assertEquals(1, MaxPool2d.outputSize(1, 1, 2, 0, 1, false));       // FPN's P6 on a 1x1 map
        assertEquals(13, MaxPool2d.outputSize(25, 1, 2, 0, 1, false));
        assertEquals(2, MaxPool2d.outputSize(7, 3, 2, 0, 2, false));       // dilated: (7 - 5) / 2 + 1
        assertEquals(3, MaxPool2d.outputSize(8, 3, 2, 0, 2, true));
    }

    /**
     * Output heights from a PyTorch 1.13 run ({@code F.max_pool2d(torch.zeros(1, 1, in, 3), (k, 1),
     * (s, 1), (p, 0), (d, 1), ceil_mode).shape[2]}, 0 where PyTorch refuses the size) for every
     * in 1..12, k 1..4, s 1..3, p 0..k/2, d 1..2, both modes, in that loop order; one character
     * each, base 36.
     */
    static final String TORCH_SIZES = "111111111111000022110100111101011111000011000000110001001101000000002200000001001200000001001101" +
            "222211111111110033221101221211011111000022000100120101001101000011003300000011002201010011001201" +
            "333322221111221144331211222211112212110033111100221111011211000022004411010012002311010012012211" +
            "444422222222332255442212332312122222220044221201231212012212110033005522110022013312110012012212" +
            "555533332222443366552322333322122222331155332211332212112212220044116633120023113422120122112312" +
            "666633332222554477663323443422223323442266442312342322122322330055227744220133124423120123123322" +
            "777744443333665588773433444423233333553377553322443323123323441166338855231134224533221123123323" +
            "888844443333776699884434554533233333664488663423453423223323552277449966331244235534231233223423" +
            "9999555533338877aa99454455553333443477559977443355443323343366338855aa77342245335644231234234433" +
            "aaaa555544449988bbaa55456656343444448866aa88453456453423443477449966bb88442355346645332234234434" +
            "bbbb66664444aa99ccbb56556666443444449977bb9955446655343344348855aa77cc99453356446755342344334534" +
            "cccc66664444bbaaddcc6656776744445545aa88ccaa56456756443445449966bb88ddaa553466457756342345345544";

    @Test
    void outputSizesMatchAPyTorchRun() {
        int idx = 0;
        for (int in = 1; in <= 12; in++)
            for (int k = 1; k <= 4; k++)
                for (int s = 1; s <= 3; s++)
                    for (int p = 0; p <= k / 2; p++)
                        for (int d = 1; d <= 2; d++)
                            for (boolean ceil : new boolean[] {false, true}) {
                                long want = Character.digit(TORCH_SIZES.charAt(idx++), 36);
                                long got = Math.max(0, MaxPool2d.outputSize(in, k, s, p, d, ceil));
                                assertEquals(want, got, "in=" + in + " k=" + k + " s=" + s + " p=" + p + " d=" + d + " ceil=" + ceil);
                                if (want > 0) {
                                    try (Tensor x = Tensor.zeros(DType.FLOAT32, Device.CPU, 1, 1, in, 3);
                                         Tensor y = MaxPool2d.forward(x, new int[] {k, 1}, new int[] {s, 1}, new int[] {p, 0}, new int[] {d, 1}, ceil)) {
                                        assertEquals(want, y.shape(2));
                                    }
                                } else {
                                    int kk = k, ss = s, pp = p, dd = d, ii = in;
                                    Rejects.withMessage("too small", () -> {
                                        try (Tensor x = Tensor.zeros(DType.FLOAT32, Device.CPU, 1, 1, ii, 3)) {
                                            MaxPool2d.forward(x, new int[] {kk, 1}, new int[] {ss, 1}, new int[] {pp, 0}, new int[] {dd, 1}, ceil).close();
                                        }
                                    });
                                }
                            }
        assertEquals(TORCH_SIZES.length(), idx);
    }

    @Test
    void handGrid() {
        double[] x = new double[16];
        for (int i = 0; i < 16; i++) x[i] = i;
        for (boolean f32 : new boolean[] {true, false}) {
            long[] sh = {1, 1, 4, 4};
            assertArrayEquals(new double[] {5, 7, 13, 15}, run(x, f32, sh, new int[] {2}, null, new int[] {0}, new int[] {1}, false, new long[] {1, 1, 2, 2}));
            // the stem's 3x3/2 pad 1: windows clipped by the padding
            assertArrayEquals(new double[] {5, 7, 13, 15}, run(x, f32, sh, new int[] {3}, new int[] {2}, new int[] {1}, new int[] {1}, false, null));
            // 1x1 / 2 (LastLevelMaxPool): a subsampling
            assertArrayEquals(new double[] {0, 2, 8, 10}, run(x, f32, sh, new int[] {1}, new int[] {2}, new int[] {0}, new int[] {1}, false, null));
            // ceil_mode on 4x4 with 3x3/2, no padding: the second window hangs over the edge
            assertArrayEquals(new double[] {10, 11, 14, 15}, run(x, f32, sh, new int[] {3}, new int[] {2}, new int[] {0}, new int[] {1}, true, null));
        }
    }

    @Test
    void matchesTheReferenceOverGeometries() {
        // n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, ceil
        int[][] cases = {
            {1, 3, 9, 11, 3, 3, 2, 2, 1, 1, 1, 1, 0}, {2, 2, 8, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 2, 2, 0, 0, 1, 1, 0},
            {1, 2, 7, 17, 2, 3, 1, 2, 1, 1, 2, 1, 1}, {3, 1, 5, 5, 2, 2, 2, 2, 1, 1, 1, 1, 1}, {1, 4, 13, 37, 3, 2, 3, 1, 0, 1, 2, 3, 0},
            {1, 2, 20, 33, 5, 5, 3, 3, 2, 2, 1, 1, 1}, {1, 1, 3, 1, 3, 1, 1, 1, 1, 0, 1, 1, 0},
        };
        long seed = 100;
        for (int[] c : cases) {
            for (boolean f32 : new boolean[] {true, false}) {
                int[] k = {c[4], c[5]}, s = {c[6], c[7]}, p = {c[8], c[9]}, d = {c[10], c[11]};
                boolean ceil = c[12] == 1;
                int oh = (int) MaxPool2d.outputSize(c[2], k[0], s[0], p[0], d[0], ceil), ow = (int) MaxPool2d.outputSize(c[3], k[1], s[1], p[1], d[1], ceil);
                double[] x = rounded(random(seed++, c[0] * c[1] * c[2] * c[3], -5, 5), f32);
                double[] want = LayerReference.maxPool(x, c[0], c[1], c[2], c[3], k, s, p, d, oh, ow);
                double[] got = run(x, f32, new long[] {c[0], c[1], c[2], c[3]}, k, s, p, d, ceil, new long[] {c[0], c[1], oh, ow});
                LayerReference.assertClose(want, got, 0, 0, Arrays.toString(c) + " f32=" + f32);
            }
        }
    }

    @Test
    void nanPropagatesAsInPyTorch() {
        double[] x = new double[16];
        for (int i = 0; i < 16; i++) x[i] = i;
        x[5] = Double.NaN;
        double[] got = run(x, true, new long[] {1, 1, 4, 4}, new int[] {2}, null, new int[] {0}, new int[] {1}, false, null);
        assertTrue(Double.isNaN(got[0]));
        assertEquals(7, got[1]);
        assertEquals(13, got[2]);
        assertEquals(15, got[3]);
    }

    @Test
    void bitIdenticalForEveryIsaAndThreadCount() {
        double[] x = random(5, 2 * 8 * 45 * 67, -3, 3);
        for (boolean f32 : new boolean[] {true, false}) {
            List<double[]> r = new ArrayList<>();
            LayerReference.forEachIsaAndThreads((isa, t) -> r.add(run(x, f32, new long[] {2, 8, 45, 67}, new int[] {3}, new int[] {2},
                    new int[] {1}, new int[] {1}, true, null)));
            for (double[] v : r) LayerReference.assertSameBits(r.get(0), v, "f32=" + f32);
        }
    }

    @Test
    void badInputNamesTheArgument() {
        try (Tensor x = Tensor.zeros(DType.FLOAT32, Device.CPU, 1, 2, 5, 5); Tensor x3 = Tensor.zeros(DType.FLOAT32, Device.CPU, 2, 5, 5);
             Tensor x0 = Tensor.zeros(DType.FLOAT32, Device.CPU, 1, 2, 0, 5); Tensor xi = Tensor.zeros(DType.INT64, Device.CPU, 1, 2, 5, 5)) {
            int[] one = {1}, zero = {0};
            Rejects.withMessage("padding must be >= 0", () -> MaxPool2d.forward(x, new int[] {3}, one, new int[] {-1}, one, false));
            Rejects.withMessage("padding must be at most half the kernel", () -> MaxPool2d.forward(x, new int[] {3}, one, new int[] {2}, one, false));
            Rejects.withMessage("kernel must be >= 1", () -> MaxPool2d.forward(x, zero, one, zero, one, false));
            Rejects.withMessage("stride must be >= 1", () -> MaxPool2d.forward(x, one, zero, zero, one, false));
            Rejects.withMessage("dilation must be >= 1", () -> MaxPool2d.forward(x, one, one, zero, zero, false));
            Rejects.withMessage("kernel must be 1 or 2 ints", () -> MaxPool2d.forward(x, new int[] {1, 2, 3}, one, zero, one, false));
            Rejects.withMessage("too small", () -> MaxPool2d.forward(x, new int[] {6}, one, zero, one, false));
            Rejects.withMessage("x must have rank 4", () -> MaxPool2d.forward(x3, one, one, zero, one, false));
            Rejects.withMessage("x must have C, H, W >= 1", () -> MaxPool2d.forward(x0, one, one, zero, one, false));
            Rejects.withMessage("x must be float32 or float64", () -> MaxPool2d.forward(xi, one, one, zero, one, false));
        }
    }

    @Test
    @RequiresCuda
    void cudaMatchesTheCpu() {
        double[] x = random(9, 2 * 3 * 17 * 23, -2, 2);
        for (boolean f32 : new boolean[] {true, false}) {
            int[] k = {3}, s = {2}, p = {1}, d = {1};
            double[] want = run(x, f32, new long[] {2, 3, 17, 23}, k, s, p, d, true, null);
            try (Tensor t = tensor(x, f32, 2, 3, 17, 23).to(Device.cuda(0)); Tensor out = MaxPool2d.forward(t, k, s, p, d, true)) {
                LayerReference.assertClose(want, values(out), 0, 0, "cuda f32=" + f32);
            }
        }
    }
}
