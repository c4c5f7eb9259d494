package dev.nativeext.ops;

import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Tensor;

import java.util.Arrays;

/**
 * ROIPool (torchvision's {@code roi_pool}, maskrcnn-benchmark's {@code ROIPool}): the maximum over
 * each bin of each region of interest, CPU (C99) and CUDA, float32 and float64. Registered as
 * {@code "ROIPool"} and {@code "ROIPool_backward"} in {@link OpRegistry#global()}.
 *
 * <p>The scaled corners are rounded half away from zero, the ends are inclusive
 * ({@code width = max(x2 − x1 + 1, 1)}), bin edges are floor/ceil of the float bin size clipped to
 * the map, so adjacent bins can overlap. An empty bin gives 0 and argmax −1; ties go to the first
 * pixel in row-major order and NaN is never selected.
 */
public final class RoiPool {

    /** The pooled maxima [K,C,PH,PW] and, for the backward, where each came from: int32 flat h·W+w in its (b,c) plane, −1 for an empty bin. */
    public record Result(Tensor output, Tensor argmax) implements AutoCloseable {
        @Override
        public void close() {
            output.close();
            argmax.close();
        }
    }

    public interface ForwardKernel {
        void run(Tensor input, Tensor rois, double spatialScale, Tensor out, Tensor argmax);
    }

    public interface BackwardKernel {
        void run(Tensor gradOutput, Tensor argmax, Tensor rois, Tensor gradInput);
    }

    public static final Op<ForwardKernel> FORWARD = new Op<>("ROIPool", ForwardKernel.class);
    public static final Op<BackwardKernel> BACKWARD = new Op<>("ROIPool_backward", BackwardKernel.class);

    static {
        OpRegistry.global().builtins(() -> {
            RoiPoolNative.LIBRARY.register(FORWARD, RoiPool::cpuForward, () -> RoiPool::cudaForward);
            RoiPoolNative.LIBRARY.register(BACKWARD, RoiPool::cpuBackward, () -> RoiPool::cudaBackward);
        }, FORWARD, BACKWARD);
    }

    private RoiPool() {
    }

    /**
     * @param input        features [N,C,H,W], float32 or float64
     * @param rois         [K,5] rows (batch index, x1, y1, x2, y2), the index an integer in [0,N), the
     *                     corners in input-image pixels; the features' dtype and device
     * @param spatialScale feature pixels per image pixel, finite and > 0
     * @return output [K,C,outputHeight,outputWidth] and argmax (int32, same shape)
     */
    public static Result forward(Tensor input, Tensor rois, int outputHeight, int outputWidth, double spatialScale) {
        String op = FORWARD.name();
        ArgChecks.present(op, "input", input, "rois", rois);
        ForwardKernel kernel = OpRegistry.global().dispatch(FORWARD, input, rois);
        RoiChecks.rank(op, "input", input, 4, "[N,C,H,W]");
        RoiChecks.floating(op, "input", input);
        RoiChecks.positive(op, "outputHeight", outputHeight);
        RoiChecks.positive(op, "outputWidth", outputWidth);
        RoiChecks.scale(op, spatialScale);
        RoiChecks.rois(op, rois, input.dtype(), input.shape(0));
        if (input.shape(2) * input.shape(3) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": H*W of input " + Arrays.toString(input.shape()) + " exceeds the int32 argmax");
        }
        long k = rois.shape(0), c = input.shape(1);
        RoiChecks.numel(op, k, c, outputHeight, outputWidth);
        Tensor out = Tensor.zeros(input.dtype(), input.device(), k, c, outputHeight, outputWidth);
        Tensor arg = null;
        try {
            arg = Tensor.zeros(DType.INT32, input.device(), k, c, outputHeight, outputWidth);
            kernel.run(input, rois, spatialScale, out, arg);
        } catch (RuntimeException e) {
            out.close();
            if (arg != null) arg.close();
            throw e;
        }
        return new Result(out, arg);
    }

    public static Result forward(Tensor input, Tensor rois, int[] outputSize, double spatialScale) {
        int[] s = RoiAlign.outputSize(outputSize);
        return forward(input, rois, s[0], s[1], spatialScale);
    }

    /**
     * {@code gradInput[b,c].flat[argmax] += gradOutput} for every bin (argmax −1 skipped).
     *
     * @param argmax the int32 argmax of {@link #forward}, [K,C,PH,PW] like gradOutput
     * @return a new tensor [N,C,H,W]
     */
    public static Tensor backward(Tensor gradOutput, Tensor argmax, Tensor rois, int n, int c, int h, int w) {
        String op = BACKWARD.name();
        ArgChecks.present(op, "gradOutput", gradOutput, "argmax", argmax, "rois", rois);
        BackwardKernel kernel = OpRegistry.global().dispatch(BACKWARD, gradOutput, argmax, rois);
        RoiChecks.rank(op, "gradOutput", gradOutput, 4, "[K,C,PH,PW]");
        RoiChecks.floating(op, "gradOutput", gradOutput);
        if (argmax.dtype() != DType.INT32 || !Arrays.equals(argmax.shape(), gradOutput.shape())) {
            throw new IllegalArgumentException(op + ": argmax must be int32 of gradOutput's shape " + Arrays.toString(gradOutput.shape())
                    + ", got " + argmax.describe());
        }
        if (n < 0 || c < 0 || h < 0 || w < 0) {
            throw new IllegalArgumentException(op + ": N, C, H, W must be >= 0, got " + n + ", " + c + ", " + h + ", " + w);
        }
        RoiChecks.rois(op, rois, gradOutput.dtype(), n);
        if (gradOutput.shape(0) != rois.shape(0) || gradOutput.shape(1) != c) {
            throw new IllegalArgumentException(op + ": gradOutput must be [K=" + rois.shape(0) + ",C=" + c + ",PH,PW], got "
                    + Arrays.toString(gradOutput.shape()));
        }
        RoiChecks.numel(op, n, c, h, w);
        RoiChecks.numel(op, n, c, h, w, gradOutput.dtype().size());
        argmaxInPlane(op, argmax, (long) h * w);
        Tensor gin = Tensor.zeros(gradOutput.dtype(), gradOutput.device(), n, c, h, w);
        try {
            kernel.run(gradOutput, argmax, rois, gin);
        } catch (RuntimeException e) {
            gin.close();
            throw e;
        }
        return gin;
    }

    /**
     * Every argmax is -1 (an empty bin) or a flat index into the H×W plane: the kernels skip
     * other values, which silently dropped gradients (an argmax from a larger map, a typo).
     */
    private static void argmaxInPlane(String op, Tensor argmax, long plane) {
        if (argmax.numel() == 0) return;
        int[] a;
        if (argmax.device().isCuda()) {
            try (Tensor host = argmax.to(dev.nativeext.tensor.Device.CPU)) {
                a = host.toIntArray();
            }
        } else {
            a = argmax.toIntArray();
        }
        for (int i = 0; i < a.length; i++) {
            if (a[i] < -1 || a[i] >= plane) {
                throw new IllegalArgumentException(op + ": argmax[" + i + "] (flat) = " + a[i] + " is outside [-1, H*W = " + plane
                        + "): it must come from the forward on an input of this H and W");
            }
        }
    }

    private static void cpuForward(Tensor in, Tensor rois, double scale, Tensor out, Tensor arg) {
        long[] s = in.shape(), o = out.shape();
        Natives.check(RoiPoolNative.ne_roi_pool_forward_cpu(in.dtype().code(), in.address(), s[0], s[1], s[2], s[3],
                rois.address(), o[0], o[2], o[3], scale, out.address(), arg.address(), CpuOptions.threads(),
                CpuOptions.isa().code()), FORWARD.name());
    }

    private static void cpuBackward(Tensor g, Tensor arg, Tensor rois, Tensor gin) {
        long[] s = gin.shape(), o = g.shape();
        Natives.check(RoiPoolNative.ne_roi_pool_backward_cpu(g.dtype().code(), g.address(), arg.address(), rois.address(),
                o[0], s[0], s[1], s[2], s[3], o[2], o[3], gin.address(), CpuOptions.threads(),
                CpuOptions.isa().code()), BACKWARD.name());
    }

    private static void cudaForward(Tensor in, Tensor rois, double scale, Tensor out, Tensor arg) {
        RoiPoolNative.LIBRARY.requireKernelImage(out.device());
        long[] s = in.shape(), o = out.shape();
        Natives.check(RoiPoolNative.ne_roi_pool_forward_cuda(in.dtype().code(), in.address(), s[0], s[1], s[2], s[3],
                rois.address(), o[0], o[2], o[3], scale, out.address(), arg.address(), 0L), FORWARD.name());
    }

    private static void cudaBackward(Tensor g, Tensor arg, Tensor rois, Tensor gin) {
        RoiPoolNative.LIBRARY.requireKernelImage(gin.device());
        long[] s = gin.shape(), o = g.shape();
        Natives.check(RoiPoolNative.ne_roi_pool_backward_cuda(g.dtype().code(), g.address(), arg.address(), rois.address(),
                o[0], s[0], s[1], s[2], s[3], o[2], o[3], gin.address(), 0L), BACKWARD.name());
    }
}
