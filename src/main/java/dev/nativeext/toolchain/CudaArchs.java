package dev.nativeext.toolchain;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A CUDA architecture list in torch's spelling, {@code "7.5;8.0;8.6;8.9;9.0+PTX"}: each entry
 * compiles machine code (SASS) for that compute capability, and {@code +PTX} also embeds PTX that
 * newer GPUs JIT-compile. The default needs no GPU to choose it (unlike torch's, which inspects
 * the build machine's GPU and fails without one) and covers Turing to Hopper (H100/H200 are 9.0).
 */
public record CudaArchs(List<Arch> archs) {

    /** One entry: compute capability {@code major.minor} (with an optional {@code a}/{@code f} suffix) and whether PTX is embedded. */
    public record Arch(int major, int minor, String suffix, boolean ptx) {
        String sm() {
            return "" + major + minor + suffix;
        }

        @Override
        public String toString() {
            return major + "." + minor + suffix + (ptx ? "+PTX" : "");
        }
    }

    public static final String DEFAULT = "7.5;8.0;8.6;8.9;9.0+PTX";
    public static final String PROPERTY = "nativeext.cuda.archs";
    public static final String ENV = "NATIVEEXT_CUDA_ARCHS";

    private static final Pattern ENTRY = Pattern.compile("(\\d+)\\.(\\d)([af]?)(\\+PTX)?", Pattern.CASE_INSENSITIVE);

    public CudaArchs {
        archs = List.copyOf(archs);
    }

    /** Parses {@code "8.0;9.0+PTX"} (';', ',' or spaces between entries). */
    public static CudaArchs parse(String spec) {
        if (spec == null || spec.isBlank()) throw new IllegalArgumentException("CUDA arch list is empty");
        List<Arch> out = new ArrayList<>();
        for (String e : spec.trim().split("[;,\\s]+")) {
            Matcher m = ENTRY.matcher(e);
            if (!m.matches()) {
                throw new IllegalArgumentException("CUDA arch list '" + spec + "': entry '" + e
                        + "' is not a compute capability like 8.6 or 9.0+PTX");
            }
            out.add(new Arch(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), m.group(3).toLowerCase(java.util.Locale.ROOT), m.group(4) != null));
        }
        return new CudaArchs(out);
    }

    /** {@code -Dnativeext.cuda.archs}, then {@code $NATIVEEXT_CUDA_ARCHS}, then {@link #DEFAULT}. */
    public static CudaArchs fromEnvironment() {
        String p = System.getProperty(PROPERTY);
        if (p == null || p.isBlank()) p = System.getenv(ENV);
        return parse(p == null || p.isBlank() ? DEFAULT : p);
    }

    /** nvcc's {@code -gencode} arguments. */
    public List<String> nvccArgs() {
        List<String> a = new ArrayList<>();
        for (Arch x : archs) {
            a.add("-gencode=arch=compute_" + x.sm() + ",code=sm_" + x.sm());
            if (x.ptx()) a.add("-gencode=arch=compute_" + x.sm() + ",code=compute_" + x.sm());
        }
        return a;
    }

    /**
     * Whether code built for this list runs on a device of capability {@code major.minor}: SASS
     * runs on the same major version and an equal or higher minor; PTX runs on any newer device.
     */
    public boolean runsOn(int major, int minor) {
        for (Arch x : archs) {
            if (x.suffix().isEmpty() && x.major() == major && x.minor() <= minor) return true;
            if (!x.suffix().isEmpty() && x.major() == major && x.minor() == minor) return true;
            if (x.ptx() && (x.major() < major || (x.major() == major && x.minor() <= minor))) return true;
        }
        return false;
    }

    @Override
    public String toString() {
        return String.join(";", archs.stream().map(Arch::toString).toList());
    }
}
