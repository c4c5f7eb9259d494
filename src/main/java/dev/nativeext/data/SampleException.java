package dev.nativeext.data;

/** Reading or collating the sample at {@link #index()} failed; the cause says why. */
public class SampleException extends RuntimeException {

    private final int index;

    public SampleException(int index, Throwable cause) {
        super("sample " + index + " failed: " + cause, cause);
        this.index = index;
    }

    public SampleException(int index, String message, Throwable cause) {
        super(message, cause);
        this.index = index;
    }

    /** The dataset index of the failing sample, or -1 when the batch as a whole failed (collate). */
    public int index() {
        return index;
    }
}
