package dev.nativeext.tensor;

/**
 * Host memory held by nativeext's tensors (their storage, alignment included), now and at its
 * peak: for memory budgets in benchmarks and tests ("the forward never holds more than the
 * weights plus 1.5× its two largest activations"). Blocks kept by the host pool for reuse after
 * {@code close()} are not counted: they are free for the next tensor. CUDA memory is not counted.
 */
public final class HostMemory {

    private HostMemory() {
    }

    /** Bytes held by live host tensors. */
    public static long liveBytes() {
        return HostMemoryPool.liveBytes();
    }

    /** The most {@link #liveBytes()} has been since the last {@link #resetPeak()} (or since start). */
    public static long peakBytes() {
        return HostMemoryPool.peakBytes();
    }

    /** Starts measuring a new peak from the bytes live now; returns the previous peak. */
    public static long resetPeak() {
        return HostMemoryPool.resetPeak();
    }
}
