package dev.nativeext.ops;

import dev.nativeext.tensor.Tensor;

/**
 * ReLU and sigmoid, out of place and in place (PyTorch's {@code relu} / {@code relu_},
 * {@code sigmoid} / {@code sigmoid_}), on the CPU (C99, vectorised, {@link CpuOptions#isa()}) and
 * CUDA, float32 and float64, any shape. ReLU is {@code max(x, 0)} with NaN kept (as
 * {@code torch.relu}); sigmoid is {@code 1 / (1 + e^-x)}, computed from {@code e^-|x|} so that it
 * never overflows (float32 within 2 ulp). Registered as {@code "relu"} and {@code "sigmoid"}.
 * Forward only.
 */
public final class Activation {

    /** The kernel each device registers: {@code out} (possibly {@code x}) of x's shape and dtype. */
    public interface Kernel {
        void run(Tensor x, Tensor out);
    }

    public static final Op<Kernel> RELU = new Op<>("relu", Kernel.class);
    public static final Op<Kernel> SIGMOID = new Op<>("sigmoid", Kernel.class);

    private static volatile boolean registered;

    private Activation() {
    }

    public static void registerBuiltins() {
        if (registered) return;
        synchronized (Activation.class) {
            if (registered) return;
            ActivationNative.LIBRARY.register(RELU, (x, out) -> cpu(0, x, out), () -> (x, out) -> cuda(0, x, out));
            ActivationNative.LIBRARY.register(SIGMOID, (x, out) -> cpu(1, x, out), () -> (x, out) -> cuda(1, x, out));
            registered = true;
        }
    }

    public static Tensor relu(Tensor x) {
        return outOfPlace(RELU, x);
    }

    /** ReLU over {@code x} itself; returns {@code x}. */
    public static Tensor reluInPlace(Tensor x) {
        return inPlace(RELU, x);
    }

    public static Tensor sigmoid(Tensor x) {
        return outOfPlace(SIGMOID, x);
    }

    /** Sigmoid over {@code x} itself; returns {@code x}. */
    public static Tensor sigmoidInPlace(Tensor x) {
        return inPlace(SIGMOID, x);
    }

    private static Kernel check(Op<Kernel> op, Tensor x) {
        registerBuiltins();
        LayerChecks.floating(op.name(), "x", x);
        return OpRegistry.global().dispatch(op, x);
    }

    private static Tensor outOfPlace(Op<Kernel> op, Tensor x) {
        Kernel k = check(op, x);
        Tensor out = Tensor.empty(x.dtype(), x.device(), x.shape());
        try {
            k.run(x, out);
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    private static Tensor inPlace(Op<Kernel> op, Tensor x) {
        check(op, x).run(x, x);
        return x;
    }

    private static void cpu(int code, Tensor x, Tensor out) {
        Natives.check(ActivationNative.ne_activation_cpu(code, x.dtype().code(), x.numel(), x.address(), out.address(),
                CpuOptions.threads(), CpuOptions.isa().code()), code == 0 ? "relu" : "sigmoid");
    }

    private static void cuda(int code, Tensor x, Tensor out) {
        if (x.numel() == 0) return;
        ActivationNative.LIBRARY.requireKernelImage(x.device());
        Natives.check(ActivationNative.ne_activation_cuda(code, x.dtype().code(), x.numel(), x.address(), out.address(), 0L),
                code == 0 ? "relu" : "sigmoid");
    }
}
