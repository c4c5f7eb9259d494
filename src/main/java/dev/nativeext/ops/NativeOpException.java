package dev.nativeext.ops;

/** A native kernel returned an error status; carries the code, its name and the op. */
public final class NativeOpException extends RuntimeException {

    private final int status;

    public NativeOpException(String op, int status, String statusText) {
        super(op + " failed: " + statusText + " (status " + status + ")");
        this.status = status;
    }

    public int status() {
        return status;
    }
}
