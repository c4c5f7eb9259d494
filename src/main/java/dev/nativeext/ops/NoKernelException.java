package dev.nativeext.ops;

/** An op was called on a device that has no implementation of it; says which and why. */
public final class NoKernelException extends UnsupportedOperationException {
    public NoKernelException(String message) {
        super(message);
    }
}
