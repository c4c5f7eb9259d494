package dev.nativeext.ops;

import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.Tensor;

/**
 * A batch norm with frozen statistics and affine parameters, in both spellings that exist:
 * <ul>
 *   <li>maskrcnn-benchmark's ({@link #maskrcnnBenchmark}): {@code scale = weight · running_var.rsqrt()},
 *       <b>no epsilon</b> (Caffe2-converted weights folded it in already);</li>
 *   <li>torchvision's FrozenBatchNorm2d, and plain BatchNorm2d in eval ({@link #torchvision}):
 *       {@code scale = weight / sqrt(running_var + 1e-5)}.</li>
 * </ul>
 * Then {@code shift = bias − running_mean · scale} and {@code out = x · scale[c] + shift[c]}, run
 * by {@link ChannelAffine} (CPU and CUDA, float32 and float64, forward only). {@link #fold} gives
 * the per-channel (scale, shift) that a convolution's epilogue applies ({@code out = conv · scale
 * + shift}), so that conv → bn is one pass. The folding is computed in float64 and rounded once
 * to the parameters' dtype.
 *
 * <p>All four parameters are {@code [C]}, one floating dtype, one device; this class does not own
 * them (the caller closes them).
 */
public final class FrozenBatchNorm2d {

    /** torchvision's epsilon (and BatchNorm2d's default). */
    public static final double TORCHVISION_EPS = 1e-5;

    /** A folded batch norm: {@code out = x · scale + shift}, both {@code [C]}, on the parameters' device. */
    public record Folded(Tensor scale, Tensor shift) implements AutoCloseable {
        @Override
        public void close() {
            scale.close();
            shift.close();
        }
    }

    private final Tensor weight, bias, runningMean, runningVar;
    private final double eps;

    private FrozenBatchNorm2d(Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar, double eps) {
        check(weight, bias, runningMean, runningVar, eps);
        this.weight = weight;
        this.bias = bias;
        this.runningMean = runningMean;
        this.runningVar = runningVar;
        this.eps = eps;
    }

    /** maskrcnn-benchmark's FrozenBatchNorm2d: no epsilon. */
    public static FrozenBatchNorm2d maskrcnnBenchmark(Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar) {
        return new FrozenBatchNorm2d(weight, bias, runningMean, runningVar, 0.0);
    }

    /** torchvision's FrozenBatchNorm2d (and BatchNorm2d in eval): epsilon 1e-5. */
    public static FrozenBatchNorm2d torchvision(Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar) {
        return new FrozenBatchNorm2d(weight, bias, runningMean, runningVar, TORCHVISION_EPS);
    }

    /** Any epsilon >= 0. */
    public static FrozenBatchNorm2d withEps(Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar, double eps) {
        return new FrozenBatchNorm2d(weight, bias, runningMean, runningVar, eps);
    }

    public double eps() {
        return eps;
    }

    public long channels() {
        return weight.shape(0);
    }

    /** This batch norm as (scale, shift); the caller closes them. */
    public Folded fold() {
        return fold(weight, bias, runningMean, runningVar, eps);
    }

    /** {@code x · scale + shift} as a new tensor; x {@code [N, C, H, W]} of the parameters' dtype and device. */
    public Tensor forward(Tensor x) {
        return forward(x, null, false);
    }

    /** {@code relu?(x · scale + shift + residual)}: a bottleneck's {@code bn → (+ identity) → relu}; residual may be null. */
    public Tensor forward(Tensor x, Tensor residual, boolean relu) {
        String op = "FrozenBatchNorm2d";
        LayerChecks.nchw(op, "x", x);
        if (x.dtype() != weight.dtype()) {
            throw new IllegalArgumentException(op + ": x must have the parameters' dtype " + weight.dtype() + ", got " + x.dtype());
        }
        if (x.shape(1) != channels()) {
            throw new IllegalArgumentException(op + ": x must be [N, C = " + channels() + ", H, W], got " + java.util.Arrays.toString(x.shape()));
        }
        try (Folded f = fold()) {
            return ChannelAffine.apply(x, f.scale(), f.shift(), residual, relu);
        }
    }

    /**
     * {@code scale = weight / sqrt(runningVar + eps)} and {@code shift = bias − runningMean · scale},
     * in float64, rounded to the parameters' dtype, on their device. With {@code eps = 0} a zero
     * variance gives an infinite scale, as maskrcnn-benchmark's does.
     */
    public static Folded fold(Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar, double eps) {
        check(weight, bias, runningMean, runningVar, eps);
        double[] w = host(weight), b = host(bias), m = host(runningMean), v = host(runningVar);
        double[] scale = new double[w.length], shift = new double[w.length];
        for (int i = 0; i < w.length; i++) {
            scale[i] = w[i] / Math.sqrt(v[i] + eps);
            shift[i] = b[i] - m[i] * scale[i];
        }
        Tensor s = null;
        try {
            s = tensor(scale, weight);
            return new Folded(s, tensor(shift, weight));
        } catch (RuntimeException e) {
            if (s != null) s.close();
            throw e;
        }
    }

    private static void check(Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar, double eps) {
        String op = "FrozenBatchNorm2d";
        LayerChecks.floating(op, "weight", weight);
        if (weight.ndim() != 1 || weight.shape(0) < 1) {
            throw new IllegalArgumentException(op + ": weight must be [C] with C >= 1, got shape " + java.util.Arrays.toString(weight.shape()));
        }
        LayerChecks.notNull(op, "bias", bias);
        LayerChecks.notNull(op, "runningMean", runningMean);
        LayerChecks.notNull(op, "runningVar", runningVar);
        LayerChecks.like(op, "bias", bias, weight, weight.shape(0));
        LayerChecks.like(op, "runningMean", runningMean, weight, weight.shape(0));
        LayerChecks.like(op, "runningVar", runningVar, weight, weight.shape(0));
        OpRegistry.commonDevice(op, weight, bias, runningMean, runningVar);
        if (!(eps >= 0) || Double.isInfinite(eps)) throw new IllegalArgumentException(op + ": eps must be finite and >= 0, got " + eps);
    }

    private static double[] host(Tensor t) {
        Tensor h = t.to(Device.CPU);
        try {
            if (h.dtype() == DType.FLOAT64) return h.toDoubleArray();
            float[] f = h.toFloatArray();
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) d[i] = f[i];
            return d;
        } finally {
            if (h != t) h.close();
        }
    }

    private static Tensor tensor(double[] v, Tensor like) {
        Tensor h;
        if (like.dtype() == DType.FLOAT64) {
            h = Tensor.of(v, v.length);
        } else {
            float[] f = new float[v.length];
            for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
            h = Tensor.of(f, v.length);
        }
        if (like.device().equals(Device.CPU)) return h;
        try (h) {
            return h.to(like.device());
        }
    }
}
