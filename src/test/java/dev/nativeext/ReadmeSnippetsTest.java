package dev.nativeext;

import dev.nativeext.tensor.Cuda;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every {@code ```java} block of README.md compiles and runs, from the project folder: type
 * declarations at the block's top level become nested types, the rest the body of a method. A
 * block that uses a GPU ({@code Device.cuda(}) is compiled everywhere and run where CUDA is
 * usable (and nvcc is there), else shown as skipped. A block that needs files the repository does
 * not have (a dataset) is marked by the line {@code <!-- readme-test: compile-only: why -->}
 * just before it: it must compile, and shows as skipped for the run, with that reason.
 */
class ReadmeSnippetsTest {

    static final List<String> IMPORTS = List.of("dev.nativeext.*", "dev.nativeext.tensor.*", "dev.nativeext.ops.*",
            "dev.nativeext.model.*", "dev.nativeext.model.config.*", "dev.nativeext.data.*", "dev.nativeext.data.coco.*",
            "dev.nativeext.data.image.*", "org.bytedeco.javacpp.*", "java.util.*", "java.nio.file.*", "java.time.*");

    @TempDir
    static Path out;

    /** One fenced block: its first line in README.md and its text. */
    record Snippet(int line, String text, String compileOnly) {
        String className() {
            return "ReadmeSnippetAtLine" + line;
        }

        /** The block as a compilation unit. */
        String source() {
            StringBuilder types = new StringBuilder(), body = new StringBuilder();
            List<String> lines = text.lines().toList();
            for (int i = 0; i < lines.size(); i++) {
                String l = lines.get(i);
                if (l.matches("(public )?(interface|record|class|enum) .*")) {
                    types.append("    ").append(l.startsWith("public ") ? "" : "public ");
                    int depth = 0;
                    do {
                        l = lines.get(i);
                        types.append(l).append('\n').append("    ");
                        depth += count(l, '{') - count(l, '}');
                        i++;
                    } while (depth > 0 && i < lines.size());
                    i--;
                    types.setLength(types.length() - 4);
                } else {
                    body.append("        ").append(l).append('\n');
                }
            }
            StringBuilder s = new StringBuilder("package readme;\n");
            for (String imp : IMPORTS) s.append("import ").append(imp).append(";\n");
            return s.append("public class ").append(className()).append(" {\n").append(types)
                    .append("    public static void run() throws Exception {\n").append(body).append("    }\n}\n").toString();
        }

        boolean needsGpu() {
            return text.contains("Device.cuda(");
        }
    }

    static List<Snippet> snippets(Path readme) throws IOException {
        List<String> lines = Files.readAllLines(readme, StandardCharsets.UTF_8);
        List<Snippet> found = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).strip().equals("```java")) continue;
            String mark = i > 0 ? lines.get(i - 1).strip() : "";
            String compileOnly = mark.startsWith("<!-- readme-test: compile-only:") && mark.endsWith("-->")
                    ? mark.substring("<!-- readme-test: compile-only:".length(), mark.length() - 3).strip() : null;
            int start = i + 1;
            StringBuilder b = new StringBuilder();
            for (i = start; i < lines.size() && !lines.get(i).strip().equals("```"); i++) b.append(lines.get(i)).append('\n');
            found.add(new Snippet(start + 1, b.toString(), compileOnly));
        }
        return found;
    }

    @TestFactory
    Stream<DynamicTest> everyJavaBlockOfTheReadmeCompilesAndRuns() throws IOException {
        List<Snippet> all = snippets(Path.of("README.md"));
        assertTrue(all.size() >= 4, "README.md has " + all.size() + " java blocks");
        return all.stream().map(s -> DynamicTest.dynamicTest("README.md line " + s.line(), () -> compileAndRun(s)));
    }

    private static void compileAndRun(Snippet s) throws Exception {
        Path src = out.resolve("src/readme/" + s.className() + ".java");
        Path classes = out.resolve("classes");
        Files.createDirectories(src.getParent());
        Files.createDirectories(classes);
        Files.writeString(src, s.source(), StandardCharsets.UTF_8);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diags = new DiagnosticCollector<>();
        try (StandardJavaFileManager fm = javac.getStandardFileManager(diags, null, StandardCharsets.UTF_8)) {
            List<String> opts = List.of("-d", classes.toString(), "-classpath", System.getProperty("java.class.path"),
                    "-proc:none", "-Xlint:none");
            boolean ok = javac.getTask(null, fm, diags, opts, null, fm.getJavaFileObjects(src.toFile())).call();
            if (!ok) {
                StringBuilder m = new StringBuilder("the java block at README.md line " + s.line() + " does not compile:\n");
                for (Diagnostic<? extends JavaFileObject> d : diags.getDiagnostics()) {
                    m.append("  ").append(d.getKind()).append(" at generated line ").append(d.getLineNumber()).append(": ")
                            .append(d.getMessage(null)).append('\n');
                }
                fail(m.append("generated source:\n").append(s.source()).toString());
            }
        }
        assumeTrue(s.compileOnly() == null, () -> "compiled; not run: " + s.compileOnly());
        if (s.needsGpu()) assumeTrue(Cuda.isAvailable(), "compiled; not run: it needs a GPU (CUDA unavailable: " + Cuda.unavailableReason() + ")");
        try (URLClassLoader cl = new URLClassLoader(new URL[] {classes.toUri().toURL()}, ReadmeSnippetsTest.class.getClassLoader())) {
            cl.loadClass("readme." + s.className()).getMethod("run").invoke(null);
        } catch (InvocationTargetException e) {
            throw new AssertionError("the java block at README.md line " + s.line() + " failed when run: " + e.getCause(), e.getCause());
        }
    }

    private static int count(String s, char c) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) == c) n++;
        return n;
    }
}
