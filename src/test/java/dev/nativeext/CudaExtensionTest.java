package dev.nativeext;

import dev.nativeext.error.Diagnostic;
import dev.nativeext.error.ExtensionBuildException;
import dev.nativeext.tensor.Cuda;
import dev.nativeext.tensor.CudaStream;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.Tensor;
import dev.nativeext.toolchain.CudaArchs;
import dev.nativeext.toolchain.ToolLocator;
import dev.nativeext.toolchain.ToolNotFoundException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CUDA extensions are compiled, linked and loaded on every machine with nvcc (CI included); a
 * machine without a GPU gets CUDA's error as a status, never a crash.
 */
class CudaExtensionTest {

    static final Path EXAMPLE = Path.of("examples/cuda_scale").toAbsolutePath();

    @TempDir
    static Path cache;
    static NativeExtension ext;

    /** Mirrors examples/cuda_scale/cuda_scale.h. */
    public interface CudaScale {
        int cs_scale_host(long n, float k, float[] x, float[] y);

        int cs_scale_device(long n, float k, Tensor x, Tensor y, CudaStream stream);

        int cs_device_count(int[] count);

        String cs_error_string(int status);
    }

    @BeforeAll
    static void build() {
        // One arch keeps nvcc quick; the default list is covered by CudaArchsTest.
        ext = NativeExtension.builder("ext.cuda_scale").headers("cuda_scale.h").sources("cuda_scale.c", "cuda_scale_kernel.cu")
                .withCuda(true).cudaArchs("9.0+PTX").relativeTo(EXAMPLE.toString()).cacheDir(cache).create();
    }

    @RequiresNvcc
    @Test
    void aCudaExtensionCompilesLinksLoadsAndReportsCudaErrorsAsStatus() {
        CudaScale cs = ext.load(CudaScale.class);
        float[] y = new float[4];
        int status = cs.cs_scale_host(4, 2f, new float[]{1, 2, 3, 4}, y);
        if (Cuda.isAvailable()) {
            assertEquals(0, status, cs.cs_error_string(status));
            assertArrayEquals(new float[]{2, 4, 6, 8}, y);
        } else {
            assertNotEquals(0, status, "no GPU: the CUDA runtime reports an error instead of crashing");
            assertTrue(cs.cs_error_string(status).toLowerCase().contains("driver")
                    || cs.cs_error_string(status).toLowerCase().contains("device"), cs.cs_error_string(status));
        }
        assertEquals(CudaArchs.parse("9.0+PTX"), ext.cudaArchs());
    }

    @RequiresNvcc
    @Test
    void theArchListIsPartOfTheKey() {
        NativeExtension other = NativeExtension.builder("ext.cuda_scale").headers("cuda_scale.h")
                .sources("cuda_scale.c", "cuda_scale_kernel.cu").withCuda(true).cudaArchs("8.0")
                .relativeTo(EXAMPLE.toString()).cacheDir(cache).create().build();
        String k80 = other.lastReport().key();
        String k90 = ext.build().lastReport().key();
        assertNotEquals(k80, k90);
    }

    @RequiresNvcc
    @Test
    void nvccErrorsAreDiagnosticsAtTheCudaSourceLine(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("k.h"), "int k_launch(int n);\n");
        Files.writeString(dir.resolve("k.cu"), """
                #include <cuda_runtime.h>
                __global__ void k(int* p) { p[0] = 1; }
                extern "C" int k_launch(int n) {
                    k<<<1, 1>>>(undefined_symbol);
                    return 0;
                }
                """);
        ExtensionBuildException e = assertThrows(ExtensionBuildException.class, () -> NativeExtension.builder("ext.k")
                .headers("k.h").sources("k.cu").withCuda(true).cudaArchs("9.0").relativeTo(dir.toString()).cacheDir(cache)
                .create().build());
        Diagnostic d = e.firstError();
        assertEquals(dir.resolve("k.cu"), d.file(), e.getMessage());
        assertEquals(4, d.line(), e.getMessage());
        assertTrue(d.message().contains("undefined_symbol"), d.message());
    }

    @Test
    void withoutNvccACudaBuildSaysSoAndACBuildIsUnaffected(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("c.h"), "int c_one(void);\n");
        Files.writeString(dir.resolve("c.c"), "int c_one(void) { return 1; }\n");
        System.setProperty("nativeext.nvcc", "/nonexistent/nvcc");
        ToolLocator.forgetLocatedTools();
        try {
            ToolNotFoundException e = assertThrows(ToolNotFoundException.class, () -> NativeExtension.builder("ext.c")
                    .headers("c.h").sources("c.c").withCuda(true).relativeTo(dir.toString()).cacheDir(cache).create().build());
            assertTrue(e.getMessage().contains("CUDA compiler not found"), e.getMessage());
            assertTrue(e.getMessage().contains("NVCC=/path/to/nvcc"), e.getMessage());
            NativeExtension c = NativeExtension.builder("ext.c").headers("c.h").sources("c.c").relativeTo(dir.toString())
                    .cacheDir(cache).create().build();
            assertTrue(Files.isRegularFile(c.libraryPath()));
        } finally {
            System.clearProperty("nativeext.nvcc");
            ToolLocator.forgetLocatedTools();
        }
    }

    @Test
    void cudaSourcesNeedWithCuda() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NativeExtension.builder("ext.x")
                .headers("cuda_scale.h").sources("cuda_scale_kernel.cu").relativeTo(EXAMPLE.toString()).create());
        assertTrue(e.getMessage().contains("is CUDA: declare the extension withCuda(true)"), e.getMessage());
    }

    @Test
    void aBadArchListNamesTheEntry() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NativeExtension.builder("ext.x")
                .headers("cuda_scale.h").sources("cuda_scale.c").withCuda(true).cudaArchs("8.0;sm_90").relativeTo(EXAMPLE.toString()).create());
        assertTrue(e.getMessage().contains("entry 'sm_90'"), e.getMessage());
    }

    @RequiresNvcc
    @RequiresCuda
    @Test
    void tensorsAndStreamsPassToACudaExtension() {
        CudaScale cs = ext.load(CudaScale.class);
        try (Tensor x = Tensor.of(new float[]{1, 2, 3}, 3); Tensor dx = x.to(Device.cuda(0));
             Tensor dy = Tensor.zeros(dev.nativeext.tensor.DType.FLOAT32, Device.cuda(0), 3); CudaStream s = CudaStream.create()) {
            assertEquals(0, cs.cs_scale_device(3, 10f, dx, dy, s));
            s.synchronize();
            assertArrayEquals(new float[]{10, 20, 30}, dy.toFloatArray());
        }
    }

    @Test
    void theDefaultArchListCoversHopperAndNeedsNoGpu() {
        CudaArchs d = CudaArchs.parse(CudaArchs.DEFAULT);
        assertTrue(d.runsOn(9, 0), "H100/H200");
        assertTrue(d.runsOn(12, 0), "newer GPUs through the 9.0 PTX");
        assertTrue(d.runsOn(8, 7), "8.0 SASS runs on 8.7");
        assertTrue(!d.runsOn(7, 0), "Volta is older than the list");
        assertEquals(List.of("-gencode=arch=compute_90,code=sm_90", "-gencode=arch=compute_90,code=compute_90"),
                CudaArchs.parse("9.0+PTX").nvccArgs());
        assertTrue(!CudaArchs.parse("9.0a").runsOn(10, 0), "arch-specific code runs on its own capability only");
    }
}
