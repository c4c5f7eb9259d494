package dev.nativeext.cache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * SHA-256 over labelled fields. Every field is length-prefixed, so that no two different lists
 * of inputs can produce the same byte stream ("ab"+"c" vs "a"+"bc").
 */
public final class Hasher {

    private final MessageDigest digest;

    public Hasher() {
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    public Hasher put(String label, String value) {
        bytes(label.getBytes(StandardCharsets.UTF_8));
        bytes(String.valueOf(value).getBytes(StandardCharsets.UTF_8));
        return this;
    }

    public Hasher put(String label, Iterable<?> values) {
        int i = 0;
        for (Object v : values) put(label + "[" + i++ + "]", String.valueOf(v));
        return put(label + ".size", Integer.toString(i));
    }

    /** The file's name as given and its content. */
    public Hasher putFile(String label, Path file) {
        try {
            put(label, file.toString());
            bytes(Files.readAllBytes(file));
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private void bytes(byte[] b) {
        long n = b.length;
        for (int s = 56; s >= 0; s -= 8) digest.update((byte) (n >>> s));
        digest.update(b);
    }

    public String hex() {
        return HexFormat.of().formatHex(digest.digest());
    }

    public static String sha256(Path file) throws IOException {
        Hasher h = new Hasher();
        h.digest.update(Files.readAllBytes(file));
        return HexFormat.of().formatHex(h.digest.digest());
    }
}
