package dev.nativeext.ops;

import dev.nativeext.tensor.Tensor;

import java.util.Arrays;

/**
 * Nearest-neighbour upsampling by integer factors, {@code F.interpolate(x, scale_factor=f,
 * mode='nearest')} for integer {@code f} (FPN's top-down path uses 2): {@code out[b, c, y, x] =
 * x[b, c, y / fh, x / fw]}, {@code out [N, C, H·fh, W·fw]}. CPU (C99) and CUDA, float32 and
 * float64, NCHW. Registered as {@code "upsample_nearest"}. Forward only.
 */
public final class UpsampleNearest {

    /** The kernel each device registers: {@code out} [N, C, H·fh, W·fw]. */
    public interface Kernel {
        void run(Tensor x, int fh, int fw, Tensor out);
    }

    public static final Op<Kernel> UPSAMPLE_NEAREST = new Op<>("upsample_nearest", Kernel.class);

    static {
        OpRegistry.global().builtins(() -> {
            UpsampleNearestNative.LIBRARY.register(UPSAMPLE_NEAREST, UpsampleNearest::cpu, () -> UpsampleNearest::cuda);
        }, UPSAMPLE_NEAREST);
    }

    private UpsampleNearest() {
    }


    public static Tensor forward(Tensor x, int factor) {
        return forward(x, factor, factor);
    }

    /** A new tensor [N, C, H·factorH, W·factorW]; factors >= 1. */
    public static Tensor forward(Tensor x, int factorH, int factorW) {
        String op = UPSAMPLE_NEAREST.name();
        LayerChecks.nchw(op, "x", x);
        Kernel k = OpRegistry.global().dispatch(UPSAMPLE_NEAREST, x);
        if (factorH < 1 || factorW < 1) {
            throw new IllegalArgumentException(op + ": factor must be an integer >= 1, got " + factorH + " x " + factorW);
        }
        long[] s = x.shape();
        if (s[1] < 1 || s[2] < 1 || s[3] < 1) {
            throw new IllegalArgumentException(op + ": x must have C, H, W >= 1, got shape " + Arrays.toString(s));
        }
        long oh = Math.multiplyExact(s[2], (long) factorH), ow = Math.multiplyExact(s[3], (long) factorW);
        RoiChecks.numel(op, s[0], s[1], oh, ow);
        Tensor out = Tensor.empty(x.dtype(), x.device(), s[0], s[1], oh, ow);
        try {
            k.run(x, factorH, factorW, out);
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    private static void cpu(Tensor x, int fh, int fw, Tensor out) {
        long[] s = x.shape();
        Natives.check(UpsampleNearestNative.ne_upsample_nearest_cpu(x.dtype().code(), x.address(), s[0], s[1], s[2], s[3], fh, fw,
                out.address(), CpuOptions.threads(), CpuOptions.isa().code()), UPSAMPLE_NEAREST.name());
    }

    private static void cuda(Tensor x, int fh, int fw, Tensor out) {
        if (out.numel() == 0) return;
        UpsampleNearestNative.LIBRARY.requireKernelImage(x.device());
        long[] s = x.shape();
        Natives.check(UpsampleNearestNative.ne_upsample_nearest_cuda(x.dtype().code(), x.address(), s[0], s[1], s[2], s[3], fh, fw,
                out.address(), 0L), UPSAMPLE_NEAREST.name());
    }
}
