package dev.nativeext;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The resolved inputs of one extension: every path absolute and checked to exist. Immutable; the
 * cache key is computed from it.
 */
record ExtensionSpec(
        String name,
        String className,
        String libraryName,
        List<Path> headers,
        List<Path> sources,
        boolean withCuda,
        boolean packageMode,
        Path baseDir,
        List<Path> includeDirs,
        List<Path> libraryDirs,
        List<String> libraries,
        Map<String, String> defineMacros,
        List<String> extraCompileArgs,
        List<String> extraLinkArgs,
        List<Path> extraObjects,
        dev.nativeext.toolchain.CudaArchs cudaArchs,
        List<String> extraCudaArgs,
        boolean verbose,
        int jobs,
        Path cacheRoot) {
}
