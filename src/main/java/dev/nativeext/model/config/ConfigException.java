package dev.nativeext.model.config;

/** A config value or key that maskrcnn-benchmark's loader (yacs) would reject; the message has file:line and the key. */
public class ConfigException extends RuntimeException {

    public ConfigException(String message) {
        super(message);
    }
}
