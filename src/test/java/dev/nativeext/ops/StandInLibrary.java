package dev.nativeext.ops;

import dev.nativeext.toolchain.Tool;
import dev.nativeext.toolchain.ToolLocator;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The stand-in CUDA libraries of the loader tests (host-memory cuBLAS, cuDNN), built from C with the project's C compiler. */
final class StandInLibrary {

    private StandInLibrary() {
    }

    /** Compiles {@code source} into the shared library {@code dir/name}, with extra {@code defines}. */
    static Path build(Path dir, Path source, String name, String... defines) throws IOException, InterruptedException {
        Tool cc = new ToolLocator(null).locate(ToolLocator.C_COMPILER);
        Path out = dir.resolve(name);
        List<String> cmd = new ArrayList<>(cc.command());
        cmd.addAll(List.of(defines));
        cmd.addAll(List.of("-std=c99", "-O1", "-shared", "-fPIC", "-o", out.toString(), source.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", cmd) + "\n" + log);
        return out;
    }

    /** The NUL-terminated text a probe wrote into {@code text}. */
    static String cString(byte[] text) {
        int n = 0;
        while (n < text.length && text[n] != 0) n++;
        return new String(text, 0, n, StandardCharsets.UTF_8);
    }

    /** {@code n} values uniform in [-1, 1): operands for the stand-ins' arithmetic checks. */
    static double[] random(SplittableRandom rnd, int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = rnd.nextDouble(-1, 1);
        return x;
    }

    static float[] toFloat(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) f[i] = (float) x[i];
        return f;
    }
}
