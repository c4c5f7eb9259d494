package dev.nativeext.runtime;

import java.util.Locale;

/**
 * The platform name in JavaCPP's spelling ({@code linux-x86_64}, {@code linux-arm64}, ...), the
 * folder natives are packed under. Computed here rather than through JavaCPP's {@code Loader},
 * whose initialisation reads property files: a cache hit must stay fast.
 */
public final class Platform {

    private Platform() {
    }

    public static String current() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        String o = os.startsWith("linux") ? "linux" : os.startsWith("mac") ? "macosx" : os.startsWith("windows") ? "windows" : os;
        String a = switch (arch) {
            case "amd64", "x86_64", "x86-64" -> "x86_64";
            case "aarch64", "arm64" -> "arm64";
            case "ppc64le" -> "ppc64le";
            default -> arch;
        };
        return o + "-" + a;
    }

    /** The file name of a shared library: {@code libNAME.so} on Linux. */
    public static String libraryFileName(String name) {
        String p = current();
        if (p.startsWith("macosx")) return "lib" + name + ".dylib";
        if (p.startsWith("windows")) return name + ".dll";
        return "lib" + name + ".so";
    }
}
