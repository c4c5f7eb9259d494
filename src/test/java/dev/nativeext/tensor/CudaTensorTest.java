package dev.nativeext.tensor;

import dev.nativeext.RequiresCuda;
import dev.nativeext.toolchain.CudaArchs;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs on a GPU machine (tag {@code cuda}); reported as skipped, with the reason, elsewhere. */
@RequiresCuda
class CudaTensorTest {

    @Test
    void devicesAreDescribed() {
        Cuda.DeviceInfo d = Cuda.device(0);
        assertTrue(d.major() >= 5, d.toString());
        assertTrue(d.totalMemory() > 0, d.toString());
        assertTrue(!d.name().isBlank());
    }

    @Test
    void roundTripsThroughTheDevice() {
        try (Tensor t = Tensor.uniform(5, -1, 1, 3, 7); Tensor g = t.to(Device.cuda(0)); Tensor back = g.to(Device.CPU)) {
            assertEquals(Device.cuda(0), g.device());
            assertArrayEquals(t.toFloatArray(), back.toFloatArray());
            assertArrayEquals(t.toFloatArray(), g.toFloatArray());
        }
    }

    @Test
    void broadcastArithmeticMatchesTheCpu() {
        SplittableRandom r = new SplittableRandom(11);
        for (int trial = 0; trial < 40; trial++) {
            long[][] s = BroadcastTest.shapes(r);
            try (Tensor a = Tensor.uniform(trial, -2, 2, s[0]); Tensor b = Tensor.uniform(trial + 100, 0.5f, 2, s[1]);
                 Tensor ga = a.to(Device.cuda(0)); Tensor gb = b.to(Device.cuda(0))) {
                for (BroadcastTest.BinOp op : BroadcastTest.BinOp.values()) {
                    try (Tensor c = op.run(a, b); Tensor g = op.run(ga, gb)) {
                        float[] want = c.toFloatArray(), got = g.toFloatArray();
                        for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-5f * Math.max(1, Math.abs(want[i])));
                    }
                }
            }
        }
    }

    @Test
    void mixedDevicesNameEachTensorsDevice() {
        try (Tensor a = Tensor.of(new float[]{1}, 1); Tensor b = a.to(Device.cuda(0))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.add(b));
            assertTrue(e.getMessage().contains("argument 1 on cpu, argument 2 on cuda:0"), e.getMessage());
        }
    }

    @Test
    void aMissingKernelImageIsAClearErrorBeforeLaunch() {
        CudaException e = assertThrows(CudaException.class,
                () -> Cuda.requireKernelImage(CudaArchs.parse("5.0"), Device.cuda(0), "test kernels"));
        assertTrue(e.getMessage().contains("built for CUDA architectures 5.0, which cannot run on cuda:0"), e.getMessage());
    }
}
