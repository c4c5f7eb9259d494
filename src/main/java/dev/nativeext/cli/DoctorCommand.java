package dev.nativeext.cli;

import dev.nativeext.Versions;
import dev.nativeext.cache.BuildCache;
import dev.nativeext.runtime.Platform;
import dev.nativeext.toolchain.Tool;
import dev.nativeext.toolchain.ToolLocator;
import dev.nativeext.toolchain.ToolNotFoundException;

import java.nio.file.Files;
import java.nio.file.Path;

/** Reports what a build would use, so that "compiler not found" never needs guessing. */
final class DoctorCommand {

    private DoctorCommand() {
    }

    static int run() {
        Path cacheRoot = BuildCache.defaultRoot();
        ToolLocator tools = new ToolLocator(new BuildCache(cacheRoot).toolsDir());
        boolean ok = true;
        System.out.println("nativeext " + Versions.nativeext() + " on " + Platform.current()
                + ", Java " + System.getProperty("java.version") + " (" + System.getProperty("java.home") + ")");
        System.out.println("JavaCPP:        " + Versions.javacpp());
        Path jni = Path.of(System.getProperty("java.home"), "include", "jni.h");
        System.out.println("jni.h:          " + (Files.isRegularFile(jni) ? jni : "MISSING at " + jni + " (a full JDK is needed to build)"));
        ok &= Files.isRegularFile(jni);
        ok &= report("C compiler:     ", tools, ToolLocator.C_COMPILER);
        boolean nvcc = report("CUDA compiler:  ", tools, ToolLocator.CUDA_COMPILER);
        System.out.println("cache folder:   " + cacheRoot.toAbsolutePath() + (Files.isWritable(existing(cacheRoot)) ? "" : " (NOT WRITABLE)"));
        Path driver = dev.nativeext.runtime.NvidiaDriver.find();
        System.out.println("NVIDIA driver:  " + (driver == null ? "not found (no libcuda.so.1 in LD_LIBRARY_PATH or "
                + dev.nativeext.runtime.NvidiaDriver.SEARCHED + ")" : driver));
        String cuda = !nvcc ? "no: nvcc not found, CUDA sources cannot be built"
                : driver == null ? "build only: nvcc found, but no driver, so CUDA kernels cannot run here"
                : "yes";
        System.out.println("CUDA usable:    " + cuda);
        if (driver != null) ok &= reportCudaGemm();
        return ok ? 0 : 1;
    }

    /** The GEMM and the convolution of the CUDA ops: cuBLAS and cuDNN found at run time, or the built-in kernels and why. */
    private static boolean reportCudaGemm() {
        try {
            System.out.println("CUDA GEMM:      " + dev.nativeext.ops.CudaGemm.describe());
        } catch (IllegalStateException e) {
            System.out.println("CUDA GEMM:      NOT USABLE: " + e.getMessage());
            return false;
        }
        try {
            System.out.println("CUDA conv:      " + dev.nativeext.ops.CudaConv.describe());
            return true;
        } catch (IllegalStateException e) {
            System.out.println("CUDA conv:      NOT USABLE: " + e.getMessage());
            return false;
        }
    }

    private static boolean report(String label, ToolLocator tools, ToolLocator.Spec spec) {
        try {
            Tool t = tools.locate(spec);
            System.out.println(label + t.executable() + " " + String.join(" ", t.prefixArgs()) + " (" + t.version() + ")");
            return true;
        } catch (ToolNotFoundException e) {
            System.out.println(label + "NOT FOUND: " + e.getMessage());
            return false;
        }
    }

    private static Path existing(Path p) {
        Path q = p.toAbsolutePath();
        while (q != null && !Files.exists(q)) q = q.getParent();
        return q == null ? Path.of("/") : q;
    }
}
