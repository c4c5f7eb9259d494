package dev.nativeext.tensor;

import dev.nativeext.runtime.NvidiaDriver;
import dev.nativeext.toolchain.CudaArchs;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.cuda.global.cudart;

import java.util.ArrayList;
import java.util.List;

/**
 * The CUDA devices of this machine, through JavaCPP's CUDA presets. The presets need the NVIDIA
 * driver to load, so the probe looks for the driver first and turns any failure into
 * "CUDA unavailable: reason"; nothing here throws where there is no GPU, except calls that need
 * one, which throw {@link CudaException} with the reason. Only long-standing runtime functions
 * are called (a preset newer than the runtime can reference functions the runtime lacks).
 */
public final class Cuda {

    /** A device as the runtime describes it. */
    public record DeviceInfo(int index, String name, int major, int minor, long totalMemory) {
        public String capability() {
            return major + "." + minor;
        }
    }

    private record Probe(String unavailableReason, int count) {
    }

    private static volatile Probe probe;

    private Cuda() {
    }

    private static Probe probe() {
        Probe p = probe;
        if (p != null) return p;
        synchronized (Cuda.class) {
            if (probe == null) probe = doProbe();
            return probe;
        }
    }

    private static Probe doProbe() {
        if (!NvidiaDriver.present()) {
            return new Probe("no NVIDIA driver (libcuda.so.1 not found in LD_LIBRARY_PATH or " + NvidiaDriver.SEARCHED + ")", 0);
        }
        try {
            Loader.load(cudart.class);
            int[] n = new int[1];
            int e = cudart.cudaGetDeviceCount(n);
            if (e != 0) return new Probe("cudaGetDeviceCount failed: " + errorString(e) + " (" + e + ")", 0);
            if (n[0] == 0) return new Probe("no CUDA device", 0);
            return new Probe(null, n[0]);
        } catch (Throwable t) {
            // UnsatisfiedLinkError, NoClassDefFoundError, ExceptionInInitializerError: the presets could not load.
            return new Probe("cannot load the CUDA runtime through JavaCPP's presets: " + t, 0);
        }
    }

    /** Whether a CUDA device can be used; never throws. */
    public static boolean isAvailable() {
        return probe().unavailableReason() == null;
    }

    /** Why CUDA cannot be used, or {@code null} when it can. */
    public static String unavailableReason() {
        return probe().unavailableReason();
    }

    /** The number of devices; 0 where CUDA is unavailable. */
    public static int deviceCount() {
        return probe().count();
    }

    /** @throws CudaException "CUDA unavailable: reason" where there is no usable device */
    public static void require() {
        String r = unavailableReason();
        if (r != null) throw new CudaException("CUDA unavailable: " + r, 0);
    }

    public static DeviceInfo device(int index) {
        require();
        if (index < 0 || index >= deviceCount()) {
            throw new IllegalArgumentException("CUDA device " + index + " does not exist (" + deviceCount() + " device(s))");
        }
        int[] major = new int[1];
        int[] minor = new int[1];
        check(cudart.cudaDeviceGetAttribute(major, cudart.cudaDevAttrComputeCapabilityMajor, index), "cudaDeviceGetAttribute");
        check(cudart.cudaDeviceGetAttribute(minor, cudart.cudaDevAttrComputeCapabilityMinor, index), "cudaDeviceGetAttribute");
        check(cudart.cuInit(0), "cuInit");
        byte[] name = new byte[256];
        check(cudart.cuDeviceGetName(name, name.length, index), "cuDeviceGetName");
        int len = 0;
        while (len < name.length && name[len] != 0) len++;
        check(cudart.cudaSetDevice(index), "cudaSetDevice");
        org.bytedeco.javacpp.SizeTPointer free = new org.bytedeco.javacpp.SizeTPointer(1);
        org.bytedeco.javacpp.SizeTPointer total = new org.bytedeco.javacpp.SizeTPointer(1);
        try {
            check(cudart.cudaMemGetInfo(free, total), "cudaMemGetInfo");
            return new DeviceInfo(index, new String(name, 0, len, java.nio.charset.StandardCharsets.UTF_8), major[0], minor[0], total.get());
        } finally {
            free.close();
            total.close();
        }
    }

    public static List<DeviceInfo> devices() {
        List<DeviceInfo> out = new ArrayList<>();
        for (int i = 0; i < deviceCount(); i++) out.add(device(i));
        return out;
    }

    /**
     * Fails with a clear message, before any launch, when code built for {@code built} cannot run
     * on {@code device}, instead of CUDA's "no kernel image is available for execution".
     */
    public static void requireKernelImage(CudaArchs built, Device device, String what) {
        DeviceInfo d = device(device.index());
        if (!built.runsOn(d.major(), d.minor())) {
            throw new CudaException(what + " was built for CUDA architectures " + built + ", which cannot run on " + device
                    + " (" + d.name() + ", compute capability " + d.capability() + "); rebuild with an arch list that includes "
                    + d.capability() + " or a lower one with +PTX (e.g. -Dnativeext.cuda.archs=\"" + d.capability() + "\")", 209);
        }
    }

    static void check(int status, String call) {
        if (status != 0) throw new CudaException(call + " failed: " + errorString(status) + " (CUDA error " + status + ")", status);
    }

    static String errorString(int status) {
        try {
            org.bytedeco.javacpp.BytePointer s = cudart.cudaGetErrorString(status);
            return s == null ? "unknown" : s.getString();
        } catch (Throwable t) {
            return "error " + status;
        }
    }

    static void malloc(Pointer out, long bytes) {
        check(cudart.cudaMalloc(out, bytes), "cudaMalloc(" + bytes + " bytes)");
    }
}
