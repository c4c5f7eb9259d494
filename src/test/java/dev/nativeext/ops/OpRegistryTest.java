package dev.nativeext.ops;

import dev.nativeext.ChildJvm;
import dev.nativeext.NativeExtension;
import dev.nativeext.binding.BindingMismatchException;
import dev.nativeext.tensor.Cuda;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

class OpRegistryTest {

    @TempDir
    Path dir;

    interface Scale {
        Tensor apply(Tensor x, float k);
    }

    static final Op<Scale> SCALE = new Op<>("scale", Scale.class);

    @Test
    void dispatchesOnTheTensorsDevice() {
        OpRegistry r = new OpRegistry();
        r.register(SCALE, Device.Type.CPU, (x, k) -> Tensor.of(new float[]{k}, 1));
        try (Tensor x = Tensor.of(new float[]{1}, 1); Tensor y = r.dispatch(SCALE, x).apply(x, 3f)) {
            assertArrayEquals(new float[]{3f}, y.toFloatArray());
        }
    }

    @Test
    void aMissingKernelNamesTheOpTheDeviceAndWhy() {
        OpRegistry r = new OpRegistry();
        r.define(SCALE);
        NoKernelException e = assertThrows(NoKernelException.class, () -> r.kernel(SCALE, Device.CPU));
        assertEquals("op 'scale' cannot run on cpu: no kernel registered for cpu", e.getMessage());
        r.unavailable(SCALE, Device.Type.CUDA, "built without CUDA");
        e = assertThrows(NoKernelException.class, () -> r.kernel(SCALE, Device.cuda(0)));
        assertEquals("op 'scale' cannot run on cuda:0: built without CUDA", e.getMessage());
        e = assertThrows(NoKernelException.class, () -> r.kernel(new Op<>("nope", Scale.class), Device.CPU));
        assertTrue(e.getMessage().contains("'nope' is not defined"));
    }

    @Test
    void theBuiltinCudaKernelsSayWhyTheyAreMissing() {
        assumeFalse(Cuda.isAvailable(), "CUDA is usable here, so the built-in CUDA kernels are there");
        NoKernelException e = assertThrows(NoKernelException.class, () -> OpRegistry.global().kernel(Elementwise.ADD, Device.cuda(0)));
        assertTrue(e.getMessage().startsWith("op 'add' cannot run on cuda:0: "), e.getMessage());
        assertTrue(e.getMessage().contains("driver") || e.getMessage().contains("CUDA"), e.getMessage());
    }

    @Test
    void aRegistrationWinsOverBuiltinsInstalledLater() {
        OpRegistry r = new OpRegistry();
        AtomicInteger installs = new AtomicInteger();
        r.builtins(() -> {
            installs.incrementAndGet();
            r.registerBuiltin(SCALE, Device.Type.CPU, (x, k) -> Tensor.of(new float[]{-1}, 1));
            r.builtinUnavailable(SCALE, Device.Type.CUDA, "built without CUDA");
        }, SCALE);
        r.register(SCALE, Device.Type.CPU, (x, k) -> Tensor.of(new float[]{k}, 1));
        assertEquals(0, installs.get(), "installing built-ins is lazy");
        try (Tensor x = Tensor.of(new float[]{1}, 1); Tensor y = r.kernel(SCALE, Device.CPU).apply(x, 3f)) {
            assertArrayEquals(new float[]{3f}, y.toFloatArray());
        }
        assertEquals(1, installs.get());
        r.unregister(SCALE, Device.Type.CPU);
        try (Tensor x = Tensor.of(new float[]{1}, 1); Tensor y = r.kernel(SCALE, Device.CPU).apply(x, 3f)) {
            assertArrayEquals(new float[]{-1f}, y.toFloatArray(), "the built-in shows through again");
        }
        assertEquals(1, installs.get(), "installed once");
        NoKernelException e = assertThrows(NoKernelException.class, () -> r.kernel(SCALE, Device.cuda(0)));
        assertEquals("op 'scale' cannot run on cuda:0: built without CUDA", e.getMessage());
    }

    @Test
    void aUserCpuAddOnTheGlobalRegistryWinsOverTheBuiltinOne() {
        // After the built-ins are installed (any earlier test may have run an add) ...
        try (Tensor a = Tensor.of(new float[]{1, 2}, 2); Tensor b = Tensor.of(new float[]{10, 20}, 2)) {
            try (Tensor c = a.add(b)) {
                assertArrayEquals(new float[]{11, 22}, c.toFloatArray());
            }
            OpRegistry.global().register(Elementwise.ADD, Device.Type.CPU, PlusHundredAdd.KERNEL);
            try (Tensor c = a.add(b)) {
                assertArrayEquals(new float[]{111, 122}, c.toFloatArray());
            } finally {
                OpRegistry.global().unregister(Elementwise.ADD, Device.Type.CPU);
            }
            try (Tensor c = a.add(b)) {
                assertArrayEquals(new float[]{11, 22}, c.toFloatArray(), "unregister restores the built-in");
            }
        }
    }

    @Test
    void aUserCpuAddRegisteredBeforeTheFirstCallWins() {
        // ... and before anything ran an op: only a fresh JVM guarantees that order.
        ChildJvm.Result r = ChildJvm.of(PlusHundredAdd.class, dir.resolve("child")).run(Duration.ofSeconds(60));
        assertEquals(0, r.exitCode(), r::toString);
        assertEquals("111.0,122.0", r.result().get("sum"), r::toString);
    }

    /** Registers an add that adds 100 more on {@code global()} before any op ran, then adds. */
    public static final class PlusHundredAdd {
        static final Elementwise.BinaryKernel KERNEL = (a, b, out) -> {
            float[] x = a.toFloatArray(), y = b.toFloatArray(), z = new float[x.length];
            for (int i = 0; i < z.length; i++) z[i] = x[i] + y[i] + 100f;
            try (Tensor t = Tensor.of(z, out.shape()); Tensor zero = Tensor.zeros(DType.FLOAT32, Device.CPU, out.shape())) {
                Elementwise.into(Elementwise.SUB, t, zero, out);  // a copy into out, by the built-in sub
            }
        };

        public static void main(String[] args) {
            OpRegistry.global().register(Elementwise.ADD, Device.Type.CPU, KERNEL);
            try (Tensor a = Tensor.of(new float[]{1, 2}, 2); Tensor b = Tensor.of(new float[]{10, 20}, 2); Tensor c = a.add(b)) {
                float[] s = c.toFloatArray();
                System.out.println("RESULT sum=" + s[0] + "," + s[1]);
            }
        }
    }

    @Test
    void aSignatureIsFixedOnceDefined() {
        OpRegistry r = new OpRegistry();
        r.define(SCALE);
        interface Other {
            void run();
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.define(new Op<>("scale", Other.class)));
        assertTrue(e.getMessage().contains("already defined"), e.getMessage());
    }

    /** The header of a user's kernel: raw pointers, int64 sizes, a status. */
    public interface UserKernels {
        int user_add_f32(Tensor a, Tensor b, Tensor out, long n);
    }

    @Test
    void aUserNativeKernelBuiltWithNativeExtensionReplacesABuiltinForOneDevice() throws IOException {
        Files.writeString(dir.resolve("user.h"), "#include <stdint.h>\nint32_t user_add_f32(const float* a, const float* b, float* out, int64_t n);\n");
        Files.writeString(dir.resolve("user.c"), """
                #include "user.h"
                /* Adds, then adds 100: so the test can tell it ran instead of the built-in. */
                int32_t user_add_f32(const float* a, const float* b, float* out, int64_t n) {
                    if (n < 0) return 1;
                    for (int64_t i = 0; i < n; i++) out[i] = a[i] + b[i] + 100.0f;
                    return 0;
                }
                """);
        UserKernels k = NativeExtension.builder("user.kernels").headers("user.h").sources("user.c").relativeTo(dir.toString())
                .cacheDir(dir.resolve("cache")).create().load(UserKernels.class);
        OpRegistry r = new OpRegistry();
        r.register(Elementwise.ADD, Device.Type.CPU, (a, b, out) -> {
            int status = k.user_add_f32(a, b, out, out.numel());
            if (status != 0) throw new NativeOpException("add", status, "user kernel failed");
        });
        try (Tensor a = Tensor.of(new float[]{1, 2}, 2); Tensor b = Tensor.of(new float[]{10, 20}, 2);
             Tensor out = Tensor.empty(DType.FLOAT32, Device.CPU, 2)) {
            r.dispatch(Elementwise.ADD, a, b).run(a, b, out);
            assertArrayEquals(new float[]{111, 122}, out.toFloatArray());

            try (Tensor wrong = Tensor.of(new int[]{1, 2}, 2)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> k.user_add_f32(wrong, b, out, 2));
                assertEquals("argument 1 'a' of user_add_f32() points to float, but the tensor is INT32", e.getMessage());
            }
        }
    }

    public interface WrongTensorUse {
        int user_add_f32(Tensor a, Tensor b, Tensor out, Tensor n);
    }

    @Test
    void aTensorWhereTheHeaderHasAScalarIsAMismatch() throws IOException {
        Files.writeString(dir.resolve("user.h"), "#include <stdint.h>\nint32_t user_add_f32(const float* a, const float* b, float* out, int64_t n);\n");
        Files.writeString(dir.resolve("user.c"), "#include \"user.h\"\nint32_t user_add_f32(const float* a, const float* b, float* out, int64_t n) { return 0; }\n");
        NativeExtension ext = NativeExtension.builder("user.kernels2").headers("user.h").sources("user.c").relativeTo(dir.toString())
                .cacheDir(dir.resolve("cache")).create();
        BindingMismatchException e = assertThrows(BindingMismatchException.class, () -> ext.load(WrongTensorUse.class));
        assertTrue(e.getMessage().contains("parameter 4 'n' has C type 'int64_t', which Tensor cannot carry"), e.getMessage());
    }
}
