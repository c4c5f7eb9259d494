package dev.nativeext.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

class TensorTest {

    @Test
    void getDoubleReadsOneElementInPlace() {
        try (Tensor f = Tensor.of(new float[]{1.5f, -2f, 3.25f}, 3); Tensor d = Tensor.of(new double[]{0.1, Double.NaN}, 2);
             Tensor l = Tensor.of(new long[]{1}, 1)) {
            assertEquals(3.25, f.getDouble(2));
            assertEquals(-2.0, f.getDouble(1));
            assertEquals(0.1, d.getDouble(0));
            assertTrue(Double.isNaN(d.getDouble(1)));
            assertThrows(IndexOutOfBoundsException.class, () -> f.getDouble(3));
            assertThrows(IllegalArgumentException.class, () -> l.getDouble(0));
        }
    }

    @Test
    void everyDtypeRoundTrips() {
        try (Tensor f = Tensor.of(new float[]{1.5f, -2f, 3f, 4f}, 2, 2)) {
            assertArrayEquals(new float[]{1.5f, -2f, 3f, 4f}, f.toFloatArray());
            assertArrayEquals(new long[]{2, 2}, f.shape());
            assertArrayEquals(new long[]{2, 1}, f.strides());
            assertEquals(16, f.bytes());
            assertEquals(0, f.address() % 64, "host memory is 64-byte aligned");
        }
        try (Tensor d = Tensor.of(new double[]{1e300, -0.0}, 2)) {
            assertArrayEquals(new double[]{1e300, -0.0}, d.toDoubleArray());
        }
        try (Tensor i = Tensor.of(new int[]{Integer.MIN_VALUE, 7}, 1, 2)) {
            assertArrayEquals(new int[]{Integer.MIN_VALUE, 7}, i.toIntArray());
        }
        try (Tensor l = Tensor.of(new long[]{Long.MAX_VALUE, -1}, 2)) {
            assertArrayEquals(new long[]{Long.MAX_VALUE, -1}, l.toLongArray());
        }
        try (Tensor u = Tensor.of(new byte[]{(byte) 255, 0}, 2); Tensor b = Tensor.ofBool(new boolean[]{true, false, true}, 3)) {
            assertArrayEquals(new byte[]{(byte) 255, 0}, u.toByteArray());
            assertArrayEquals(new byte[]{1, 0, 1}, b.toByteArray());
            assertEquals(DType.BOOL, b.dtype());
        }
    }

    @Test
    void factories() {
        try (Tensor z = Tensor.zeros(DType.INT64, Device.CPU, 3, 0, 2)) {
            assertEquals(0, z.numel());
            assertEquals(0, z.toLongArray().length);
        }
        try (Tensor z = Tensor.zeros(DType.FLOAT64, Device.CPU, 5)) {
            assertArrayEquals(new double[5], z.toDoubleArray());
        }
        try (Tensor a = Tensor.arange(DType.INT32, 5)) {
            assertArrayEquals(new int[]{0, 1, 2, 3, 4}, a.toIntArray());
        }
        try (Tensor u1 = Tensor.uniform(3, -1, 1, 100); Tensor u2 = Tensor.uniform(3, -1, 1, 100); Tensor u3 = Tensor.uniform(4, -1, 1, 100)) {
            assertArrayEquals(u1.toFloatArray(), u2.toFloatArray(), "same seed, same values");
            assertNotEquals(u1.toFloatArray()[0], u3.toFloatArray()[0]);
            for (float v : u1.toFloatArray()) assertTrue(v >= -1 && v < 1);
        }
        try (Tensor n = Tensor.normal(1, 10, 2, 10_000)) {
            double mean = 0;
            for (float v : n.toFloatArray()) mean += v;
            assertEquals(10, mean / 10_000, 0.1);
        }
    }

    @Test
    void badShapesAndDtypesAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[3], 2, 2));
        assertTrue(e.getMessage().contains("[2, 2] holds 4 elements, but the data has 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(DType.FLOAT32, Device.CPU, 2, -1));
        assertTrue(e.getMessage().contains("negative size -1 at axis 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tensor.empty(DType.FLOAT64, Device.CPU, 1L << 40, 1L << 40));
        try (Tensor f = Tensor.of(new float[]{1}, 1)) {
            e = assertThrows(IllegalArgumentException.class, f::toIntArray);
            assertTrue(e.getMessage().contains("FLOAT32"), e.getMessage());
        }
    }

    @Test
    void useAfterCloseIsAnErrorAndDoubleCloseIsHarmless() {
        Tensor t = Tensor.of(new float[]{1, 2}, 2);
        t.close();
        t.close();
        assertTrue(t.isClosed());
        IllegalStateException e = assertThrows(IllegalStateException.class, t::toFloatArray);
        assertTrue(e.getMessage().contains("FLOAT32[2] on cpu is closed"), e.getMessage());
        assertThrows(IllegalStateException.class, t::address);
        try (Tensor other = Tensor.of(new float[]{1, 2}, 2)) {
            assertThrows(IllegalStateException.class, () -> other.add(t));
        }
    }

    @Test
    void toTheSameDeviceIsTheSameTensor() {
        try (Tensor t = Tensor.of(new int[]{1}, 1)) {
            assertSame(t, t.to(Device.CPU));
        }
    }

    @Test
    void devicesParseAndPrint() {
        assertEquals(Device.cuda(1), Device.parse("cuda:1"));
        assertEquals(Device.cuda(0), Device.parse("CUDA"));
        assertEquals(Device.CPU, Device.parse("cpu"));
        assertEquals("cuda:2", Device.cuda(2).toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Device.parse("gpu0"));
        assertTrue(e.getMessage().contains("'gpu0'"));
    }

    @Test
    void withoutAGpuCudaSaysWhyAndNeverThrowsFromIsAvailable() {
        assumeFalse(Cuda.isAvailable(), "a GPU is usable here: CudaTensorTest covers CUDA tensors");
        assertFalse(Cuda.isAvailable());
        assertEquals(0, Cuda.deviceCount());
        assertTrue(Cuda.unavailableReason() != null && !Cuda.unavailableReason().isBlank());
        try (Tensor t = Tensor.of(new float[]{1}, 1)) {
            CudaException e = assertThrows(CudaException.class, () -> t.to(Device.cuda(0)));
            assertTrue(e.getMessage().startsWith("CUDA unavailable: "), e.getMessage());
        }
        assertThrows(CudaException.class, () -> Tensor.zeros(DType.FLOAT32, Device.cuda(0), 4));
        assertThrows(CudaException.class, CudaStream::create);
    }

    @Test
    void largeHostBlocksAreReusedAfterClose() {
        HostMemoryPool.trim();
        long address;
        try (Tensor a = Tensor.empty(DType.FLOAT32, Device.CPU, 1 << 20)) {
            address = a.address();
        }
        assertTrue(HostMemoryPool.cachedBytes() >= 4L << 20, "the 4 MiB block is kept");
        try (Tensor b = Tensor.zeros(DType.FLOAT32, Device.CPU, 1 << 20)) {
            assertEquals(address, b.address(), "the same block serves the next tensor of that size");
            for (float v : b.toFloatArray()) if (v != 0f) throw new AssertionError("zeros() must clear a reused block");
        }
        HostMemoryPool.trim();
        assertEquals(0, HostMemoryPool.cachedBytes());
    }

    @Test
    void reshapeCopiesTheElementsIntoTheNewShape() {
        try (Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 1, 6, 1, 1); Tensor y = x.reshape(2, 3)) {
            assertArrayEquals(new long[] {2, 3}, y.shape());
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, y.toFloatArray());
            assertTrue(y.address() != x.address(), "a copy: each tensor owns its storage");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.reshape(4, 2));
            assertTrue(e.getMessage().startsWith("reshape: shape [4, 2] holds 8 elements"), e.getMessage());
        }
        Tensor closed = Tensor.of(new float[] {1}, 1);
        closed.close();
        assertThrows(IllegalStateException.class, () -> closed.reshape(1, 1));
    }

    @Test
    void blocksFrom64KiBAreKeptAndSmallerOnesFreed() {
        HostMemoryPool.trim();
        long address;
        try (Tensor a = Tensor.empty(DType.FLOAT32, Device.CPU, 16 * 1024)) {   // 64 KiB: a 7x7 activation's size class
            address = a.address();
        }
        assertTrue(HostMemoryPool.cachedBytes() >= 64L << 10, "the 64 KiB block is kept");
        try (Tensor b = Tensor.empty(DType.FLOAT32, Device.CPU, 16 * 1024)) {
            assertEquals(address, b.address(), "the same block serves the next tensor of that size");
        }
        HostMemoryPool.trim();
        try (Tensor c = Tensor.empty(DType.FLOAT32, Device.CPU, 16 * 1024 - 64)) {
            assertTrue(c.address() != 0);
        }
        assertEquals(0, HostMemoryPool.cachedBytes(), "a block under 64 KiB goes back to malloc");
    }

    @Test
    void blocksUnder1MiBAreKeptUpTo64MiBOfThem() {
        HostMemoryPool.trim();
        // 100 tensors of distinct sizes just under 1 MiB (as ROI features of varying box counts): 100 MiB of blocks
        java.util.List<Tensor> live = new java.util.ArrayList<>();
        for (int i = 0; i < 100; i++) live.add(Tensor.empty(DType.UINT8, Device.CPU, (1 << 20) - 1024 - 64 * i));
        live.forEach(Tensor::close);
        long kept = HostMemoryPool.cachedBytes();
        assertTrue(kept <= HostMemoryPool.SMALL_MAX && kept > HostMemoryPool.SMALL_MAX - (1 << 20), "kept " + kept + " bytes");
        try (Tensor big = Tensor.empty(DType.UINT8, Device.CPU, 2 << 20)) {
            assertTrue(big.address() != 0);
        }
        assertEquals(kept + (2 << 20) + 64, HostMemoryPool.cachedBytes(), "a block of 1 MiB and more still fits the whole budget");
        HostMemoryPool.trim();
        assertEquals(0, HostMemoryPool.cachedBytes());
    }
}
