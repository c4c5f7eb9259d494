package dev.nativeext.binding;

import dev.nativeext.header.CScalar;
import dev.nativeext.header.CType;
import org.bytedeco.javacpp.BooleanPointer;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.CLongPointer;
import org.bytedeco.javacpp.CharPointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.ShortPointer;
import org.bytedeco.javacpp.SizeTPointer;

import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Which Java types may carry which C types. Referencing the JavaCPP classes here only loads
 * them, it does not initialise them, so no native library is touched.
 */
final class JavaTypes {

    private JavaTypes() {
    }

    /** The JavaCPP pointer class a binding uses by default for {@code T*}. */
    static Class<? extends Pointer> pointerClass(CType t) {
        if (t.pointerDepth() != 1 || t.scalar() == null) return Pointer.class;
        return switch (t.scalar()) {
            case VOID -> Pointer.class;
            case BOOL -> BooleanPointer.class;
            case CHAR, INT8, UINT8 -> BytePointer.class;
            case INT16, UINT16 -> ShortPointer.class;
            case INT32, UINT32 -> IntPointer.class;
            case INT64, UINT64 -> LongPointer.class;
            case FLOAT -> FloatPointer.class;
            case DOUBLE -> DoublePointer.class;
        };
    }

    /** The kind a Java type would be passed as for {@code t}, or {@code null} if it cannot carry it. */
    static ArgKind argKind(CType t, Class<?> j) {
        if (!t.isPointer()) return j == t.scalar().javaType() ? ArgKind.PRIMITIVE : null;
        if (j == long.class) return ArgKind.ADDRESS;
        if (j == String.class) return t.isCString() ? ArgKind.STRING : null;
        if (j.getName().equals("dev.nativeext.tensor.Tensor")) return t.pointerDepth() == 1 ? ArgKind.TENSOR : null;
        if (j.getName().equals("dev.nativeext.tensor.CudaStream")) return t.pointerDepth() == 1 && t.scalar() == CScalar.VOID ? ArgKind.STREAM : null;
        if (Pointer.class.isAssignableFrom(j)) return pointerAccepts(t, j) ? ArgKind.POINTER : null;
        if (Buffer.class.isAssignableFrom(j)) return bufferClasses(t).contains(j) ? ArgKind.BUFFER : null;
        if (j.isArray()) return t.isScalarPointer() && j.getComponentType() == t.scalar().javaType() ? ArgKind.ARRAY : null;
        return null;
    }

    private static boolean pointerAccepts(CType t, Class<?> j) {
        if (j == Pointer.class) return true;
        if (!t.isScalarPointer()) return !isTypedScalarPointer(j); // opaque/void/T**: any Pointer subclass
        if (j == pointerClass(t)) return true;
        CScalar s = t.scalar();
        boolean wide = s == CScalar.INT64 || s == CScalar.UINT64;
        return (wide && (j == SizeTPointer.class || j == CLongPointer.class))
                || ((s == CScalar.INT16 || s == CScalar.UINT16) && j == CharPointer.class);
    }

    private static boolean isTypedScalarPointer(Class<?> j) {
        return j == BooleanPointer.class || j == BytePointer.class || j == ShortPointer.class || j == CharPointer.class
                || j == IntPointer.class || j == LongPointer.class || j == FloatPointer.class
                || j == DoublePointer.class || j == SizeTPointer.class || j == CLongPointer.class;
    }

    private static List<Class<?>> bufferClasses(CType t) {
        if (t.pointerDepth() != 1 || t.scalar() == null) return List.of();
        return switch (t.scalar()) {
            case VOID, BOOL, CHAR, INT8, UINT8 -> List.of(ByteBuffer.class);
            case INT16 -> List.of(ShortBuffer.class);
            case UINT16 -> List.of(ShortBuffer.class, CharBuffer.class);
            case INT32, UINT32 -> List.of(IntBuffer.class);
            case INT64, UINT64 -> List.of(LongBuffer.class);
            case FLOAT -> List.of(FloatBuffer.class);
            case DOUBLE -> List.of(DoubleBuffer.class);
        };
    }

    /** Every Java type a parameter of type {@code t} accepts, for error messages. */
    static List<String> accepted(CType t) {
        List<String> out = new ArrayList<>();
        if (!t.isPointer()) {
            out.add(t.scalar().javaType().getName());
            return out;
        }
        if (t.isCString()) out.add("String");
        out.add(pointerClass(t).getSimpleName());
        if (pointerClass(t) != Pointer.class) out.add("Pointer");
        bufferClasses(t).forEach(b -> out.add(b.getSimpleName() + " (direct)"));
        if (t.isScalarPointer()) out.add(t.scalar().javaType().getName() + "[]");
        if (t.pointerDepth() == 1) out.add("Tensor");
        if (t.pointerDepth() == 1 && t.scalar() == CScalar.VOID) out.add("CudaStream");
        out.add("long (address)");
        return out;
    }

    /** The kind a return of type {@code t} can have in Java type {@code j}, or {@code null}. */
    static ReturnKind returnKind(CType t, Class<?> j) {
        if (t.isVoid()) return j == void.class ? ReturnKind.VOID : null;
        if (!t.isPointer()) return j == t.scalar().javaType() ? ReturnKind.PRIMITIVE : null;
        if (j == long.class) return ReturnKind.ADDRESS;
        if (j == String.class) return t.isCString() || (t.isScalarPointer() && t.scalar() == CScalar.CHAR) ? ReturnKind.STRING : null;
        if (Pointer.class.isAssignableFrom(j) && pointerAccepts(t, j)) return ReturnKind.POINTER;
        return null;
    }

    /** The Java type the static (build-time) binding uses for {@code t}. */
    static Class<?> canonicalArg(CType t) {
        if (!t.isPointer()) return t.scalar().javaType();
        if (t.isCString()) return String.class;
        return pointerClass(t);
    }

    static Class<?> canonicalReturn(CType t) {
        if (t.isVoid()) return void.class;
        return canonicalArg(t);
    }
}
