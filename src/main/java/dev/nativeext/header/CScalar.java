package dev.nativeext.header;

/**
 * The scalar C types a binding can carry, after typedefs and synonyms are resolved (LP64: C
 * {@code long} is 64 bits). Each knows its Java primitive and its spelling in generated C.
 */
public enum CScalar {
    VOID("void", 0, void.class),
    BOOL("_Bool", 1, boolean.class),
    /** Plain {@code char}: kept apart from {@code int8_t} so that {@code const char*} can take a String. */
    CHAR("char", 1, byte.class),
    INT8("int8_t", 1, byte.class),
    UINT8("uint8_t", 1, byte.class),
    INT16("int16_t", 2, short.class),
    UINT16("uint16_t", 2, short.class),
    INT32("int32_t", 4, int.class),
    UINT32("uint32_t", 4, int.class),
    INT64("int64_t", 8, long.class),
    UINT64("uint64_t", 8, long.class),
    FLOAT("float", 4, float.class),
    DOUBLE("double", 8, double.class);

    private final String cSpelling;
    private final int size;
    private final Class<?> javaType;

    CScalar(String cSpelling, int size, Class<?> javaType) {
        this.cSpelling = cSpelling;
        this.size = size;
        this.javaType = javaType;
    }

    /** How generated C spells the type (with {@code <stdint.h>} and {@code <stdbool.h>}). */
    public String cSpelling() {
        return cSpelling;
    }

    /** {@code sizeof} in bytes; 0 for void. */
    public int size() {
        return size;
    }

    /** The Java primitive that carries the value (unsigned types keep their bits). */
    public Class<?> javaType() {
        return javaType;
    }
}
