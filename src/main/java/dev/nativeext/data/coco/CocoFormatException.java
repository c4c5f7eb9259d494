package dev.nativeext.data.coco;

import java.nio.file.Path;

/** A COCO annotation file is malformed; the message names the file and the field (e.g. {@code annotations[3].bbox}). */
public class CocoFormatException extends RuntimeException {
    public CocoFormatException(Path file, String field, String problem) {
        super(file + ": " + field + ": " + problem);
    }

    public CocoFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
