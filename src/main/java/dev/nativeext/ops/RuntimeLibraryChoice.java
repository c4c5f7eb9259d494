package dev.nativeext.ops;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * An optional CUDA library (cuBLAS, cuDNN) that an op library loads at run time with dlopen,
 * chosen once, before the op's first CUDA call, from a system property or else an environment
 * variable:
 * <ul>
 *   <li>unset or blank: the op searches the library's usual file names as dlopen does
 *       ({@code LD_LIBRARY_PATH}, the loader cache); none found means the op's own kernel;</li>
 *   <li>{@code none} (or {@code off}, {@code false}): the op's own kernel;</li>
 *   <li>anything else: the file name or path of the library to load; when it cannot be loaded, the
 *       first CUDA call fails with the loader's reason instead of silently falling back.</li>
 * </ul>
 */
final class RuntimeLibraryChoice {

    /** The op library's selection function: {@code (library or null, description out, capacity) -> status}. */
    interface Selector {
        int select(String library, byte[] description, long capacity);
    }

    private static final int LIBRARY_UNAVAILABLE = 6;
    private static final int NOT_BUILT_WITH_CUDA = 4;

    private final String property, env, library, op;
    private final Selector selector;
    private volatile String description;

    /** {@code library} names it in messages ("cuBLAS"); {@code op} names the op in status errors. */
    RuntimeLibraryChoice(String property, String env, String library, String op, Selector selector) {
        this.property = property;
        this.env = env;
        this.library = library;
        this.op = op;
        this.selector = selector;
    }

    /** One line naming what runs (the library and its version, or the own kernel and why); selects first. */
    String describe() {
        select();
        return description;
    }

    /** Selects once; throws when the setting names a library that cannot be used. */
    void select() {
        if (description != null) return;
        synchronized (this) {
            if (description != null) return;
            String setting = setting(System.getProperty(property), System.getenv(env));
            byte[] text = new byte[512];
            int status = selector.select(setting, text, text.length);
            String line = cString(text);
            if (status == LIBRARY_UNAVAILABLE) {
                throw new IllegalStateException(property + " / " + env + " names a " + library + " that cannot be used: " + line);
            }
            if (status != NOT_BUILT_WITH_CUDA) Natives.check(status, op);
            description = line;
        }
    }

    /** What to pass to C: null to search, "" for the own kernel, else the library to load. */
    static String setting(String property, String env) {
        String v = property != null && !property.isBlank() ? property : env;
        if (v == null || v.isBlank()) return null;
        v = v.strip();
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "none", "off", "false" -> "";
            default -> v;
        };
    }

    private static String cString(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }
}
