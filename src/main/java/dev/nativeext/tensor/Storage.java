package dev.nativeext.tensor;

import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A block of memory on one device, freed once: by {@link Tensor#close()} or, as a safety net,
 * by the tensor's {@link java.lang.ref.Cleaner} when it becomes unreachable. Host memory is
 * aligned to {@value #ALIGNMENT} bytes, so SIMD loads of a row never split a cache line.
 */
final class Storage implements Runnable {

    static final int ALIGNMENT = 64;

    final Device device;
    final long bytes;
    private final Pointer raw;
    /** Offset of the aligned start in {@code raw}. */
    private final long offset;
    private boolean freed;

    private Storage(Device device, long bytes, Pointer raw, long offset) {
        this.device = device;
        this.bytes = bytes;
        this.raw = raw;
        this.offset = offset;
    }

    static Storage allocate(Device device, long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("negative allocation: " + bytes + " bytes");
        if (device.isCuda()) {
            Cuda.require();
            Cuda.check(cudart.cudaSetDevice(device.index()), "cudaSetDevice");
            Pointer p = new Pointer();
            if (bytes > 0) Cuda.malloc(p, bytes);
            return new Storage(device, bytes, p, 0);
        }
        long size = bytes + ALIGNMENT;
        Pointer p = tryHost(size);
        if (p == null) p = reclaimAndRetry(size);
        if (p == null) {
            throw new OutOfMemoryError("cannot allocate " + bytes + " bytes of host memory for a tensor (" + HostMemoryPool.liveBytes()
                    + " bytes held by live tensors" + (HostMemoryPool.limit() < Long.MAX_VALUE ? ", limit " + HostMemoryPool.limit() : "")
                    + "), even after freeing the host pool and reclaiming unreachable tensors; close() tensors you no longer use");
        }
        long off = (ALIGNMENT - p.address() % ALIGNMENT) % ALIGNMENT;
        Storage s = new Storage(device, bytes, p, off);
        if (POISON && bytes > 0) Pointer.memset(s.pointer(), 0xFF, bytes);
        return s;
    }

    /**
     * {@code -Dnativeext.poisonNewTensors=true} (the test suite sets it): every new host block is
     * filled with 0xFF bytes (NaN in float32 and float64, -1 in the integer types), so that an
     * element an op never writes shows in the result instead of whatever the reused block held
     * (often the last run's, identical, output).
     */
    private static final boolean POISON = Boolean.getBoolean("nativeext.poisonNewTensors");

    /** A host block of {@code size} bytes, from the pool or malloc, within the limit; null when there is none. */
    private static Pointer tryHost(long size) {
        if (!HostMemoryPool.reserve(size)) return null;
        Pointer p = size >= HostMemoryPool.MIN_BYTES ? HostMemoryPool.take(size) : null;
        if (p == null) p = Pointer.malloc(size);
        if (p == null || p.isNull()) {
            HostMemoryPool.unreserve(size);
            return null;
        }
        return p;
    }

    /**
     * After a failed host allocation, as direct ByteBuffers do: free the pool's blocks, then have
     * the garbage collector find tensors dropped without close() and their Cleaners free them,
     * retrying with growing pauses (about a second in all) before giving up.
     */
    private static Pointer reclaimAndRetry(long size) {
        HostMemoryPool.trim();
        Pointer p = tryHost(size);
        for (int attempt = 0; p == null && attempt < 9; attempt++) {
            System.gc();
            try {
                Thread.sleep(1L << attempt);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
            HostMemoryPool.trim();
            p = tryHost(size);
        }
        return p;
    }

    long address() {
        return raw.address() + offset;
    }

    /** A pointer at the aligned start, for JavaCPP and presets calls. */
    BytePointer pointer() {
        BytePointer b = new BytePointer(raw);
        b.capacity(offset + bytes);
        return b.position(offset);
    }

    /** Host memory as a native-order buffer (CPU storage only). */
    ByteBuffer hostBuffer() {
        if (device.isCuda()) throw new IllegalStateException("device memory has no host view; copy it to the cpu first");
        if (offset + bytes > Integer.MAX_VALUE) throw new IllegalStateException("a host view is limited to 2 GiB; this tensor has " + bytes + " bytes");
        // A view of the raw block, narrowed to the aligned range: index 0 is the first element.
        ByteBuffer whole = new BytePointer(raw).capacity(offset + bytes).asByteBuffer();
        whole.limit((int) (offset + bytes)).position((int) offset);
        return whole.slice().order(ByteOrder.nativeOrder());
    }

    /** Sets every byte to zero. */
    void zero() {
        if (bytes == 0) return;
        if (device.isCuda()) Cuda.check(cudart.cudaMemset(pointer(), 0, bytes), "cudaMemset");
        else Pointer.memset(pointer(), 0, bytes);
    }

    @Override
    public synchronized void run() {
        if (freed) return;
        freed = true;
        if (device.isCuda()) {
            if (!raw.isNull()) cudart.cudaFree(raw);
        } else {
            HostMemoryPool.unreserve(bytes + ALIGNMENT);
            HostMemoryPool.give(raw, bytes + ALIGNMENT);
        }
    }
}
