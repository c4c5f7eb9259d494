package dev.nativeext.tensor;

import dev.nativeext.header.CScalar;

import java.util.EnumSet;
import java.util.Set;

/**
 * Element types of a {@link Tensor}. {@code code} is the value nativeext's C kernels take;
 * {@code BOOL} is stored as one byte (0 or 1) and computed on as {@code uint8}.
 */
public enum DType {
    FLOAT32(4, 0, EnumSet.of(CScalar.FLOAT)),
    FLOAT64(8, 1, EnumSet.of(CScalar.DOUBLE)),
    INT32(4, 2, EnumSet.of(CScalar.INT32, CScalar.UINT32)),
    INT64(8, 3, EnumSet.of(CScalar.INT64, CScalar.UINT64)),
    UINT8(1, 4, EnumSet.of(CScalar.UINT8, CScalar.INT8, CScalar.CHAR)),
    BOOL(1, 4, EnumSet.of(CScalar.BOOL, CScalar.UINT8));

    private final int size;
    private final int code;
    private final Set<CScalar> cTypes;

    DType(int size, int code, Set<CScalar> cTypes) {
        this.size = size;
        this.code = code;
        this.cTypes = cTypes;
    }

    /** Bytes per element. */
    public int size() {
        return size;
    }

    /** The dtype code of nativeext's C kernels. */
    public int code() {
        return code;
    }

    /** Whether a C pointer to {@code s} may point at this dtype's elements. */
    public boolean matches(CScalar s) {
        return cTypes.contains(s);
    }
}
