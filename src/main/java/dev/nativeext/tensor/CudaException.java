package dev.nativeext.tensor;

/** A CUDA call failed, or CUDA is not usable here; carries CUDA's error code (0 when none applies). */
public class CudaException extends RuntimeException {

    private final int code;

    public CudaException(String message, int code) {
        super(message);
        this.code = code;
    }

    public int code() {
        return code;
    }
}
