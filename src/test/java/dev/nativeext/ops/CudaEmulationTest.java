package dev.nativeext.ops;

import dev.nativeext.internal.ProjectNatives;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs every op's CUDA kernels (src/main/cuda/ne_&lt;op&gt;_*.cu) on the CPU and compares them with the
 * op's C99 CPU kernels, so that the CUDA code's indexing and math are tested on machines without a
 * GPU (the {@code cuda} tag's tests need one). Each .cu is rewritten into plain C++ (kernel launches
 * become calls into the emulator, src/test/native/cuda-emu/ne_cuda_emu.h), compiled with g++,
 * linked with the op's CPU sources and its driver {@code <op>_check.cpp}, and run; the driver
 * compares both on seeded inputs and edge cases and exits non-zero, naming the case, on a mismatch.
 */
@Tag("cuda-emulation")
class CudaEmulationTest {

    static final Path ROOT = Path.of("").toAbsolutePath();
    static final Path EMU = ROOT.resolve("src/test/native/cuda-emu");
    static final Path OUT = ROOT.resolve("target/cuda-emu");
    static final long COMPILE_TIMEOUT_S = 180;
    static final long RUN_TIMEOUT_S = 120;
    /** The one cuBLAS the emulator lets a .cu load (see ne_cuda_emu.h). */
    static final String CUBLAS_STANDIN = "NE_EMU_CUBLAS_STANDIN";
    static final String CUDNN_STANDIN = "NE_EMU_CUDNN_STANDIN";

    /** AddressSanitizer on the emulated kernels and the CPU code: out-of-bounds loads fail too. */
    private static boolean asan;
    private static ExecutorService pool;
    private static final Map<String, Future<Result>> RUNS = new LinkedHashMap<>();

    /** The ops with CUDA sources: include/ne_&lt;op&gt;.h plus at least one src/main/cuda/ne_&lt;op&gt;_*.cu. */
    static List<String> ops() throws IOException {
        List<String> ops = new ArrayList<>();
        for (String op : ProjectNatives.ops(ROOT)) if (!ProjectNatives.OpSources.of(ROOT, op).cudaSources().isEmpty()) ops.add(op);
        return ops;
    }

    @BeforeAll
    static void buildAll() throws Exception {
        Assumptions.assumeTrue(onPath("g++") && onPath("gcc"), "g++ and gcc are needed to emulate the CUDA kernels");
        Files.createDirectories(OUT);
        asan = useAsan();
        // Compiling dominates the time: one op per core.
        pool = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()));
        // Build and run every op up front, in parallel; each test then waits for its op's result.
        for (String op : ops()) RUNS.put(op, pool.submit(() -> {
            Path exe = build(op);
            return exec(List.of(exe.toString()), exe.getParent(), RUN_TIMEOUT_S, Map.of(CUBLAS_STANDIN, cublasStandIn().toString(),
                    CUDNN_STANDIN, cudnnStandIn().toString()));
        }));
    }

    @AfterAll
    static void stopPool() {
        if (pool != null) pool.shutdownNow();  // kills nothing: every task has finished or failed
    }

    @Test
    void everyOpWithCudaSourcesIsCovered() throws IOException {
        List<String> ops = ops();
        assertTrue(ops.size() >= 13, "expected the 13 ops with CUDA kernels, found " + ops);
        for (String op : ops) {
            assertTrue(Files.isRegularFile(EMU.resolve(op + "_check.cpp")),
                    "src/main/cuda has CUDA sources for '" + op + "' but there is no driver src/test/native/cuda-emu/"
                            + op + "_check.cpp comparing them with the CPU kernels");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ops")
    void emulatedCudaKernelsMatchTheCpuKernels(String op) throws Exception {
        Result r;
        try {
            r = RUNS.get(op).get(COMPILE_TIMEOUT_S * 4 + RUN_TIMEOUT_S, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof AssertionError a ? a : new AssertionError(op + ": build failed", e.getCause());
        }
        if (asan && r.output.contains("AddressSanitizer")) fail(op + ": AddressSanitizer found an invalid access:\n" + r.tail());
        assertEquals(0, r.rc, op + ": the emulated CUDA kernels disagree with the CPU kernels (exit " + r.rc + "):\n" + r.tail());
    }

    // ---- build -------------------------------------------------------------------------------

    /** Rewrites, compiles and links one op; returns the driver executable. */
    static Path build(String op) throws Exception {
        Path dir = OUT.resolve(op);
        Files.createDirectories(dir);
        ProjectNatives.OpSources src = ProjectNatives.OpSources.of(ROOT, op);
        List<String> inc = List.of("-I", "include", "-I", "src/main/cpp", "-I", "src/main/cuda", "-I", EMU.toString());
        // -ffp-contract=off: no FMA fusion on either side, so float differences come from the
        // kernels' own operation order only.
        List<String> cxx = new ArrayList<>(List.of("g++", "-std=c++17", "-O1", "-g", "-ffp-contract=off", "-DWITH_CUDA",
                "-Wall", "-Wno-unused-function", "-Wno-unused-variable", "-Wno-sign-compare"));
        cxx.addAll(inc);
        List<String> sanitize = asan ? List.of("-fsanitize=address", "-fno-omit-frame-pointer") : List.of();
        cxx.addAll(sanitize);
        List<String> objs = new ArrayList<>();
        for (String cu : src.cudaSources()) {
            String name = Path.of(cu).getFileName().toString();
            Path cpp = dir.resolve(name.replace(".cu", ".emu.cpp"));
            Files.writeString(cpp, CudaSourceRewriter.rewrite(Files.readString(ROOT.resolve(cu)), cu));
            objs.add(compile(cxx, cpp, dir));
        }
        Path driver = EMU.resolve(op + "_check.cpp");
        if (!Files.isRegularFile(driver)) throw new AssertionError("no driver " + ROOT.relativize(driver));
        objs.add(compile(cxx, driver, dir));
        List<String> cc = new ArrayList<>(List.of("gcc", "-std=c99", "-O1", "-g", "-fPIC", "-DWITH_CUDA", "-Wall", "-Wextra",
                "-Werror=implicit-function-declaration"));
        cc.addAll(src.cflags());
        cc.addAll(inc.subList(0, 4));
        cc.addAll(sanitize);
        for (String c : src.cSources()) objs.add(compile(cc, ROOT.resolve(c), dir));
        Path exe = dir.resolve(op + "_check");
        List<String> link = new ArrayList<>(List.of("g++", "-o", exe.toString()));
        link.addAll(sanitize);
        link.addAll(objs);
        link.addAll(src.ldflags());
        link.addAll(List.of("-lm", "-ldl", "-pthread"));
        run(link, "link " + op);
        return exe;
    }

    /**
     * -Dnativeext.cudaemu.asan=true/false; by default on where g++ can build with
     * AddressSanitizer (a kernel's stray load then fails with the .cu line, through #line).
     */
    static boolean useAsan() throws Exception {
        String p = System.getProperty("nativeext.cudaemu.asan", "auto");
        if (!p.equals("auto")) return Boolean.parseBoolean(p);
        Path probe = OUT.resolve("asan-probe.cpp");
        Files.writeString(probe, "int main() { return 0; }\n");
        Result r = exec(List.of("g++", "-fsanitize=address", probe.toString(), "-o", OUT.resolve("asan-probe").toString()), ROOT, 60);
        return r.rc == 0;
    }

    private static String compile(List<String> base, Path src, Path dir) throws Exception {
        String obj = dir.resolve(src.getFileName().toString().replaceAll("\\.[^.]+$", "") + ".o").toString();
        List<String> cmd = new ArrayList<>(base);
        cmd.addAll(List.of("-c", src.toString(), "-o", obj));
        run(cmd, "compile " + ROOT.relativize(src));
        return obj;
    }

    private static void run(List<String> cmd, String what) throws Exception {
        Result r = exec(cmd, ROOT, COMPILE_TIMEOUT_S);
        if (r.rc != 0) throw new AssertionError(what + " failed (exit " + r.rc + "): " + String.join(" ", cmd) + "\n" + r.tail());
    }

    // ---- processes and files --------------------------------------------------------------------

    record Result(int rc, String output) {
        String tail() {
            return output.length() > 6000 ? "...\n" + output.substring(output.length() - 6000) : output;
        }
    }

    /**
     * The stand-in libcublas of CublasLoaderTest (host-memory GEMMs, like the emulator's "device"
     * memory), built once; the drivers whose .cu can use cuBLAS check that path with it too.
     */
    static Path cublasStandIn() throws Exception {
        return standIn("cublas/fake_cublas.c", "libfakecublas.so");
    }

    /** The stand-in libcudnn of CudnnLoaderTest (host-memory convolutions), built once, for conv2d's cuDNN path. */
    static Path cudnnStandIn() throws Exception {
        return standIn("cudnn/fake_cudnn.c", "libfakecudnn.so");
    }

    private static synchronized Path standIn(String source, String library) throws Exception {
        Path so = OUT.resolve(library);
        if (!Files.isRegularFile(so)) {
            run(List.of("gcc", "-std=c99", "-O1", "-shared", "-fPIC", "-o", so.toString(),
                    ROOT.resolve("src/test/resources/" + source).toString()), "the stand-in " + library);
        }
        return so;
    }

    static Result exec(List<String> cmd, Path dir, long timeoutS) throws IOException, InterruptedException {
        return exec(cmd, dir, timeoutS, Map.of());
    }

    static Result exec(List<String> cmd, Path dir, long timeoutS, Map<String, String> env) throws IOException, InterruptedException {
        Path log = Files.createTempFile(OUT, "proc", ".log");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().put("LC_ALL", "C");  // plain ASCII quotes in compiler diagnostics
            // The emulator keeps its fibers' stacks for the process's life: not leaks worth a report.
            pb.environment().put("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=0");
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                return new Result(-1, "timed out after " + timeoutS + " s: " + String.join(" ", cmd) + "\n"
                        + new String(Files.readAllBytes(log), StandardCharsets.UTF_8));
            }
            return new Result(p.exitValue(), new String(Files.readAllBytes(log), StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) return true;
        }
        return false;
    }
}
