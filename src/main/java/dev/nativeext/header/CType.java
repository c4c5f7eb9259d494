package dev.nativeext.header;

/**
 * A C type as a binding sees it: a scalar or an opaque struct, under zero or more pointers.
 *
 * @param scalar       the base scalar type; {@code null} when the base is a struct
 * @param structName   the struct's tag for an opaque struct base, else {@code null}
 * @param pointerDepth the number of {@code *} (array parameters count as one)
 * @param constPointee whether the outermost pointee is {@code const} (e.g. {@code const float*})
 * @param spelling     the type as written in the header, for messages
 */
public record CType(CScalar scalar, String structName, int pointerDepth, boolean constPointee, String spelling) {

    public CType {
        if ((scalar == null) == (structName == null)) {
            throw new IllegalArgumentException("a C type has exactly one of scalar or struct base");
        }
    }

    public static CType scalar(CScalar s, String spelling) {
        return new CType(s, null, 0, false, spelling);
    }

    public boolean isPointer() {
        return pointerDepth > 0;
    }

    public boolean isVoid() {
        return scalar == CScalar.VOID && pointerDepth == 0;
    }

    /** A pointer whose pointee is a scalar other than void, e.g. {@code float*}. */
    public boolean isScalarPointer() {
        return pointerDepth == 1 && scalar != null && scalar != CScalar.VOID;
    }

    /** {@code const char*}: the one pointer that also takes a Java String. */
    public boolean isCString() {
        return pointerDepth == 1 && scalar == CScalar.CHAR && constPointee;
    }

    /** How generated C declares a value of this type: pointers to structs become {@code void*}. */
    public String cDeclaration() {
        if (pointerDepth == 0) return scalar.cSpelling();
        String base = scalar == null ? "void" : scalar.cSpelling();
        return (constPointee ? "const " : "") + base + "*".repeat(pointerDepth);
    }

    @Override
    public String toString() {
        return spelling;
    }
}
