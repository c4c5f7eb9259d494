package dev.nativeext.ops;

import dev.nativeext.runtime.NvidiaDriver;
import dev.nativeext.runtime.PackagedLibrary;
import dev.nativeext.runtime.Platform;
import dev.nativeext.tensor.Cuda;
import dev.nativeext.tensor.Device;
import dev.nativeext.toolchain.CudaArchs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One of nativeext's own op libraries, loaded from beside its natives class (the {@code -cuda}
 * variant where the NVIDIA driver is installed), with what it was built with. Every op library
 * follows one convention (see {@code ProjectNatives}): {@code include/ne_<op>.h},
 * {@code src/main/cpp/ne_<op>_cpu.c} (which also defines the CUDA entry points as stubs returning
 * {@code NE_ERR_NOT_BUILT_WITH_CUDA} when {@code WITH_CUDA} is not defined),
 * {@code src/main/cuda/ne_<op>_cuda.cu}, and a class {@code dev.nativeext.ops.<Op>Native}.
 */
public final class NativeLibrary {

    private final String name;
    private final String path;
    private final CudaArchs archs;
    private final Set<Integer> checkedDevices = ConcurrentHashMap.newKeySet();

    private NativeLibrary(String name, String path, CudaArchs archs) {
        this.name = name;
        this.path = path;
        this.archs = archs;
    }

    /**
     * Loads {@code lib<name>} for {@code nativesClass}. Must be called from the natives class's
     * static initialiser: {@code System.load} runs here, in nativeext's class loader, which is
     * the loader of every natives class too.
     */
    static NativeLibrary load(Class<?> nativesClass, String name) {
        String path = PackagedLibrary.extract(nativesClass, name);
        System.load(path);
        return new NativeLibrary(name, path, readArchs(nativesClass, name));
    }

    public String name() {
        return name;
    }

    public boolean hasCuda() {
        return PackagedLibrary.isCudaVariant(path);
    }

    /** Why this library's CUDA kernels cannot run here, or {@code null} when they can. */
    public String cudaMissingReason() {
        if (!hasCuda()) {
            return NvidiaDriver.present() ? "lib" + name + " was built without CUDA (the jar has no " + Platform.current() + "-cuda variant)"
                    : "no NVIDIA driver, so the CPU build of lib" + name + " was loaded";
        }
        return Cuda.isAvailable() ? null : "CUDA unavailable: " + Cuda.unavailableReason();
    }

    /**
     * Puts {@code cpu} as {@code op}'s built-in CPU kernel and, when this library's CUDA kernels
     * can run here, {@code cuda} as its built-in CUDA kernel; else records why not, which a CUDA
     * call's error then names. Built-ins are the default layer of {@link OpRegistry#global()}: a
     * user's registration wins over them. Called from the installer an op class declares with
     * {@link OpRegistry#builtins}.
     */
    <T> void register(Op<T> op, T cpu, java.util.function.Supplier<T> cuda) {
        OpRegistry r = OpRegistry.global();
        r.registerBuiltin(op, Device.Type.CPU, cpu);
        String missing = cudaMissingReason();
        if (missing == null) r.registerBuiltin(op, Device.Type.CUDA, cuda.get());
        else r.builtinUnavailable(op, Device.Type.CUDA, missing);
    }

    /** Before the first launch on a device: fails clearly when the library has no code for it. */
    public void requireKernelImage(Device device) {
        if (checkedDevices.contains(device.index())) return;
        Cuda.requireKernelImage(archs, device, "lib" + name);
        checkedDevices.add(device.index());
    }

    private static CudaArchs readArchs(Class<?> owner, String name) {
        try (InputStream in = owner.getResourceAsStream(Platform.current() + "-cuda/" + name + ".archs")) {
            return CudaArchs.parse(in == null ? CudaArchs.DEFAULT : new String(in.readAllBytes(), StandardCharsets.UTF_8).strip());
        } catch (IOException e) {
            return CudaArchs.parse(CudaArchs.DEFAULT);
        }
    }
}
