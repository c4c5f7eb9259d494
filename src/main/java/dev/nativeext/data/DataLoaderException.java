package dev.nativeext.data;

/** The loader itself failed: a batch timed out, or the loader was used after {@code close()}. */
public class DataLoaderException extends RuntimeException {
    public DataLoaderException(String message) {
        super(message);
    }

    public DataLoaderException(String message, Throwable cause) {
        super(message, cause);
    }
}
