package dev.nativeext.runtime;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Whether the NVIDIA driver library is installed, found by looking for {@code libcuda.so.1}
 * rather than loading anything: cheap enough for choosing which packed library variant to load.
 */
public final class NvidiaDriver {

    public static final List<Path> SEARCHED = List.of(Path.of("/usr/lib/x86_64-linux-gnu"), Path.of("/usr/lib64"),
            Path.of("/usr/lib"), Path.of("/usr/local/nvidia/lib64"), Path.of("/usr/local/nvidia/lib"),
            Path.of("/usr/lib/wsl/lib"));

    private NvidiaDriver() {
    }

    /** The driver library's path, or {@code null}. {@code LD_LIBRARY_PATH} folders are searched first. */
    public static Path find() {
        String ld = System.getenv("LD_LIBRARY_PATH");
        if (ld != null) {
            for (String d : ld.split(":")) {
                if (!d.isEmpty() && Files.exists(Path.of(d, "libcuda.so.1"))) return Path.of(d, "libcuda.so.1");
            }
        }
        for (Path d : SEARCHED) if (Files.exists(d.resolve("libcuda.so.1"))) return d.resolve("libcuda.so.1");
        return null;
    }

    public static boolean present() {
        return find() != null;
    }
}
