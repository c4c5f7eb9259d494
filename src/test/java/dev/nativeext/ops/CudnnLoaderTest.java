package dev.nativeext.ops;

import dev.nativeext.NativeExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * The run-time cuDNN loader of the CUDA conv2d ({@code src/main/cpp/ne_cudnn.h}) against a
 * stand-in libcudnn that computes cuDNN's NCHW cross-correlation on host memory: the lookup, the
 * reasons it gives when a library is missing or is not a cuDNN, the algorithm choice (failed and
 * tensor-core offers passed over, the workspace asked for), and the descriptors (padding, stride,
 * dilation per axis, groups, rectangular kernels) checked by the numbers against a float64
 * reference. The whole CUDA path, epilogue included, runs in {@code CudaEmulationTest}.
 */
class CudnnLoaderTest {

    static final Path HERE = Path.of("src/test/resources/cudnn").toAbsolutePath();

    /** The probe's functions (src/test/resources/cudnn/probe.h). */
    public interface Probe {
        int probe_open(String library, byte[] description, long capacity);

        int probe_sconv(long[] dims, long[] conv, float[] x, float[] w, float[] y, long[] chosen);

        int probe_dconv(long[] dims, long[] conv, double[] x, double[] w, double[] y, long[] chosen);

        int probe_refuse(int on);

        long probe_last_stream();
    }

    static final int LIBRARY_UNAVAILABLE = 6;

    @TempDir
    static Path dir;
    static Probe probe;
    static Path fake;

    @BeforeAll
    static void build() throws Exception {
        fake = StandInLibrary.build(dir, HERE.resolve("fake_cudnn.c"), "libfakecudnn.so");
        probe = NativeExtension.builder("cudnnprobe").headers("probe.h").sources("probe.c").relativeTo(HERE.toString())
                .includeDirs(List.of(Path.of("src/main/cpp").toAbsolutePath().toString(), Path.of("include").toAbsolutePath().toString()))
                .extraLinkArgs(List.of("-ldl")).cacheDir(dir.resolve("cache")).create().load(Probe.class);
    }

    private static String open(String library, int expectStatus) {
        byte[] text = new byte[512];
        assertEquals(expectStatus, probe.probe_open(library, text, text.length));
        return StandInLibrary.cString(text);
    }

    @Test
    void aCudnnAtAPathIsLoadedAndNamedWithItsVersion() {
        assertEquals("cuDNN 9.1.0 (" + fake + ")", open(fake.toString(), 0));
    }

    @Test
    void aMissingLibraryFallsBackWithTheLoadersReason() {
        String text = open(dir.resolve("nope/libcudnn.so.9").toString(), LIBRARY_UNAVAILABLE);
        assertTrue(text.startsWith("direct (cuDNN not loaded: ") && text.contains("nope/libcudnn.so.9") && text.contains("No such file"),
                text);
        assertEquals(-2, probe.probe_sconv(new long[10], new long[6], new float[1], new float[1], new float[1], new long[2]));
    }

    @Test
    void aLibraryWithoutCudnnSymbolsIsRefusedByName() {
        String text = open("libm.so.6", LIBRARY_UNAVAILABLE);
        assertTrue(text.contains("has no symbol cudnnCreate"), text);
    }

    @Test
    void anEmptyNameAsksForTheDirectKernel() {
        assertEquals("direct (cuDNN not requested)", open("", 0));
    }

    @Test
    void theDefaultSearchTriesTheCudnn9Soname() {
        // This machine has no cuDNN; where one is installed the search finds it instead.
        String text = open(null, 0);
        assertTrue(text.startsWith("direct (cuDNN not found: libcudnn.so.9") || text.startsWith("cuDNN "), text);
    }

    /** n, cin, h, w, cout, kh, kw, sh, sw, ph, pw, dh, dw, groups */
    private static final int[][] CASES = {
            {2, 3, 7, 9, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1},
            {1, 4, 1, 1, 5, 1, 1, 1, 1, 0, 0, 1, 1, 1},
            {1, 3, 19, 21, 8, 7, 7, 2, 2, 3, 3, 1, 1, 1},
            {1, 6, 9, 11, 6, 3, 3, 1, 1, 1, 1, 1, 1, 6},
            {1, 8, 9, 11, 4, 3, 3, 2, 1, 2, 1, 2, 1, 2},
            {1, 4, 6, 5, 6, 2, 3, 1, 2, 0, 1, 1, 2, 1},
    };

    @Test
    void descriptorsMapEveryConvolutionParameterOntoCudnn() {
        open(fake.toString(), 0);
        SplittableRandom rnd = new SplittableRandom(11);
        for (int[] c : CASES) {
            int n = c[0], cin = c[1], h = c[2], w = c[3], cout = c[4], kh = c[5], kw = c[6], g = c[13];
            int ho = (h + 2 * c[9] - (c[11] * (kh - 1) + 1)) / c[7] + 1, wo = (w + 2 * c[10] - (c[12] * (kw - 1) + 1)) / c[8] + 1;
            long[] dims = {n, cin, h, w, cout, kh, kw, ho, wo, g};
            long[] conv = {c[7], c[8], c[9], c[10], c[11], c[12]};
            double[] x = StandInLibrary.random(rnd, n * cin * h * w), wt = StandInLibrary.random(rnd, cout * (cin / g) * kh * kw);
            double[] want = reference(dims, conv, x, wt);
            String where = java.util.Arrays.toString(c);
            double[] got = new double[want.length];
            long[] chosen = new long[2];
            assertEquals(0, probe.probe_dconv(dims, conv, x, wt, got, chosen), where);
            assertArrayEquals(want, got, 1e-12, where);
            assertArrayEquals(new long[] {2, 1024}, chosen, "the first offer that succeeds, with its workspace: " + where);
            float[] gotF = new float[want.length];
            assertEquals(0, probe.probe_sconv(dims, conv, StandInLibrary.toFloat(x), StandInLibrary.toFloat(wt), gotF, chosen), where);
            assertArrayEquals(StandInLibrary.toFloat(want), gotF, 1e-5f, where);
            assertArrayEquals(new long[] {2, 1024}, chosen, "float32 passes over the tensor-core offer: " + where);
        }
        assertEquals(0x5eed, probe.probe_last_stream(), "the caller's stream reaches cudnnSetStream");
    }

    @Test
    void casesCudnnCannotTakeAreLeftToTheDirectKernel() {
        open(fake.toString(), 0);
        long[] big = {1, 1, 1L << 16, 1L << 16, 1, 1, 1, 1L << 16, 1L << 16, 1};
        long[] unit = {1, 1, 0, 0, 1, 1};
        assertEquals(-1, probe.probe_sconv(big, unit, new float[1], new float[1], new float[1], new long[2]),
                "2^32 elements do not fit cuDNN's int descriptors");
        long[] small = {1, 1, 2, 2, 1, 1, 1, 2, 2, 1};
        assertEquals(0, probe.probe_refuse(1));
        try {
            assertEquals(-1, probe.probe_sconv(small, unit, new float[4], new float[1], new float[4], new long[2]),
                    "no algorithm offered succeeds");
        } finally {
            probe.probe_refuse(0);
        }
    }

    @Test
    void theCpuBuildSaysItHasNoCudaConvolution() {
        assumeFalse(Conv2dNative.LIBRARY.hasCuda(), "the CUDA build of the library is loaded: the other tests cover the loader");
        assertEquals("none: this library was built without CUDA", CudaConv.describe());
    }

    private static double[] reference(long[] d, long[] c, double[] x, double[] w) {
        int n = (int) d[0], cin = (int) d[1], h = (int) d[2], wd = (int) d[3], cout = (int) d[4], kh = (int) d[5], kw = (int) d[6];
        int ho = (int) d[7], wo = (int) d[8], g = (int) d[9], cig = cin / g, cog = cout / g;
        double[] y = new double[n * cout * ho * wo];
        for (int b = 0; b < n; b++)
            for (int co = 0; co < cout; co++)
                for (int oy = 0; oy < ho; oy++)
                    for (int ox = 0; ox < wo; ox++) {
                        double s = 0;
                        for (int ci = 0; ci < cig; ci++)
                            for (int i = 0; i < kh; i++)
                                for (int j = 0; j < kw; j++) {
                                    long iy = oy * c[0] - c[2] + i * c[4], ix = ox * c[1] - c[3] + j * c[5];
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                                    s += w[((co * cig + ci) * kh + i) * kw + j] * x[(int) (((b * cin + co / cog * cig + ci) * h + iy) * wd + ix)];
                                }
                        y[((b * cout + co) * ho + oy) * wo + ox] = s;
                    }
        return y;
    }
}
