package dev.nativeext.toolchain;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The CUDA toolkit found through nvcc: its include and library folders. Extensions link the
 * static CUDA runtime ({@code libcudart_static.a}), so a built library needs only the NVIDIA
 * driver where it runs, not a toolkit; without a driver it still loads, and CUDA calls return
 * {@code cudaErrorInsufficientDriver} (35) or {@code cudaErrorNoDevice} (100) instead of crashing.
 */
public record CudaToolkit(Tool nvcc, Path home) {

    public static CudaToolkit locate(ToolLocator tools) {
        Tool nvcc = tools.locate(ToolLocator.CUDA_COMPILER);
        Path real;
        try {
            real = nvcc.executable().toRealPath();
        } catch (IOException e) {
            real = nvcc.executable();
        }
        // nvcc on PATH may be a wrapper script (as /usr/local/bin/nvcc is on these machines), so
        // its folder need not be the toolkit's: check, then fall back to the usual places.
        List<Path> candidates = new java.util.ArrayList<>();
        candidates.add(real.getParent().getParent());
        for (String env : new String[]{"CUDA_HOME", "CUDA_PATH"}) {
            String v = System.getenv(env);
            if (v != null && !v.isBlank()) candidates.add(Path.of(v));
        }
        candidates.add(Path.of("/usr/local/cuda"));
        for (Path home : candidates) {
            if (Files.isRegularFile(home.resolve("include/cuda_runtime_api.h"))) return new CudaToolkit(nvcc, home);
        }
        throw new ToolNotFoundException("CUDA toolkit headers not found: nvcc is " + nvcc.executable()
                + ", but none of " + candidates + " has include/cuda_runtime_api.h; set CUDA_HOME to the toolkit's folder");
    }

    public Path includeDir() {
        return home.resolve("include");
    }

    public Path libraryDir() {
        Path lib64 = home.resolve("lib64");
        return Files.isDirectory(lib64) ? lib64 : home.resolve("lib");
    }

    /** Linker arguments for the static CUDA runtime and what it needs from the system. */
    public List<String> linkArgs() {
        return List.of("-L" + libraryDir(), "-lcudart_static", "-ldl", "-lrt", "-lpthread", "-lstdc++");
    }
}
