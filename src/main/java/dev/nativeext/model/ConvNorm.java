package dev.nativeext.model;

import dev.nativeext.ops.Conv2d;
import dev.nativeext.ops.DfConv2dLayer;
import dev.nativeext.ops.NnOps;
import dev.nativeext.ops.PreparedConv2d;
import dev.nativeext.tensor.Tensor;

import java.util.Map;

/**
 * A convolution (plain, or maskrcnn-benchmark's DFConv2d) followed by its norm, run fused:
 * with frozen batch norm the norm is folded once, in {@link #prepare()}, into a per-channel
 * scale and shift that the convolution's epilogue applies together with the residual add and
 * the ReLU; a plain convolution's weights are prepared there too ({@link PreparedConv2d}: laid
 * out once for the CPU path, the scale folded in), so that no call lays them out again; with
 * GroupNorm the norm, the residual and the ReLU follow the convolution in one pass.
 *
 * <p>Names follow the PyTorch module the pieces come from: {@code <conv>.weight} (and
 * {@code .bias} without a norm), {@code <conv>.offset.{weight,bias}} + {@code <conv>.conv.weight}
 * for DCN, the norm's {@code <norm>.{weight,bias[,running_mean,running_var]}}.
 */
final class ConvNorm {

    /** Deformable settings of a DFConv2d; null for a plain convolution. */
    record Dcn(int deformableGroups, boolean modulated) {
    }

    private final String convName;
    private final String normName;
    private final Norm norm;
    private final int cin, cout, k, groups;
    private final Conv2d.Params params;
    private final Dcn dcn;

    private final Parameter weight;
    private final Parameter convBias;
    private final Parameter offsetWeight, offsetBias;
    private final Parameter normWeight, normBias, runningMean, runningVar;

    private Tensor foldedScale, foldedShift;
    private DfConv2dLayer dfConv;
    private PreparedConv2d conv;

    ConvNorm(String convName, String normName, Norm norm, int cin, int cout, int k, int stride, int padding, int dilation, int groups, Dcn dcn) {
        if (cin % groups != 0 || cout % groups != 0) {
            throw new IllegalArgumentException(convName + ": groups " + groups + " must divide in " + cin + " and out " + cout + " channels");
        }
        this.convName = convName;
        this.normName = normName;
        this.norm = norm;
        this.cin = cin;
        this.cout = cout;
        this.k = k;
        this.groups = groups;
        this.params = Conv2d.Params.of(stride, padding, dilation, groups);
        this.dcn = dcn;
        this.weight = new Parameter(false, cout, cin / groups, k, k);
        this.convBias = norm instanceof Norm.None ? new Parameter(false, cout) : null;
        if (dcn != null) {
            int offsetChannels = dcn.deformableGroups() * k * k * (dcn.modulated() ? 3 : 2);
            offsetWeight = new Parameter(false, offsetChannels, cin, k, k);
            offsetBias = new Parameter(false, offsetChannels);
        } else {
            offsetWeight = offsetBias = null;
        }
        boolean frozen = norm instanceof Norm.FrozenBatchNorm;
        boolean gn = norm instanceof Norm.GroupNorm;
        normWeight = frozen || gn ? new Parameter(frozen, cout) : null;
        normBias = frozen || gn ? new Parameter(frozen, cout) : null;
        runningMean = frozen ? new Parameter(true, cout) : null;
        runningVar = frozen ? new Parameter(true, cout) : null;
        if (gn) ((Norm.GroupNorm) norm).groups().applyAsInt(cout); // fails now, naming the channel count, if groups do not divide
    }

    int outChannels() {
        return cout;
    }

    void parameters(String prefix, Map<String, Parameter> out) {
        if (dcn != null) {
            out.put(prefix + convName + ".offset.weight", offsetWeight);
            out.put(prefix + convName + ".offset.bias", offsetBias);
            out.put(prefix + convName + ".conv.weight", weight);
        } else {
            out.put(prefix + convName + ".weight", weight);
            if (convBias != null) out.put(prefix + convName + ".bias", convBias);
        }
        if (normWeight != null) {
            out.put(prefix + normName + ".weight", normWeight);
            out.put(prefix + normName + ".bias", normBias);
        }
        if (runningMean != null) {
            out.put(prefix + normName + ".running_mean", runningMean);
            out.put(prefix + normName + ".running_var", runningVar);
        }
    }

    /**
     * Folds a frozen batch norm into the convolution, once: {@code s = weight / sqrt(var + eps)},
     * {@code t = bias − mean·s} (+ {@code convBias·s}), applied by the convolution's epilogue as it
     * stores each output (no separate pass, and the weights stay as loaded, bit for bit).
     */
    void prepare() {
        closeFolded();
        if (norm instanceof Norm.FrozenBatchNorm fb) fold(fb);
        if (dcn == null) {
            Tensor bias = foldedScale == null && convBias != null ? convBias.value() : null;
            conv = NnOps.prepareConv2d(weight.value(), bias, params, foldedScale, foldedShift);
        } else {
            dfConv = new DfConv2dLayer(offsetWeight.value(), offsetBias.value(), weight.value(), params.strideH(), params.dilH(),
                    dcn.deformableGroups(), dcn.modulated());
        }
    }

    private void fold(Norm.FrozenBatchNorm fb) {
        float[] g = normWeight.value().toFloatArray(), b = normBias.value().toFloatArray();
        float[] mean = runningMean.value().toFloatArray(), var = runningVar.value().toFloatArray();
        float[] cb = convBias != null ? convBias.value().toFloatArray() : null;
        float[] scale = new float[cout], shift = new float[cout];
        for (int co = 0; co < cout; co++) {
            // maskrcnn-benchmark, in float32: scale = weight * running_var.rsqrt(); bias - running_mean * scale
            scale[co] = fb.eps() == 0 ? g[co] * (float) (1.0 / Math.sqrt(var[co])) : (float) (g[co] / Math.sqrt((double) var[co] + fb.eps()));
            shift[co] = (cb != null ? cb[co] * scale[co] : 0f) + (b[co] - mean[co] * scale[co]);
        }
        foldedScale = Tensor.of(scale, cout);
        foldedShift = Tensor.of(shift, cout);
    }

    /** {@code relu(norm(conv(x)) + residual)}; {@code residual} may be null. */
    Tensor forward(Tensor x, Tensor residual, boolean relu) {
        LayerProfile profile = LayerProfile.active();
        if (profile == null) return run(x, residual, relu);
        long t0 = System.nanoTime();
        Tensor y = run(x, residual, relu);
        profile.record(this, convName, x, y, weight.shape(), params.strideH(), System.nanoTime() - t0);
        return y;
    }

    /** Whether {@link #forwardAccumulate} applies: a plain convolution whose norm runs in its epilogue. */
    boolean accumulates() {
        return dcn == null && (foldedScale != null || norm instanceof Norm.None);
    }

    /**
     * {@code acc = norm(conv(x)) + acc}, in place, returning {@code acc}: the FPN's lateral plus its
     * top-down map with no buffer beside them (the convolution's epilogue reads each element of
     * the residual before it writes the same element). Same bits as {@code forward(x, acc, false)}.
     */
    Tensor forwardAccumulate(Tensor x, Tensor acc) {
        return forwardAccumulate(x, acc, false);
    }

    /**
     * {@code acc = relu?(norm(conv(x)) + acc)}, in place, returning {@code acc}: a bottleneck's
     * last conv written over its downsample branch's output (same bits as {@code forward(x, acc,
     * relu)}, without a fresh output buffer, whose lines would come from memory).
     */
    Tensor forwardAccumulate(Tensor x, Tensor acc, boolean relu) {
        if (!accumulates()) throw new IllegalStateException(convName + ": only a plain convolution with a folded or no norm accumulates in place");
        LayerProfile profile = LayerProfile.active();
        long t0 = System.nanoTime();
        if (conv != null) {
            conv.forward(x, acc, relu, acc);
        } else {
            boolean folded = foldedScale != null;
            Conv2d.Epilogue e = Conv2d.Epilogue.none();
            if (folded) e = e.scaleShift(foldedScale, foldedShift);
            e = e.residual(acc);
            if (relu) e = e.relu();
            NnOps.conv2d(x, weight.value(), !folded && convBias != null ? convBias.value() : null, params, e, acc);
        }
        if (profile != null) profile.record(this, convName, x, acc, weight.shape(), params.strideH(), System.nanoTime() - t0);
        return acc;
    }

    /**
     * {@code max_pool2d(relu?(norm(conv(x))))} in one call where the norm runs in the epilogue
     * (frozen BN folded, or none) of a prepared plain convolution ({@link PreparedConv2d#forwardMaxPool}:
     * the pooled output only); otherwise this conv's forward, then {@link NnOps#maxPool2d}.
     */
    Tensor forwardMaxPool(Tensor x, boolean relu, int[] kernel, int[] stride, int[] padding, int[] dilation, boolean ceilMode) {
        if (conv == null || !accumulates()) {
            try (Tensor y = forward(x, null, relu)) {
                return NnOps.maxPool2d(y, kernel, stride, padding, dilation, ceilMode);
            }
        }
        LayerProfile profile = LayerProfile.active();
        long t0 = System.nanoTime();
        Tensor y = NnOps.conv2dMaxPool(conv, x, relu, kernel, stride, padding, dilation, ceilMode);
        long nanos = System.nanoTime() - t0;   // before the description is formatted (that is the profiler's time)
        if (profile != null) {
            // the conv's FLOPs, on its own (unstored) output size
            long[] xs = x.shape(), ys = y.shape();
            long ho = (xs[2] + 2L * params.padH() - (long) params.dilH() * (k - 1) - 1) / params.strideH() + 1;
            long wo = (xs[3] + 2L * params.padW() - (long) params.dilW() * (k - 1) - 1) / params.strideW() + 1;
            double flops = 2.0 * xs[0] * cout * ho * wo * (cin / groups) * k * k;
            profile.recordStep(this, String.format("%s+maxpool %d->%d %dx%d/%d %dx%d -> %dx%d", convName, xs[1], ys[1], k, k,
                    params.strideH(), xs[2], xs[3], ys[2], ys[3]), flops, nanos);
        }
        return y;
    }

    private Tensor run(Tensor x, Tensor residual, boolean relu) {
        boolean folded = foldedScale != null;
        boolean fuse = folded || norm instanceof Norm.None;
        Tensor y;
        if (dcn == null) {
            Conv2d.Epilogue e = Conv2d.Epilogue.none();
            if (folded) e = e.scaleShift(foldedScale, foldedShift);
            if (fuse && residual != null) e = e.residual(residual);
            if (fuse && relu) e = e.relu();
            y = conv != null ? NnOps.conv2d(conv, x, fuse ? residual : null, fuse && relu)
                    : NnOps.conv2d(x, weight.value(), !folded && convBias != null ? convBias.value() : null, params, e);
        } else {
            y = NnOps.dfConv2d(dfConv, x, folded ? foldedScale : null, folded ? foldedShift : null, fuse ? residual : null, fuse && relu);
        }
        if (fuse) return y;
        Norm.GroupNorm gn = (Norm.GroupNorm) norm;
        int groups = gn.groups().applyAsInt(cout);
        try {
            if (residual == null) return NnOps.groupNorm(y, groups, gn.eps(), normWeight.value(), normBias.value(), relu);
            Tensor z = NnOps.groupNorm(y, groups, gn.eps(), normWeight.value(), normBias.value(), false);
            NnOps.addInPlace(z, residual);
            return relu ? NnOps.reluInPlace(z) : z;
        } finally {
            y.close();
        }
    }

    void closeFolded() {
        if (dfConv != null) dfConv.close();
        dfConv = null;
        if (conv != null) conv.close();
        conv = null;
        if (foldedScale != null) foldedScale.close();
        if (foldedShift != null) foldedShift.close();
        foldedScale = foldedShift = null;
    }
}
