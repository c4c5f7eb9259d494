package dev.nativeext.ops;

/**
 * An op: a name and a signature, the Java interface its implementations have. Implementations
 * are registered per device type in an {@link OpRegistry}.
 *
 * @param name      the registry key, e.g. {@code "add"} or maskrcnn-benchmark's {@code "ROIAlign"}
 * @param signature the functional interface every implementation implements
 */
public record Op<T>(String name, Class<T> signature) {
    public Op {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("op name is empty");
        if (!signature.isInterface()) throw new IllegalArgumentException("op signature " + signature.getName() + " is not an interface");
    }

    @Override
    public String toString() {
        return name;
    }
}
