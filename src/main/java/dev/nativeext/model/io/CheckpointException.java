package dev.nativeext.model.io;

/** A checkpoint that cannot be read or does not fit the model; the message says which key or byte. */
public class CheckpointException extends RuntimeException {

    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
