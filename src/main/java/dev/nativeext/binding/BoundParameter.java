package dev.nativeext.binding;

import dev.nativeext.header.CParameter;

/** A C parameter and the Java type that carries it. */
public record BoundParameter(CParameter c, Class<?> javaType, ArgKind kind) {

    /** The type the native method declares: a {@code long} for arguments converted in Java. */
    public Class<?> nativeType() {
        return kind.convertedInJava() ? long.class : javaType;
    }

    /** Bytes per step of a Pointer's or Buffer's position: the pointee's size (pointers for {@code T**}, 1 for void and structs). */
    public int elementSize() {
        var t = c.type();
        if (t.pointerDepth() > 1) return 8;
        if (t.scalar() == null || t.scalar().size() == 0) return 1;
        return t.scalar().size();
    }
}
