package dev.nativeext.ops;

import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.Tensor;

/**
 * ROIAlign (torchvision's {@code roi_align}, maskrcnn-benchmark's {@code ROIAlign}): average of
 * bilinear samples over each bin of each region of interest, CPU (C99) and CUDA, float32 and
 * float64. Registered as {@code "ROIAlign"} and {@code "ROIAlign_backward"} in {@link OpRegistry#global()}.
 *
 * <p>Per output element (k, c, ph, pw): with {@code o = aligned ? 0.5 : 0} the roi is
 * {@code [x1·s−o, x2·s−o] × [y1·s−o, y2·s−o]} in feature pixels (no rounding; without
 * {@code aligned} its size is clamped to at least 1×1, with it a zero or negative size gives 0),
 * split into PH×PW bins; each bin averages {@code gh×gw} bilinear samples at the sub-bin centres,
 * {@code gh = samplingRatio > 0 ? samplingRatio : ceil(roiHeight / PH)} (every
 * {@code samplingRatio <= 0} is adaptive, torchvision's convention; its default is -1). A sample outside
 * {@code [-1, H] × [-1, W]} counts as 0; inside, negative coordinates clamp to 0 and the last
 * row/column is replicated. {@code aligned = true} is the pixel model where pixel i is centred at
 * i + 0.5 (torchvision {@code aligned=True}, mmcv's default); {@code false} is maskrcnn-benchmark's.
 *
 * <p>{@code spatialScale} stays a double: the box corners {@code x·s − o} are computed in
 * float64 and rounded once to the features' dtype. torchvision's kernels convert
 * {@code spatial_scale} to float32 first and multiply in float32 (two roundings). For a power of
 * two (1/4 ... 1/32, every FPN level) both are exact and the results are the same bits; for a
 * scale such as 1/3 a corner can differ by one float32 ulp, the pooled values by about 1e-6
 * relative. The one rounding is kept because it is the closer value and the same on CPU and
 * CUDA (docs/ops.md, "spatial_scale").
 *
 * <p>CPU results are bit-identical for any thread count and SIMD variant ({@link CpuOptions}).
 */
public final class RoiAlign {

    /** Writes the pooled features of {@code rois} into {@code out} [K,C,PH,PW]. */
    public interface ForwardKernel {
        void run(Tensor input, Tensor rois, double spatialScale, int samplingRatio, boolean aligned, Tensor out);
    }

    /** Writes the gradient wrt the features into {@code gradInput} [N,C,H,W] (zero-filled). */
    public interface BackwardKernel {
        void run(Tensor gradOutput, Tensor rois, double spatialScale, int samplingRatio, boolean aligned,
                 boolean deterministic, Tensor gradInput);
    }

    public static final Op<ForwardKernel> FORWARD = new Op<>("ROIAlign", ForwardKernel.class);
    public static final Op<BackwardKernel> BACKWARD = new Op<>("ROIAlign_backward", BackwardKernel.class);

    static {
        OpRegistry.global().builtins(() -> {
            RoiAlignNative.LIBRARY.register(FORWARD, RoiAlign::cpuForward, () -> RoiAlign::cudaForward);
            RoiAlignNative.LIBRARY.register(BACKWARD, RoiAlign::cpuBackward, () -> RoiAlign::cudaBackward);
        }, FORWARD, BACKWARD);
    }

    private RoiAlign() {
    }

    /**
     * Pools every roi to outputHeight × outputWidth.
     *
     * @param input         features [N,C,H,W], float32 or float64
     * @param rois          [K,5] rows (batch index, x1, y1, x2, y2): the batch index is an integer in
     *                      [0,N) stored in the features' dtype; the box corners are in input-image
     *                      pixels (multiplied by spatialScale to reach feature pixels); same device
     * @param spatialScale  feature pixels per image pixel, e.g. 0.25 for a stride-4 map; finite, > 0
     * @param samplingRatio samples per bin along each axis; every value <= 0 is adaptive, as in
     *                      torchvision (whose default is -1)
     * @param aligned       shift the box by -0.5 feature pixels (the half-pixel model)
     * @return a new tensor [K,C,outputHeight,outputWidth] on the input's device
     */
    public static Tensor forward(Tensor input, Tensor rois, int outputHeight, int outputWidth, double spatialScale,
                                 int samplingRatio, boolean aligned) {
        String op = FORWARD.name();
        ArgChecks.present(op, "input", input, "rois", rois);
        ForwardKernel kernel = OpRegistry.global().dispatch(FORWARD, input, rois);
        RoiChecks.rank(op, "input", input, 4, "[N,C,H,W]");
        RoiChecks.floating(op, "input", input);
        RoiChecks.positive(op, "outputHeight", outputHeight);
        RoiChecks.positive(op, "outputWidth", outputWidth);
        RoiChecks.scale(op, spatialScale);
        double[] r = RoiChecks.rois(op, rois, input.dtype(), input.shape(0));
        long k = rois.shape(0), c = input.shape(1);
        RoiChecks.numel(op, k, c, outputHeight, outputWidth);
        RoiChecks.numel(op, k, c, outputHeight, outputWidth, input.dtype().size());
        samples(op, r, spatialScale, samplingRatio, aligned, outputHeight, outputWidth);
        // Every output element is written by both kernels: no need to zero-fill 50 MB first.
        Tensor out = Tensor.empty(input.dtype(), input.device(), k, c, outputHeight, outputWidth);
        try {
            kernel.run(input, rois, spatialScale, samplingRatio, aligned, out);
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    /** {@link #forward(Tensor, Tensor, int, int, double, int, boolean)} with outputSize = {PH, PW} (or {P}). */
    public static Tensor forward(Tensor input, Tensor rois, int[] outputSize, double spatialScale, int samplingRatio,
                                 boolean aligned) {
        int[] s = outputSize(outputSize);
        return forward(input, rois, s[0], s[1], spatialScale, samplingRatio, aligned);
    }

    /**
     * The gradient wrt the features of {@code forward}, for the upstream gradient {@code gradOutput}
     * [K,C,PH,PW] (the rois get none).
     *
     * @param deterministic CUDA only: sum each input gradient in one thread in roi order (no
     *                      atomics, reproducible, slower); the CPU backward is always deterministic
     * @return a new tensor [N,C,H,W]
     */
    public static Tensor backward(Tensor gradOutput, Tensor rois, int n, int c, int h, int w, double spatialScale,
                                  int samplingRatio, boolean aligned, boolean deterministic) {
        String op = BACKWARD.name();
        ArgChecks.present(op, "gradOutput", gradOutput, "rois", rois);
        BackwardKernel kernel = OpRegistry.global().dispatch(BACKWARD, gradOutput, rois);
        RoiChecks.rank(op, "gradOutput", gradOutput, 4, "[K,C,PH,PW]");
        RoiChecks.floating(op, "gradOutput", gradOutput);
        if (n < 0 || c < 0 || h < 0 || w < 0) {
            throw new IllegalArgumentException(op + ": N, C, H, W must be >= 0, got " + n + ", " + c + ", " + h + ", " + w);
        }
        RoiChecks.positive(op, "gradOutput height", gradOutput.shape(2));
        RoiChecks.positive(op, "gradOutput width", gradOutput.shape(3));
        RoiChecks.scale(op, spatialScale);
        double[] r = RoiChecks.rois(op, rois, gradOutput.dtype(), n);
        if (gradOutput.shape(0) != rois.shape(0) || gradOutput.shape(1) != c) {
            throw new IllegalArgumentException(op + ": gradOutput must be [K=" + rois.shape(0) + ",C=" + c + ",PH,PW], got "
                    + java.util.Arrays.toString(gradOutput.shape()));
        }
        RoiChecks.numel(op, n, c, h, w);
        RoiChecks.numel(op, n, c, h, w, gradOutput.dtype().size());
        samples(op, r, spatialScale, samplingRatio, aligned, gradOutput.shape(2), gradOutput.shape(3));
        // The CPU kernel overwrites grad_input; the CUDA atomic path adds into it, so zero it there.
        Tensor gin = gradOutput.device().type() == Device.Type.CPU ? Tensor.empty(gradOutput.dtype(), gradOutput.device(), n, c, h, w)
                : Tensor.zeros(gradOutput.dtype(), gradOutput.device(), n, c, h, w);
        try {
            kernel.run(gradOutput, rois, spatialScale, samplingRatio, aligned, deterministic, gin);
        } catch (RuntimeException e) {
            gin.close();
            throw e;
        }
        return gin;
    }

    /** {@link #backward(Tensor, Tensor, int, int, int, int, double, int, boolean, boolean)}, not deterministic on CUDA. */
    public static Tensor backward(Tensor gradOutput, Tensor rois, int n, int c, int h, int w, double spatialScale,
                                  int samplingRatio, boolean aligned) {
        return backward(gradOutput, rois, n, c, h, w, spatialScale, samplingRatio, aligned, false);
    }

    static int[] outputSize(int[] s) {
        if (s == null || s.length < 1 || s.length > 2) {
            throw new IllegalArgumentException("outputSize must be {PH, PW} or {P}, got " + java.util.Arrays.toString(s));
        }
        return s.length == 1 ? new int[] {s[0], s[0]} : s;
    }

    /**
     * The most sample points one roi may take: (outputHeight·gh) × (outputWidth·gw). The kernels
     * keep per-roi tables of that many bilinear weights (16 bytes each, per thread), so 2^26
     * points is about a GiB; more is certainly a mistake (a huge samplingRatio, or adaptive
     * sampling of a roi far larger than the feature map) and would fail as "out of memory".
     */
    static final long MAX_SAMPLES_PER_ROI = 1L << 26;

    private static void samples(String op, double[] rois, double scale, int sr, boolean aligned, long ph, long pw) {
        double offset = aligned ? 0.5 : 0;
        for (int k = 0; k < rois.length / 5; k++) {
            double rh = rois[k * 5 + 4] * scale - rois[k * 5 + 2] * scale, rw = rois[k * 5 + 3] * scale - rois[k * 5 + 1] * scale;
            if (!aligned) {
                rh = Math.max(rh, 1);
                rw = Math.max(rw, 1);
            }
            double gh = sr > 0 ? sr : Math.max(1, Math.ceil(rh / ph)), gw = sr > 0 ? sr : Math.max(1, Math.ceil(rw / pw));
            double points = ph * gh * pw * gw;
            if (points > MAX_SAMPLES_PER_ROI) {
                String why = sr > 0 ? "samplingRatio " + sr + " takes " + sr + "x" + sr + " samples per bin"
                        : "adaptive sampling (samplingRatio <= 0) of roi row " + k + " (" + rh + " x " + rw + " feature pixels at spatialScale "
                        + scale + ", offset " + offset + ") takes " + (long) gh + "x" + (long) gw + " samples per bin";
                throw new IllegalArgumentException(op + ": " + why + ", " + (long) (ph * gh) + " x " + (long) (pw * gw)
                        + " sample points per roi; at most " + MAX_SAMPLES_PER_ROI
                        + (sr > 0 ? " (use a samplingRatio of a few, e.g. 2)" : " (pass samplingRatio > 0, or check the rois' scale)"));
            }
        }
    }

    private static void cpuForward(Tensor in, Tensor rois, double scale, int sr, boolean aligned, Tensor out) {
        long[] s = in.shape(), o = out.shape();
        Natives.check(RoiAlignNative.ne_roi_align_forward_cpu(in.dtype().code(), in.address(), s[0], s[1], s[2], s[3],
                rois.address(), o[0], o[2], o[3], scale, sr, aligned ? 1 : 0, out.address(), CpuOptions.threads(),
                CpuOptions.isa().code()), FORWARD.name());
    }

    private static void cpuBackward(Tensor g, Tensor rois, double scale, int sr, boolean aligned, boolean det, Tensor gin) {
        long[] s = gin.shape(), o = g.shape();
        Natives.check(RoiAlignNative.ne_roi_align_backward_cpu(g.dtype().code(), g.address(), rois.address(), o[0], s[0],
                s[1], s[2], s[3], o[2], o[3], scale, sr, aligned ? 1 : 0, gin.address(), CpuOptions.threads(),
                CpuOptions.isa().code()), BACKWARD.name());
    }

    private static void cudaForward(Tensor in, Tensor rois, double scale, int sr, boolean aligned, Tensor out) {
        RoiAlignNative.LIBRARY.requireKernelImage(out.device());
        long[] s = in.shape(), o = out.shape();
        Natives.check(RoiAlignNative.ne_roi_align_forward_cuda(in.dtype().code(), in.address(), s[0], s[1], s[2], s[3],
                rois.address(), o[0], o[2], o[3], scale, sr, aligned ? 1 : 0, out.address(), 0L), FORWARD.name());
    }

    private static void cudaBackward(Tensor g, Tensor rois, double scale, int sr, boolean aligned, boolean det, Tensor gin) {
        RoiAlignNative.LIBRARY.requireKernelImage(gin.device());
        long[] s = gin.shape(), o = g.shape();
        Natives.check(RoiAlignNative.ne_roi_align_backward_cuda(g.dtype().code(), g.address(), rois.address(), o[0], s[0],
                s[1], s[2], s[3], o[2], o[3], scale, sr, aligned ? 1 : 0, det ? 1 : 0, gin.address(), 0L), BACKWARD.name());
    }
}
