package dev.nativeext.ops;

import org.junit.jupiter.api.Test;

import static dev.nativeext.ops.CudaSourceRewriter.newlines;
import static dev.nativeext.ops.CudaSourceRewriter.rewrite;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CudaSourceRewriterTest {

    @Test
    void theRewriteHandlesMultiLineTemplatedLaunches() {
        String src = "#include <cuda_runtime.h>\nvoid f() {\n  k<float, Op<2>><<<grid_for(n), dim3(16, 16),\n"
                + "     0, s>>>(a, g(b, c), /* ) */ \")\",\n     d);\n  extern __shared__ uint64_t removed[];\n"
                + "  plain<<<1, 2>>>();\n}\n";
        String r = rewrite(src, "x.cu");
        assertTrue(r.contains("::ne_emu::launch(\"k<float, Op<2>>\", dim3(grid_for(n)), dim3( dim3(16, 16)), (size_t) (\n     0),"
                + " (cudaStream_t) ( s), [&](auto&&... ne_emu_a) { k<float, Op<2>>(ne_emu_a...); }, a, g(b, c), /* ) */ \")\",\n     d)"), r);
        assertTrue(r.contains("uint64_t* removed = reinterpret_cast<uint64_t*>(::ne_emu::dynamic_shared());"), r);
        assertTrue(rewrite("  __shared__ T as[kTile][kTile + 1];\n", "y.cu")
                .contains("__shared__ T as[kTile][kTile + 1]; ::ne_emu::poison_shared(&as, sizeof as);"));
        assertTrue(r.contains("::ne_emu::launch(\"plain\", dim3(1), dim3( 2), (size_t) (0), (cudaStream_t) (nullptr), "
                + "[&](auto&&... ne_emu_a) { plain(ne_emu_a...); })"), r);
        assertEquals(newlines(src) + 2, newlines(r), "line count kept (+2 for the include and #line)");
        assertTrue(r.contains("/* emulated: <cuda_runtime.h> */"), r);
    }
}
