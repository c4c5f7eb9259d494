package dev.nativeext;

import dev.nativeext.ops.Op;
import dev.nativeext.ops.OpRegistry;
import dev.nativeext.ops.VisionOps;
import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.Tensor;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A tensor's memory is never freed while a native call uses it: not by {@code close()} from
 * another thread (before the fix: SIGSEGV in ROIAlign's transpose, or 8 of 10 calls reading
 * memory already back in the host pool), not by its Cleaner when the caller's reference is dead
 * (before: {@code roiAlign(Tensor.zeros(...))} crashed with a GC thread running). The probe: a
 * freed block of 1 MiB goes back to the host pool, and the next tensor of that size takes it and
 * zeroes it; a call that reads its input after that would see zeros.
 */
class TensorLifetimeTest {

    private static final int N = 1 << 18;   // 1 MiB of float32: pooled, so a free is observable

    public interface Probe {
        void run(Tensor t, CountDownLatch inside, CountDownLatch closed, float[] seen);
    }

    /** The float at a raw address (the test reads memory it must no longer reach through the tensor). */
    private static float read(long at) {
        Pointer p = new Pointer() {
            {
                address = at;
            }
        };
        return new FloatPointer(p).get(0);
    }

    @Test
    void closeFromAnotherThreadDuringAnOpFreesOnlyAfterTheKernelReturns() throws Exception {
        Op<Probe> op = new Op<>("test.lifetime.probe", Probe.class);
        OpRegistry.global().register(op, Device.Type.CPU, (t, inside, closed, seen) -> {
            long a = t.address();
            inside.countDown();
            try {
                assertTrue(closed.await(30, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            seen[0] = read(a);
        });
        float[] data = new float[N];
        java.util.Arrays.fill(data, 42f);
        Tensor t = Tensor.of(data, N);
        CountDownLatch inside = new CountDownLatch(1), closed = new CountDownLatch(1);
        float[] seen = new float[1];
        CompletableFuture<Void> call = CompletableFuture.runAsync(() -> OpRegistry.global().dispatch(op, t).run(t, inside, closed, seen));
        assertTrue(inside.await(30, TimeUnit.SECONDS));
        t.close();                                            // returns at once, does not free
        assertTrue(t.isClosed());
        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> OpRegistry.global().dispatch(op, t).run(t, inside, closed, seen), "a new call on a closed tensor fails");
        assertTrue(refused.getMessage().contains("test.lifetime.probe: argument 1"), refused.getMessage());
        assertThrows(IllegalStateException.class, () -> OpRegistry.global().kernel(op, Device.CPU).run(t, inside, closed, seen),
                "also past dispatch: the guard refuses a closed tensor");
        try (Tensor other = Tensor.zeros(DType.FLOAT32, Device.CPU, N)) {
            closed.countDown();
            call.get(30, TimeUnit.SECONDS);
            assertEquals(42f, seen[0], "the kernel read its input after close(): the memory was still its own");
        }
    }

    public interface Spin {
        float spin_read(Tensor x, IntPointer flags);
    }

    @TempDir
    static Path dir;

    @Test
    void closeFromAnotherThreadDuringAnExtensionCallFreesOnlyAfterTheNativeReturns() throws Exception {
        Files.writeString(dir.resolve("spin.h"), """
                #include <stdint.h>
                float spin_read(const float* x, int32_t* flags);
                """);
        // flags[0] = 1: inside; then wait (bounded) for flags[1] before reading x.
        Files.writeString(dir.resolve("spin.c"), """
                #include "spin.h"
                float spin_read(const float* x, int32_t* flags) {
                    volatile int32_t* f = flags;
                    f[0] = 1;
                    for (long i = 0; i < 20000000000L && f[1] == 0; i++) { }
                    return x[0];
                }
                """);
        Spin lib = NativeExtension.builder("lifetime.spin").headers("spin.h").sources("spin.c").relativeTo(dir.toString())
                .cacheDir(dir.resolve("cache")).create().load(Spin.class);
        float[] data = new float[N];
        java.util.Arrays.fill(data, 7f);
        try (IntPointer flags = new IntPointer(2)) {
            flags.put(0, 0).put(1, 0);
            Tensor t = Tensor.of(data, N);
            CompletableFuture<Float> call = CompletableFuture.supplyAsync(() -> lib.spin_read(t, flags));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (flags.get(0) == 0 && System.nanoTime() < deadline) Thread.onSpinWait();
            assertEquals(1, flags.get(0), "the native call started");
            t.close();
            try (Tensor other = Tensor.zeros(DType.FLOAT32, Device.CPU, N)) {
                flags.put(1, 1);
                assertEquals(7f, call.get(30, TimeUnit.SECONDS), "the native read its argument after close()");
            }
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> lib.spin_read(t, flags));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
        }
    }

    @Test
    void anInputReachableOnlyThroughTheCallSurvivesGarbageCollectionMidCall() throws Exception {
        float[] box = {0, 1, 1, 60, 60};
        float[] want;
        try (Tensor in = Tensor.uniform(3, -1, 1, 1, 64, 64, 64); Tensor rois = Tensor.of(box, 1, 5);
             Tensor y = VisionOps.roiAlign(in, rois, new int[]{7, 7}, 1.0, 2, true)) {
            want = y.toFloatArray();
        }
        AtomicBoolean stop = new AtomicBoolean();
        Thread gc = new Thread(() -> {
            while (!stop.get()) System.gc();
        });
        gc.setDaemon(true);
        gc.start();
        try {
            for (int i = 0; i < 40; i++) {
                try (Tensor rois = Tensor.of(box, 1, 5);
                     Tensor y = VisionOps.roiAlign(Tensor.uniform(3, -1, 1, 1, 64, 64, 64), rois, new int[]{7, 7}, 1.0, 2, true)) {
                    assertArrayEquals(want, y.toFloatArray());
                }
            }
        } finally {
            stop.set(true);
            gc.join();
        }
    }

    @Test
    void closingAnInputWhileRoiAlignRunsGivesAResultOrAClearErrorNeverACrash() throws Exception {
        float[] box = {0, 1, 1, 60, 60};
        float[] want;
        try (Tensor in = Tensor.uniform(5, -1, 1, 1, 64, 64, 64); Tensor rois = Tensor.of(box, 1, 5);
             Tensor y = VisionOps.roiAlign(in, rois, new int[]{14, 14}, 1.0, 4, true)) {
            want = y.toFloatArray();
        }
        int results = 0, refused = 0;
        for (int i = 0; i < 20; i++) {
            Tensor in = Tensor.uniform(5, -1, 1, 1, 64, 64, 64);
            try (Tensor rois = Tensor.of(box, 1, 5)) {
                CompletableFuture<float[]> call = CompletableFuture.supplyAsync(() -> {
                    try (Tensor y = VisionOps.roiAlign(in, rois, new int[]{14, 14}, 1.0, 4, true)) {
                        return y.toFloatArray();
                    }
                });
                Thread.sleep(i % 3);
                in.close();
                try (Tensor reuse = Tensor.zeros(DType.FLOAT32, Device.CPU, 64, 64, 64)) {
                    float[] got = call.get(30, TimeUnit.SECONDS);
                    assertArrayEquals(want, got, "a call that ran saw its whole input");
                    results++;
                } catch (java.util.concurrent.ExecutionException e) {
                    assertTrue(e.getCause() instanceof IllegalStateException, e.getCause().toString());
                    assertTrue(e.getCause().getMessage().contains("closed"), e.getCause().getMessage());
                    refused++;
                }
            }
        }
        assertEquals(20, results + refused);
    }
}
