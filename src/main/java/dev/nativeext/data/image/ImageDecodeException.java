package dev.nativeext.data.image;

import java.nio.file.Path;

/** An image file could not be read or decoded; the message names the file and why. */
public class ImageDecodeException extends RuntimeException {

    private final Path file;

    public ImageDecodeException(Path file, String why, Throwable cause) {
        super(file + ": " + why, cause);
        this.file = file;
    }

    public Path file() {
        return file;
    }
}
