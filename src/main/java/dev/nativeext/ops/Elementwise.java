package dev.nativeext.ops;

import dev.nativeext.tensor.Broadcast;
import dev.nativeext.tensor.Tensor;

import java.util.Arrays;

/**
 * {@code add}, {@code sub}, {@code mul}, {@code div} with NumPy broadcasting, registered for the
 * CPU (C99) and CUDA. Both operands must have the same dtype; the result is a new contiguous
 * tensor of the broadcast shape on their device. Integer division truncates toward zero (C's and
 * PyTorch's {@code trunc} mode); {@code MIN / -1} wraps to {@code MIN} as in PyTorch; a zero divisor
 * anywhere is a {@link NativeOpException} naming the op ("integer division by zero", status 7),
 * never a trap. ({@link #into} has then written its output, with 0 where the divisor was 0.)
 */
public final class Elementwise {

    /** The kernel signature: writes {@code op(a, b)} into {@code out}, already of the broadcast shape. */
    public interface BinaryKernel {
        void run(Tensor a, Tensor b, Tensor out);
    }

    public static final Op<BinaryKernel> ADD = new Op<>("add", BinaryKernel.class);
    public static final Op<BinaryKernel> SUB = new Op<>("sub", BinaryKernel.class);
    public static final Op<BinaryKernel> MUL = new Op<>("mul", BinaryKernel.class);
    public static final Op<BinaryKernel> DIV = new Op<>("div", BinaryKernel.class);
    private static final Op<?>[] ALL = {ADD, SUB, MUL, DIV};
    private static final int MAX_DIMS = 8;

    static {
        // The CPU kernels always; the CUDA ones when the CUDA variant of the natives is loaded and
        // a device is usable, else the reason they are missing.
        OpRegistry.global().builtins(() -> {
            for (int i = 0; i < ALL.length; i++) {
                int code = i;
                @SuppressWarnings("unchecked") Op<BinaryKernel> op = (Op<BinaryKernel>) ALL[i];
                ElementwiseNative.LIBRARY.register(op, (a, b, out) -> cpu(op.name(), code, a, b, out),
                        () -> (a, b, out) -> cuda(op.name(), code, a, b, out));
            }
        }, ALL);
    }

    private Elementwise() {
    }

    public static Tensor add(Tensor a, Tensor b) {
        return binary(ADD, a, b);
    }

    public static Tensor sub(Tensor a, Tensor b) {
        return binary(SUB, a, b);
    }

    public static Tensor mul(Tensor a, Tensor b) {
        return binary(MUL, a, b);
    }

    public static Tensor div(Tensor a, Tensor b) {
        return binary(DIV, a, b);
    }

    /**
     * {@code a += b} in place, {@code b} broadcast to {@code a}'s shape (PyTorch's {@code add_}: the
     * broadcast shape must be {@code a}'s own); returns {@code a}.
     */
    public static Tensor addInPlace(Tensor a, Tensor b) {
        into(ADD, a, b, a);
        return a;
    }

    /**
     * {@code out = a op b} into an existing tensor of the broadcast shape, dtype and device (no
     * allocation: for loops that reuse their buffers). {@code out} may be {@code a} or {@code b}
     * when it has the broadcast shape (in place).
     */
    public static void into(Op<BinaryKernel> op, Tensor a, Tensor b, Tensor out) {
        ArgChecks.present("into", "op", op);
        ArgChecks.present(op.name(), "a", a, "b", b, "out", out);
        BinaryKernel k = OpRegistry.global().dispatch(op, a, b, out);
        long[] shape = checkedShape(op, a, b);
        if (out.dtype() != a.dtype() || !Arrays.equals(out.shape(), shape)) {
            throw new IllegalArgumentException(op + ": out is " + out.describe() + ", expected " + a.dtype() + Arrays.toString(shape));
        }
        k.run(a, b, out);
    }

    private static long[] checkedShape(Op<?> op, Tensor a, Tensor b) {
        if (a.dtype() != b.dtype()) {
            throw new IllegalArgumentException(op + ": dtypes differ (" + a.dtype() + " and " + b.dtype() + "); convert one first");
        }
        if (a.dtype() == dev.nativeext.tensor.DType.BOOL) {
            throw new IllegalArgumentException(op + ": bool tensors have no arithmetic; expected float32, float64, int32, int64 or uint8");
        }
        long[] shape = Broadcast.shape(a.shape(), b.shape());
        if (shape.length > MAX_DIMS) {
            throw new IllegalArgumentException(op + ": " + shape.length + " dimensions " + Arrays.toString(shape) + "; at most " + MAX_DIMS);
        }
        return shape;
    }

    private static Tensor binary(Op<BinaryKernel> op, Tensor a, Tensor b) {
        ArgChecks.present(op.name(), "a", a, "b", b);
        BinaryKernel k = OpRegistry.global().dispatch(op, a, b);
        long[] shape = checkedShape(op, a, b);
        Tensor out = Tensor.empty(a.dtype(), a.device(), shape);
        try {
            k.run(a, b, out);
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    private static void cpu(String op, int code, Tensor a, Tensor b, Tensor out) {
        long[] shape = out.shape();
        Natives.check(ElementwiseNative.ne_binary_cpu(code, a.dtype().code(), shape.length, shape, a.address(),
                Broadcast.strides(a.shape(), shape), b.address(), Broadcast.strides(b.shape(), shape), out.address(),
                CpuOptions.threads(), CpuOptions.isa().code()), op);
    }

    private static void cuda(String op, int code, Tensor a, Tensor b, Tensor out) {
        ElementwiseNative.LIBRARY.requireKernelImage(out.device());
        long[] shape = out.shape();
        Natives.check(ElementwiseNative.ne_binary_cuda(code, a.dtype().code(), shape.length, shape, a.address(),
                Broadcast.strides(a.shape(), shape), b.address(), Broadcast.strides(b.shape(), shape), out.address(), 0L), op);
    }
}
