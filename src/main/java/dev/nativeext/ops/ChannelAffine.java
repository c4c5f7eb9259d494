package dev.nativeext.ops;

import dev.nativeext.tensor.Tensor;

import java.util.Arrays;

/**
 * A per-channel affine map with a residual add and a ReLU, in that order, on the CPU (C99,
 * vectorised, {@link CpuOptions#isa()}) and CUDA, float32 and float64:
 * {@code out[b, c, ...] = relu?(x[b, c, ...] · scale[c] + shift[c] + residual[b, c, ...])}.
 * It is a frozen batch norm ({@link FrozenBatchNorm2d}) and the epilogue of a convolution
 * ({@link DfConv2dLayer}): a bottleneck's {@code bn → (+ identity) → relu} in one pass over
 * memory. Registered as {@code "channel_affine"}. Forward only.
 *
 * <p>Shapes: {@code x [N, C, ...]} (rank >= 2, C >= 1), {@code scale}, {@code shift} {@code [C]} or
 * null (1 and 0), {@code residual} x's shape or null; one dtype, one device. {@link #into} may write
 * over {@code x} or {@code residual} (in place).
 */
public final class ChannelAffine {

    /** The kernel each device registers: arguments validated, {@code out} of x's shape. */
    public interface Kernel {
        void run(Tensor x, Tensor scale, Tensor shift, Tensor residual, boolean relu, Tensor out);
    }

    public static final Op<Kernel> CHANNEL_AFFINE = new Op<>("channel_affine", Kernel.class);

    private static volatile boolean registered;

    private ChannelAffine() {
    }

    public static void registerBuiltins() {
        if (registered) return;
        synchronized (ChannelAffine.class) {
            if (registered) return;
            ChannelAffineNative.LIBRARY.register(CHANNEL_AFFINE, ChannelAffine::cpu, () -> ChannelAffine::cuda);
            registered = true;
        }
    }

    /** A new tensor {@code relu?(x · scale + shift + residual)}; see the class documentation. */
    public static Tensor apply(Tensor x, Tensor scale, Tensor shift, Tensor residual, boolean relu) {
        Kernel k = check(x, scale, shift, residual);
        Tensor out = Tensor.empty(x.dtype(), x.device(), x.shape());
        try {
            k.run(x, scale, shift, residual, relu, out);
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    /** The same into {@code out} (x's shape, dtype and device), which may be {@code x} or {@code residual}. */
    public static void into(Tensor x, Tensor scale, Tensor shift, Tensor residual, boolean relu, Tensor out) {
        Kernel k = check(x, scale, shift, residual);
        LayerChecks.notNull(CHANNEL_AFFINE.name(), "out", out);
        OpRegistry.global().dispatch(CHANNEL_AFFINE, x, out);
        LayerChecks.like(CHANNEL_AFFINE.name(), "out", out, x, x.shape());
        k.run(x, scale, shift, residual, relu, out);
    }

    private static Kernel check(Tensor x, Tensor scale, Tensor shift, Tensor residual) {
        registerBuiltins();
        String op = CHANNEL_AFFINE.name();
        LayerChecks.floating(op, "x", x);
        Kernel k = OpRegistry.global().dispatch(CHANNEL_AFFINE, x, scale, shift, residual);
        if (x.ndim() < 2 || x.shape(1) < 1) {
            throw new IllegalArgumentException(op + ": x must be [N, C, ...] with C >= 1, got shape " + Arrays.toString(x.shape()));
        }
        LayerChecks.like(op, "scale", scale, x, x.shape(1));
        LayerChecks.like(op, "shift", shift, x, x.shape(1));
        LayerChecks.like(op, "residual", residual, x, x.shape());
        return k;
    }

    private static long addr(Tensor t) {
        return t == null ? 0L : t.address();
    }

    private static long hw(Tensor x) {
        return x.numel() == 0 ? 0 : x.numel() / (x.shape(0) * x.shape(1));
    }

    private static void cpu(Tensor x, Tensor scale, Tensor shift, Tensor residual, boolean relu, Tensor out) {
        Natives.check(ChannelAffineNative.ne_channel_affine_cpu(x.dtype().code(), x.address(), x.shape(0), x.shape(1), hw(x),
                addr(scale), addr(shift), addr(residual), relu ? 1 : 0, out.address(), CpuOptions.threads(), CpuOptions.isa().code()),
                CHANNEL_AFFINE.name());
    }

    private static void cuda(Tensor x, Tensor scale, Tensor shift, Tensor residual, boolean relu, Tensor out) {
        if (x.numel() == 0) return;
        ChannelAffineNative.LIBRARY.requireKernelImage(x.device());
        Natives.check(ChannelAffineNative.ne_channel_affine_cuda(x.dtype().code(), x.address(), x.shape(0), x.shape(1), hw(x),
                addr(scale), addr(shift), addr(residual), relu ? 1 : 0, out.address(), 0L), CHANNEL_AFFINE.name());
    }
}
