package dev.nativeext.binding;

/** How a Java argument reaches a C parameter; each kind has its own conversion in the JNI glue. */
public enum ArgKind {
    /** A Java primitive passed by value. */
    PRIMITIVE,
    /** A JavaCPP {@code Pointer}: its address plus position times the element size. */
    POINTER,
    /** A direct NIO buffer: its address plus position times the element size. */
    BUFFER,
    /** A Java primitive array, pinned for the call (copied back unless the pointee is const). */
    ARRAY,
    /** A Java String as modified UTF-8, for {@code const char*}. */
    STRING,
    /** A raw address in a {@code long}. */
    ADDRESS,
    /** A {@code dev.nativeext.tensor.Tensor}: its address, after a dtype check; the native receives a {@code long}. */
    TENSOR,
    /** A {@code dev.nativeext.tensor.CudaStream} for a {@code void*}: its handle; the native receives a {@code long}. */
    STREAM;

    /** Whether the generated class converts the argument in Java and the native takes a {@code long}. */
    public boolean convertedInJava() {
        return this == TENSOR || this == STREAM;
    }
}
