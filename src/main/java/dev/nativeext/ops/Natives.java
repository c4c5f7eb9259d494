package dev.nativeext.ops;

import dev.nativeext.runtime.NvidiaDriver;
import dev.nativeext.tensor.Cuda;
import dev.nativeext.tensor.Device;
import dev.nativeext.toolchain.CudaArchs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The status and CUDA checks around every call into nativeext's own natives: a status becomes
 * one exception naming the op; a CUDA launch is preceded by a check that the library has code
 * for the device.
 */
final class Natives {

    private static final Set<Integer> CHECKED_DEVICES = ConcurrentHashMap.newKeySet();

    private Natives() {
    }

    static void check(int status, String op) {
        if (status == 0) return;
        String text = OpsNative.ne_status_string(status);
        if (status >= 1000) text = text + ": " + cudaError(status - 1000);
        throw new NativeOpException(op, status, text);
    }

    private static String cudaError(int code) {
        return "CUDA error " + code + (Cuda.isAvailable() ? "" : " (" + Cuda.unavailableReason() + ")");
    }

    /** Why the CUDA kernels of nativeext's ops cannot run here, or {@code null} when they can. */
    static String cudaMissingReason() {
        if (!OpsNative.hasCuda()) {
            return NvidiaDriver.present() ? "nativeext's ops were built without CUDA (the jar has no "
                    + dev.nativeext.runtime.Platform.current() + "-cuda library)"
                    : "no NVIDIA driver, so the CPU build of nativeext's ops was loaded";
        }
        return Cuda.isAvailable() ? null : "CUDA unavailable: " + Cuda.unavailableReason();
    }

    /** Before the first launch on a device: fails clearly if the library has no code for it. */
    static void requireKernelImage(Device device) {
        if (CHECKED_DEVICES.contains(device.index())) return;
        Cuda.requireKernelImage(builtArchs(), device, "nativeext's ops");
        CHECKED_DEVICES.add(device.index());
    }

    /** The arch list the CUDA variant was built with, written beside it by the build. */
    static CudaArchs builtArchs() {
        String resource = dev.nativeext.runtime.Platform.current() + "-cuda/nativeext_ops.archs";
        try (InputStream in = OpsNative.class.getResourceAsStream(resource)) {
            if (in == null) return CudaArchs.parse(CudaArchs.DEFAULT);
            return CudaArchs.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8).strip());
        } catch (IOException e) {
            return CudaArchs.parse(CudaArchs.DEFAULT);
        }
    }
}
