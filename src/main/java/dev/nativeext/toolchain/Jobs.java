package dev.nativeext.toolchain;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How many compilers may run at once: the cores, unless free memory says fewer (each compiler
 * process is budgeted {@value #BUDGET_MB} MiB; nvcc's peak is close to that), the cause of the
 * out-of-memory builds that torch's MAX_JOBS users hit. {@code -Dnativeext.jobs} or
 * {@code NATIVEEXT_JOBS} override it.
 */
public final class Jobs {

    static final long BUDGET_MB = 1024;

    private Jobs() {
    }

    public static int defaultJobs() {
        String o = System.getProperty("nativeext.jobs", System.getenv("NATIVEEXT_JOBS"));
        if (o != null && !o.isBlank()) {
            try {
                int n = Integer.parseInt(o.strip());
                if (n > 0) return n;
            } catch (NumberFormatException ignored) {
                // fall back to the computed default
            }
            throw new IllegalArgumentException("nativeext.jobs / NATIVEEXT_JOBS must be a positive integer, got '" + o + "'");
        }
        int cores = Runtime.getRuntime().availableProcessors();
        long availableMb = availableMemoryMb();
        int byMemory = availableMb <= 0 ? cores : (int) Math.max(1, availableMb / BUDGET_MB);
        return Math.max(1, Math.min(cores, byMemory));
    }

    /** MemAvailable from /proc/meminfo (cheap to read; no management beans), or -1. */
    static long availableMemoryMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("\\D+", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException ignored) {
            // not Linux, or unreadable: no memory bound
        }
        return -1;
    }
}
