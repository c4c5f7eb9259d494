package dev.nativeext.binding;

/** How a C return value reaches Java. */
public enum ReturnKind {
    VOID,
    PRIMITIVE,
    /** A JavaCPP {@code Pointer} (of the declared class) holding the returned address; null for NULL. */
    POINTER,
    /** {@code const char*} read as modified UTF-8; null for NULL. */
    STRING,
    /** The returned address as a {@code long}. */
    ADDRESS
}
