package dev.nativeext.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A string-keyed registry, as maskrcnn-benchmark's {@code utils.registry.Registry}: the keys keep
 * maskrcnn-benchmark's spelling ({@code "R-50-FPN"}, {@code "StemWithGN"}) so that its configs stay
 * readable, and user code may register its own entries beside the built-in ones.
 *
 * <p>Registering a key twice is refused (naming the key); a lookup miss names the key and lists
 * every known one. Thread-safe; iteration follows registration order.
 *
 * @param <T> what is registered (a spec, a module factory)
 */
public final class Registry<T> {

    private final String name;
    private final Map<String, T> entries = new LinkedHashMap<>();

    /** @param name what the registry holds, for messages ({@code "stage specs"}) */
    public Registry(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    /** Adds {@code value} under {@code key}; a key already present is an IllegalArgumentException. */
    public synchronized Registry<T> register(String key, T value) {
        if (key == null || key.isEmpty()) throw new IllegalArgumentException(name + ": key must be a non-empty string");
        if (value == null) throw new IllegalArgumentException(name + ": value for '" + key + "' is null");
        if (entries.containsKey(key)) {
            throw new IllegalArgumentException(name + ": an object named '" + key + "' is already registered");
        }
        entries.put(key, value);
        return this;
    }

    /** The entry for {@code key}; a miss is an IllegalArgumentException that lists the known keys. */
    public synchronized T get(String key) {
        T v = entries.get(key);
        if (v == null) {
            throw new IllegalArgumentException(name + ": no entry named '" + key + "'; known: " + String.join(", ", entries.keySet()));
        }
        return v;
    }

    /**
     * The entry for {@code key}; a miss is the exception {@code miss} makes of a phrase that names
     * the key and lists the known ones ("'X' is not one of the stems: A, B"), for a caller that
     * knows where the key came from (a config file's line).
     */
    public synchronized T get(String key, Function<String, ? extends RuntimeException> miss) {
        T v = entries.get(key);
        if (v == null) throw miss.apply("'" + key + "' is not one of the " + name + ": " + String.join(", ", entries.keySet()));
        return v;
    }

    public synchronized boolean contains(String key) {
        return entries.containsKey(key);
    }

    /** The keys in registration order (a snapshot). */
    public synchronized Set<String> keys() {
        return Collections.unmodifiableSet(new java.util.LinkedHashSet<>(entries.keySet()));
    }

    @Override
    public String toString() {
        return "Registry[" + name + ": " + String.join(", ", keys()) + "]";
    }
}
