package dev.nativeext.tensor;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A failed host allocation reclaims tensors dropped without close() and retries, as direct
 * ByteBuffers do. Before: after eleven unclosed 512 MB tensors an allocation failed with
 * OutOfMemoryError although all were garbage, and succeeded after System.gc(). Here a limit on
 * live host bytes stands in for the machine's memory.
 */
class HostReclaimTest {

    private static final long MB = 1 << 20;

    @AfterEach
    void noLimit() {
        HostMemoryPool.limit(Long.MAX_VALUE);
    }

    @Test
    void droppedTensorsAreReclaimedWhenAnAllocationWouldFail() {
        System.gc();
        HostMemoryPool.limit(HostMemoryPool.liveBytes() + 40 * MB);
        for (int i = 0; i < 12; i++) {
            // 16 MiB each, never closed: at most two fit the limit at once.
            Tensor t = Tensor.zeros(DType.FLOAT32, Device.CPU, 4 * MB);
            assertEquals(4 * MB, t.numel());
        }
    }

    @Test
    void liveTensorsAreNotReclaimedAndTheErrorSaysWhatHoldsTheMemory() {
        System.gc();
        HostMemoryPool.limit(HostMemoryPool.liveBytes() + 40 * MB);
        try (Tensor a = Tensor.zeros(DType.FLOAT32, Device.CPU, 4 * MB); Tensor b = Tensor.zeros(DType.FLOAT32, Device.CPU, 4 * MB)) {
            OutOfMemoryError e = assertThrows(OutOfMemoryError.class, () -> Tensor.zeros(DType.FLOAT32, Device.CPU, 4 * MB));
            assertTrue(e.getMessage().contains("held by live tensors"), e.getMessage());
            assertTrue(a.numel() + b.numel() > 0);
        }
        HostMemoryPool.limit(Long.MAX_VALUE);
        try (Tensor c = Tensor.zeros(DType.FLOAT32, Device.CPU, 4 * MB)) {
            assertEquals(4 * MB, c.numel(), "closing gave the memory back");
        }
    }
}
