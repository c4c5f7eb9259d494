package dev.nativeext.tensor;

import dev.nativeext.header.CScalar;

/**
 * Called by generated binding classes where an interface passes a {@link Tensor} for a C
 * pointer: checks the tensor and returns the address the native call receives.
 */
public final class TensorArgs {

    private TensorArgs() {
    }

    /**
     * @param scalar the pointee's {@link CScalar} name, or {@code null} for {@code void*}
     * @param where  "argument N 'name' of function()", for messages
     */
    public static long address(Tensor t, String scalar, String where) {
        if (t == null) return 0;
        if (t.isClosed()) throw new IllegalStateException(where + ": tensor " + t.describe() + " is closed");
        if (scalar != null && !t.dtype().matches(CScalar.valueOf(scalar))) {
            throw new IllegalArgumentException(where + " points to " + CScalar.valueOf(scalar).cSpelling()
                    + ", but the tensor is " + t.dtype());
        }
        return t.address();
    }
}
