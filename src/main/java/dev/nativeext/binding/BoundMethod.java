package dev.nativeext.binding;

import dev.nativeext.header.CFunction;

import java.util.List;
import java.util.stream.Collectors;

/** A Java method bound to a C function. */
public record BoundMethod(CFunction function, String javaName, Class<?> javaReturn, ReturnKind returnKind,
                          List<BoundParameter> parameters) {

    public BoundMethod {
        parameters = List.copyOf(parameters);
    }

    /** The JVM descriptor, e.g. {@code (IILorg/bytedeco/javacpp/FloatPointer;)V}. */
    public String descriptor() {
        StringBuilder d = new StringBuilder("(");
        for (BoundParameter p : parameters) d.append(JniNames.descriptor(p.javaType()));
        return d.append(')').append(JniNames.descriptor(javaReturn)).toString();
    }

    /** The native method's descriptor: like {@link #descriptor()} with converted arguments as {@code long}. */
    public String nativeDescriptor() {
        StringBuilder d = new StringBuilder("(");
        for (BoundParameter p : parameters) d.append(JniNames.descriptor(p.nativeType()));
        return d.append(')').append(JniNames.descriptor(javaReturn)).toString();
    }

    /** Java-style signature for messages: {@code int add(int, int)}. */
    public String javaSignature() {
        return javaReturn.getSimpleName() + " " + javaName + "(" + parameters.stream()
                .map(p -> p.javaType().getSimpleName()).collect(Collectors.joining(", ")) + ")";
    }
}
