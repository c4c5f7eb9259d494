package dev.nativeext.tensor;

import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cudart;

/**
 * A CUDA stream, passed to extension functions where their header takes the stream as a pointer
 * ({@code void* stream}); {@code null} there means the default stream.
 */
public final class CudaStream implements AutoCloseable {

    private final CUstream_st stream;
    private boolean closed;

    private CudaStream(CUstream_st stream) {
        this.stream = stream;
    }

    public static CudaStream create() {
        Cuda.require();
        CUstream_st s = new CUstream_st();
        Cuda.check(cudart.cudaStreamCreate(s), "cudaStreamCreate");
        return new CudaStream(s);
    }

    public void synchronize() {
        check();
        Cuda.check(cudart.cudaStreamSynchronize(stream), "cudaStreamSynchronize");
    }

    /** The raw {@code cudaStream_t}; 0 for {@code null} (the default stream). */
    public static long handle(CudaStream s) {
        if (s == null) return 0;
        s.check();
        return s.stream.address();
    }

    private void check() {
        if (closed) throw new IllegalStateException("CUDA stream is closed");
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        cudart.cudaStreamDestroy(stream);
    }
}
