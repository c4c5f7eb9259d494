package dev.nativeext.ops;

import dev.nativeext.NativeExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * The run-time cuBLAS loader of the CUDA deformable convolution ({@code src/main/cpp/ne_cublas.h})
 * against a stand-in libcublas that computes cuBLAS's column-major GEMM on host memory: the
 * lookup, the reasons it gives when a library is missing or is not a cuBLAS, and the row-major to
 * column-major mapping for every transpose combination and leading dimension.
 */
class CublasLoaderTest {

    static final Path HERE = Path.of("src/test/resources/cublas").toAbsolutePath();

    /** The probe's functions (src/test/resources/cublas/probe.h). */
    public interface Probe {
        int probe_open(String library, byte[] description, long capacity);

        int probe_loaded();

        int probe_sgemm(int ta, int tb, long m, long n, long k, float[] a, long lda, float[] b, long ldb, double beta,
                        float[] c, long ldc);

        int probe_dgemm(int ta, int tb, long m, long n, long k, double[] a, long lda, double[] b, long ldb, double beta,
                        double[] c, long ldc);

        long probe_last_stream();
    }

    static final int LIBRARY_UNAVAILABLE = 6;

    @TempDir
    static Path dir;
    static Probe probe;
    static Path fake;
    static Path fakeWithoutDgemm;

    @BeforeAll
    static void build() throws Exception {
        fake = sharedLibrary("libfakecublas.so");
        fakeWithoutDgemm = sharedLibrary("libfakecublas_nodgemm.so", "-DFAKE_WITHOUT_DGEMM");
        probe = NativeExtension.builder("cublasprobe").headers("probe.h").sources("probe.c").relativeTo(HERE.toString())
                .includeDirs(List.of(Path.of("src/main/cpp").toAbsolutePath().toString(), Path.of("include").toAbsolutePath().toString()))
                .extraLinkArgs(List.of("-ldl")).cacheDir(dir.resolve("cache")).create().load(Probe.class);
    }

    private static Path sharedLibrary(String name, String... defines) throws IOException, InterruptedException {
        return StandInLibrary.build(dir, HERE.resolve("fake_cublas.c"), name, defines);
    }

    private static String open(String library, int expectStatus) {
        byte[] text = new byte[512];
        assertEquals(expectStatus, probe.probe_open(library, text, text.length));
        return StandInLibrary.cString(text);
    }

    @Test
    void aCublasAtAPathIsLoadedAndNamedWithItsVersion() {
        assertEquals("cuBLAS 13.1.0 (" + fake + ")", open(fake.toString(), 0));
        assertEquals(1, probe.probe_loaded());
    }

    @Test
    void aMissingLibraryFallsBackWithTheLoadersReason() {
        String text = open(dir.resolve("nope/libcublas.so.13").toString(), LIBRARY_UNAVAILABLE);
        assertTrue(text.startsWith("tiled (cuBLAS not loaded: ") && text.contains("nope/libcublas.so.13")
                && text.contains("No such file"), text);
        assertEquals(0, probe.probe_loaded());
    }

    @Test
    void aLibraryWithoutACublasSymbolIsRefusedByName() {
        String text = open(fakeWithoutDgemm.toString(), LIBRARY_UNAVAILABLE);
        assertTrue(text.contains("has no symbol cublasDgemm_v2"), text);
        assertEquals(0, probe.probe_loaded());
    }

    @Test
    void anEmptyNameAsksForTheTiledKernel() {
        assertEquals("tiled (cuBLAS not requested)", open("", 0));
        assertEquals(0, probe.probe_loaded());
    }

    @Test
    void theDefaultSearchTriesTheCuda13Soname() {
        // This machine has no cuBLAS; where one is installed the search finds it instead.
        String text = open(null, 0);
        if (probe.probe_loaded() == 0) {
            assertTrue(text.startsWith("tiled (cuBLAS not found: libcublas.so.13"), text);
        } else {
            assertTrue(text.startsWith("cuBLAS "), text);
        }
    }

    @Test
    void rowMajorGemmMatchesTheDefinitionForEveryTransposeAndLeadingDimension() {
        open(fake.toString(), 0);
        SplittableRandom rnd = new SplittableRandom(7);
        for (int ta = 0; ta < 2; ta++) {
            for (int tb = 0; tb < 2; tb++) {
                for (int trial = 0; trial < 6; trial++) {
                    int m = 1 + rnd.nextInt(7), n = 1 + rnd.nextInt(7), k = 1 + rnd.nextInt(7);
                    // Row-major storage with padded rows: A is [M,K] (or [K,M] when ta), B [K,N] (or [N,K]).
                    int lda = (ta == 1 ? m : k) + rnd.nextInt(3), ldb = (tb == 1 ? k : n) + rnd.nextInt(3), ldc = n + rnd.nextInt(3);
                    double beta = trial % 2 == 0 ? 0.0 : 0.5;
                    double[] a = StandInLibrary.random(rnd, (ta == 1 ? k : m) * lda), b = StandInLibrary.random(rnd, (tb == 1 ? n : k) * ldb);
                    double[] c = StandInLibrary.random(rnd, m * ldc);
                    double[] expect = c.clone();
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            double s = 0;
                            for (int p = 0; p < k; p++) {
                                s += (ta == 1 ? a[p * lda + i] : a[i * lda + p]) * (tb == 1 ? b[j * ldb + p] : b[p * ldb + j]);
                            }
                            expect[i * ldc + j] = s + (beta == 0 ? 0 : beta * c[i * ldc + j]);
                        }
                    }
                    String where = "ta=" + ta + " tb=" + tb + " m=" + m + " n=" + n + " k=" + k + " lda=" + lda + " ldb=" + ldb + " ldc=" + ldc;
                    double[] got = c.clone();
                    assertEquals(0, probe.probe_dgemm(ta, tb, m, n, k, a, lda, b, ldb, beta, got, ldc), where);
                    assertArrayEquals(expect, got, 1e-12, where);
                    float[] gotF = StandInLibrary.toFloat(c);
                    assertEquals(0, probe.probe_sgemm(ta, tb, m, n, k, StandInLibrary.toFloat(a), lda, StandInLibrary.toFloat(b), ldb, beta, gotF, ldc), where);
                    assertArrayEquals(StandInLibrary.toFloat(expect), gotF, 1e-4f, where);
                }
            }
        }
        assertEquals(0x5eed, probe.probe_last_stream(), "the caller's stream reaches cublasSetStream");
    }

    @Test
    void sizesBeyondCublasIntAreLeftToTheOwnKernel() {
        open(fake.toString(), 0);
        assertEquals(-1, probe.probe_sgemm(0, 0, 1L << 31, 1, 1, new float[1], 1, new float[1], 1, 0, new float[1], 1));
    }

    @Test
    void theSettingIsReadAsDocumented() {
        assertNull(RuntimeLibraryChoice.setting(null, null));
        assertNull(RuntimeLibraryChoice.setting(" ", ""));
        assertEquals("", RuntimeLibraryChoice.setting("none", "/x/libcublas.so"));
        assertEquals("", RuntimeLibraryChoice.setting(null, "OFF"));
        assertEquals("/x/libcublas.so.12", RuntimeLibraryChoice.setting(null, " /x/libcublas.so.12 "));
        assertEquals("libcublas.so.13", RuntimeLibraryChoice.setting("libcublas.so.13", "none"));
    }

    @Test
    void theCpuBuildSaysItHasNoCudaGemm() {
        assumeFalse(DeformConvNative.LIBRARY.hasCuda(), "the CUDA build of the library is loaded: the other tests cover the loader");
        assertEquals("none: this library was built without CUDA", CudaGemm.describe());
    }
}
