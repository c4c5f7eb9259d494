package dev.nativeext;

import java.nio.file.Path;

/**
 * What one build or load did.
 *
 * @param source          where the library came from
 * @param key             the library's cache key (SHA-256, hex)
 * @param library         the shared library file
 * @param objectsCompiled sources compiled in this build (0 on any cache hit)
 * @param objectsReused   sources whose object came from the cache
 * @param millis          wall time of the step, in milliseconds
 */
public record BuildReport(Source source, String key, Path library, int objectsCompiled, int objectsReused, double millis) {

    public enum Source {
        /** Already loaded in this JVM. */
        JVM,
        /** Found in the on-disk cache; no compiler ran. */
        DISK,
        /** Compiled and linked now. */
        BUILT
    }

    @Override
    public String toString() {
        return switch (source) {
            case JVM -> String.format("already loaded in this JVM (%.2f ms)", millis);
            case DISK -> String.format("cache hit, no compiler ran (%.1f ms)", millis);
            case BUILT -> String.format("built: %d source(s) compiled, %d reused from the cache, linked (%.1f ms)",
                    objectsCompiled, objectsReused, millis);
        };
    }
}
