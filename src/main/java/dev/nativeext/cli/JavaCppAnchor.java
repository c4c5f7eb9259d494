package dev.nativeext.cli;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.tools.Builder;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The anchor of the build and call benchmarks: the same example bound the plain JavaCPP way
 * (a {@code @Platform(cinclude=...)} class compiled by javac, then JavaCPP's Builder generating,
 * compiling and linking its C++ wrapper with the example's object), timed in the same run.
 */
final class JavaCppAnchor {

    private JavaCppAnchor() {
    }

    /** Builds the JavaCPP binding in {@code work}; prints the build time; returns the loaded class. */
    static Class<?> build(Path exampleDir, Path work) throws Exception {
        Path src = work.resolve("src/anchor/VecMathJavaCpp.java");
        Files.createDirectories(src.getParent());
        Path obj = work.resolve("vecmath.o");
        Files.writeString(src, """
                package anchor;
                import org.bytedeco.javacpp.*;
                import org.bytedeco.javacpp.annotation.*;
                @Platform(cinclude = "vecmath.h", includepath = "%s", library = "jnivecmath_anchor",
                          compiler = "default", link = {}, preload = {})
                @NoException
                public class VecMathJavaCpp {
                    static { Loader.load(); }
                    public static native int vm_add(int a, int b);
                    public static native void vm_saxpy(long n, float a, @Const FloatPointer x, FloatPointer y);
                    /** The same loops as nativeext's call benchmark, calling the natives directly. */
                    public static double benchAdd(long n) {
                        int acc = 0;
                        long t0 = System.nanoTime();
                        for (long i = 0; i < n; i++) acc += vm_add((int) i, 1);
                        double ns = (System.nanoTime() - t0) / (double) n;
                        return acc == 42 ? -ns : ns;
                    }
                    public static double benchSaxpy(long n, FloatPointer x, FloatPointer y) {
                        long t0 = System.nanoTime();
                        for (long i = 0; i < n; i++) vm_saxpy(1, 1e-9f, x, y);
                        return (System.nanoTime() - t0) / (double) n;
                    }
                }
                """.formatted(exampleDir.toString().replace("\\", "\\\\")));
        long t0 = System.nanoTime();
        Process gcc = new ProcessBuilder("gcc", "-std=c99", "-O3", "-fPIC", "-c", exampleDir.resolve("vecmath.c").toString(),
                "-o", obj.toString()).inheritIO().start();
        if (gcc.waitFor() != 0) throw new IllegalStateException("gcc failed");
        long t1 = System.nanoTime();
        Path classes = work.resolve("classes");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac.run(null, null, null, "-d", classes.toString(), "-cp", System.getProperty("java.class.path"), src.toString()) != 0) {
            throw new IllegalStateException("javac failed");
        }
        long t2 = System.nanoTime();
        new Builder().classPaths(classes.toString()).classesOrPackages("anchor.VecMathJavaCpp")
                .compilerOptions(obj.toString(), "-Wl,--no-undefined").outputDirectory(classes.resolve("anchor/" + Loader.getPlatform()).toString())
                .build();
        // Builder switches native loading off JVM-wide (JavaCPP gotcha 1).
        System.setProperty("org.bytedeco.javacpp.loadlibraries", "true");
        long t3 = System.nanoTime();
        System.out.printf(Locale.ROOT, "%-48s %.0f ms (gcc %.0f, javac %.0f, Builder %.0f; JVM already warm)%n",
                "anchor: plain JavaCPP cold build", (t3 - t0) / 1e6, (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6);
        URLClassLoader loader = new URLClassLoader(new URL[]{classes.toUri().toURL()}, JavaCppAnchor.class.getClassLoader());
        return loader.loadClass("anchor.VecMathJavaCpp");
    }

    /** Prints the anchor's call costs: three rounds, the third reported, as for nativeext. */
    static void calls(Class<?> c, long n) throws Exception {
        Method add = c.getMethod("benchAdd", long.class);
        Method saxpy = c.getMethod("benchSaxpy", long.class, FloatPointer.class, FloatPointer.class);
        try (FloatPointer x = new FloatPointer(1f); FloatPointer y = new FloatPointer(0f)) {
            double a = 0;
            double s = 0;
            for (int round = 0; round < 3; round++) {
                a = Math.abs((double) add.invoke(null, n));
                s = (double) saxpy.invoke(null, n / 4, x, y);
            }
            System.out.printf(Locale.ROOT, "%-48s %.2f ns%n", "anchor: JavaCPP call int vm_add(int, int)", a);
            System.out.printf(Locale.ROOT, "%-48s %.2f ns%n", "anchor: JavaCPP call vm_saxpy(.., FloatPointer x2)", s);
        }
    }
}
