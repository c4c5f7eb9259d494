package dev.nativeext;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** This project's version and the JavaCPP version it was built against; both are part of every cache key. */
public final class Versions {

    private static final Properties P = new Properties();

    static {
        try (InputStream in = Versions.class.getResourceAsStream("version.properties")) {
            if (in != null) P.load(in);
        } catch (IOException ignored) {
            // reported as "unknown"
        }
    }

    private Versions() {
    }

    public static String nativeext() {
        return P.getProperty("version", "unknown");
    }

    public static String javacpp() {
        return P.getProperty("javacpp", "unknown");
    }
}
