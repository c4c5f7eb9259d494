package dev.nativeext.ops;

import dev.nativeext.tensor.Tensor;

/**
 * Global average pooling ({@code torch.nn.functional.adaptive_avg_pool2d(x, 1)}, torchvision
 * ResNet's {@code avgpool}), on the CPU and CUDA, float32 and float64, NCHW: {@code x [N, C, H, W]}
 * to {@code [N, C, 1, 1]}, each plane's elements added in index order and divided once by
 * {@code H·W} (the same bits on every thread count, SIMD variant and device; a NaN gives NaN).
 * Registered as {@code "global_avg_pool2d"}; built into the max-pooling library.
 */
public final class GlobalAvgPool2d {

    /** The kernel each device registers: {@code out [N, C, 1, 1]}. */
    public interface Kernel {
        void run(Tensor x, Tensor out);
    }

    public static final Op<Kernel> GLOBAL_AVG_POOL2D = new Op<>("global_avg_pool2d", Kernel.class);

    static {
        OpRegistry.global().builtins(() -> {
            MaxPool2dNative.LIBRARY.register(GLOBAL_AVG_POOL2D, GlobalAvgPool2d::cpu, () -> GlobalAvgPool2d::cuda);
        }, GLOBAL_AVG_POOL2D);
    }

    private GlobalAvgPool2d() {
    }

    /** A new tensor {@code [N, C, 1, 1]}; see the class documentation. */
    public static Tensor forward(Tensor x) {
        String op = GLOBAL_AVG_POOL2D.name();
        LayerChecks.nchw(op, "x", x);
        long[] s = x.shape();
        if (s[2] < 1 || s[3] < 1) {
            throw new IllegalArgumentException(op + ": x must have H, W >= 1, got shape " + java.util.Arrays.toString(s));
        }
        Kernel k = OpRegistry.global().dispatch(GLOBAL_AVG_POOL2D, x);
        Tensor out = Tensor.empty(x.dtype(), x.device(), s[0], s[1], 1, 1);
        try {
            k.run(x, out);
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    private static void cpu(Tensor x, Tensor out) {
        long[] s = x.shape();
        Natives.check(MaxPool2dNative.ne_global_avg_pool2d_cpu(x.dtype().code(), x.address(), s[0] * s[1], s[2] * s[3], out.address(),
                CpuOptions.threads()), GLOBAL_AVG_POOL2D.name());
    }

    private static void cuda(Tensor x, Tensor out) {
        if (out.numel() == 0) return;
        MaxPool2dNative.LIBRARY.requireKernelImage(x.device());
        long[] s = x.shape();
        Natives.check(MaxPool2dNative.ne_global_avg_pool2d_cuda(x.dtype().code(), x.address(), s[0] * s[1], s[2] * s[3], out.address(),
                0L), GLOBAL_AVG_POOL2D.name());
    }
}
