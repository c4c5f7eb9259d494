package dev.nativeext.ops;

import dev.nativeext.tensor.Tensor;

import java.util.Arrays;

/**
 * 2-D max pooling forward ({@code torch.nn.functional.max_pool2d}), on the CPU (C99, vectorised
 * row maxima, {@link CpuOptions#isa()}) and CUDA, float32 and float64, NCHW. Registered as
 * {@code "max_pool2d"}. Forward only (no indices).
 *
 * <p>{@code x [N, C, H, W]} (C, H, W >= 1); kernel, stride, padding and dilation are (h, w) pairs
 * or one int for both; stride null or empty means the kernel size (PyTorch's default). Padding is
 * implicit −inf (a padded position never wins) and at most half the kernel
 * ({@code padding <= kernel / 2}, as PyTorch requires). A NaN in a window gives NaN. The output
 * size is PyTorch's, {@link #outputSize}.
 */
public final class MaxPool2d {

    /** The kernel each device registers: {@code g = {kh, kw, sh, sw, ph, pw, dh, dw}}, {@code out} [N, C, OH, OW]. */
    public interface Kernel {
        void run(Tensor x, long[] g, Tensor out);
    }

    public static final Op<Kernel> MAX_POOL2D = new Op<>("max_pool2d", Kernel.class);

    static {
        OpRegistry.global().builtins(() -> {
            MaxPool2dNative.LIBRARY.register(MAX_POOL2D, MaxPool2d::cpu, () -> MaxPool2d::cuda);
        }, MAX_POOL2D);
    }

    private MaxPool2d() {
    }


    /**
     * PyTorch's {@code pooling_output_shape}: {@code floor((in + 2p − d(k−1) − 1 + (ceil ? s−1 : 0)) / s) + 1},
     * and with {@code ceilMode} one less when the last window would start at or past
     * {@code in + p} (it must start inside the input or the left padding). May be < 1 for an
     * input too small; {@link #forward} rejects that.
     */
    public static long outputSize(long in, int kernel, int stride, int padding, int dilation, boolean ceilMode) {
        long out = Math.floorDiv(in + 2L * padding - (long) dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0), stride) + 1;
        if (ceilMode && (out - 1) * stride >= in + padding) out--;
        return out;
    }

    /** A new tensor [N, C, OH, OW]; see the class documentation. */
    public static Tensor forward(Tensor x, int[] kernel, int[] stride, int[] padding, int[] dilation, boolean ceilMode) {
        String op = MAX_POOL2D.name();
        LayerChecks.nchw(op, "x", x);
        Kernel k = OpRegistry.global().dispatch(MAX_POOL2D, x);
        long[] g = geometry(op, x.shape(), kernel, stride, padding, dilation, ceilMode);
        long[] s = x.shape();
        Tensor out = Tensor.empty(x.dtype(), x.device(), s[0], s[1], g[8], g[9]);
        try {
            k.run(x, Arrays.copyOf(g, 8), out);
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    /**
     * The checked pooling of an input of {@code shape [N, C, H, W]}: {@code {kh, kw, sh, sw, ph, pw,
     * dh, dw, OH, OW}}; IllegalArgumentException (prefixed {@code op}) naming the argument otherwise.
     */
    static long[] geometry(String op, long[] s, int[] kernel, int[] stride, int[] padding, int[] dilation, boolean ceilMode) {
        int[] kk = LayerChecks.pair(op, "kernel", kernel, 1);
        int[] ss = stride == null || stride.length == 0 ? kk : LayerChecks.pair(op, "stride", stride, 1);
        int[] pp = LayerChecks.pair(op, "padding", padding, 0);
        int[] dd = LayerChecks.pair(op, "dilation", dilation, 1);
        if (pp[0] > kk[0] / 2 || pp[1] > kk[1] / 2) {
            throw new IllegalArgumentException(op + ": padding must be at most half the kernel size " + Arrays.toString(kk) + ", got "
                    + Arrays.toString(pp));
        }
        if (s[1] < 1 || s[2] < 1 || s[3] < 1) {
            throw new IllegalArgumentException(op + ": x must have C, H, W >= 1, got shape " + Arrays.toString(s));
        }
        long oh = outputSize(s[2], kk[0], ss[0], pp[0], dd[0], ceilMode), ow = outputSize(s[3], kk[1], ss[1], pp[1], dd[1], ceilMode);
        if (oh < 1 || ow < 1) {
            throw new IllegalArgumentException(op + ": x " + s[2] + "x" + s[3] + " is too small for kernel " + Arrays.toString(kk)
                    + ", dilation " + Arrays.toString(dd) + ", padding " + Arrays.toString(pp) + ": output " + oh + "x" + ow);
        }
        return new long[] {kk[0], kk[1], ss[0], ss[1], pp[0], pp[1], dd[0], dd[1], oh, ow};
    }

    private static void cpu(Tensor x, long[] g, Tensor out) {
        long[] s = x.shape();
        Natives.check(MaxPool2dNative.ne_max_pool2d_cpu(x.dtype().code(), x.address(), s[0], s[1], s[2], s[3], g[0], g[1], g[2], g[3],
                g[4], g[5], g[6], g[7], out.shape(2), out.shape(3), out.address(), CpuOptions.threads(), CpuOptions.isa().code()),
                MAX_POOL2D.name());
    }

    private static void cuda(Tensor x, long[] g, Tensor out) {
        if (out.numel() == 0) return;
        MaxPool2dNative.LIBRARY.requireKernelImage(x.device());
        long[] s = x.shape();
        Natives.check(MaxPool2dNative.ne_max_pool2d_cuda(x.dtype().code(), x.address(), s[0], s[1], s[2], s[3], g[0], g[1], g[2], g[3],
                g[4], g[5], g[6], g[7], out.shape(2), out.shape(3), out.address(), 0L), MAX_POOL2D.name());
    }
}
