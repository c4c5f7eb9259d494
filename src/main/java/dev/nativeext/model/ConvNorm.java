package dev.nativeext.model;

import dev.nativeext.ops.Conv2d;
import dev.nativeext.ops.DeformConv2d;
import dev.nativeext.ops.NnOps;
import dev.nativeext.tensor.Tensor;

import java.util.Map;

/**
 * A convolution (plain, or maskrcnn-benchmark's DFConv2d) followed by its norm, run fused:
 * with frozen batch norm the norm is folded into the convolution's weight and bias once in
 * {@link #prepare()}, and the residual add and ReLU ride on the convolution's epilogue; with
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

    private Tensor foldedWeight, foldedBias;

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

    /** Folds a frozen batch norm into the convolution: {@code W·s}, {@code b·s + bias − mean·s}, {@code s = weight / sqrt(var + eps)}. */
    void prepare() {
        closeFolded();
        if (!(norm instanceof Norm.FrozenBatchNorm fb)) return;
        float[] w = weight.value().toFloatArray();
        float[] g = normWeight.value().toFloatArray(), b = normBias.value().toFloatArray();
        float[] mean = runningMean.value().toFloatArray(), var = runningVar.value().toFloatArray();
        float[] cb = convBias != null ? convBias.value().toFloatArray() : null;
        int per = w.length / cout;
        float[] fb2 = new float[cout];
        for (int co = 0; co < cout; co++) {
            // As maskrcnn-benchmark computes it in float32: scale = weight * running_var.rsqrt().
            float scale = fb.eps() == 0 ? (float) (g[co] * (1.0 / Math.sqrt(var[co]))) : (float) (g[co] / Math.sqrt(var[co] + fb.eps()));
            for (int i = 0; i < per; i++) w[co * per + i] *= scale;
            fb2[co] = (cb != null ? cb[co] * scale : 0f) + (b[co] - mean[co] * scale);
        }
        foldedWeight = Tensor.of(w, weight.shape());
        foldedBias = Tensor.of(fb2, cout);
    }

    /** {@code relu(norm(conv(x)) + residual)}; {@code residual} may be null. */
    Tensor forward(Tensor x, Tensor residual, boolean relu) {
        boolean folded = foldedWeight != null;
        Tensor w = folded ? foldedWeight : weight.value();
        Tensor b = folded ? foldedBias : convBias != null ? convBias.value() : null;
        boolean fuse = folded || norm instanceof Norm.None;
        Tensor y;
        if (dcn == null) {
            Conv2d.Epilogue e = Conv2d.Epilogue.none();
            if (fuse && residual != null) e = e.residual(residual);
            if (fuse && relu) e = e.relu();
            y = NnOps.conv2d(x, w, b, params, e);
        } else {
            y = deformable(x, w, b);
            if (fuse && (residual != null || relu)) {
                Tensor z = residual != null ? addRelu(y, residual, relu) : Layers.relu(y);
                y.close();
                y = z;
            }
        }
        if (fuse) return y;
        Norm.GroupNorm gn = (Norm.GroupNorm) norm;
        try {
            return Layers.groupNorm(y, gn.groups().applyAsInt(cout), normWeight.value(), normBias.value(), gn.eps(), residual, relu);
        } finally {
            y.close();
        }
    }

    private Tensor deformable(Tensor x, Tensor w, Tensor b) {
        Tensor om = NnOps.conv2d(x, offsetWeight.value(), offsetBias.value(), params.groups() == 1 ? params
                : Conv2d.Params.of(params.strideH(), params.padH(), params.dilH(), 1), Conv2d.Epilogue.none());
        int nOffset = 2 * k * k * dcn.deformableGroups();
        Tensor offset = null, mask = null;
        try {
            // The offsets are the first 2·k²·dg channels and the mask the next k²·dg (maskrcnn-benchmark
            // slices [:18] and [-9:], right only for dg = 1).
            offset = dcn.modulated() ? Layers.channels(om, 0, nOffset, false) : om;
            mask = dcn.modulated() ? Layers.channels(om, nOffset, nOffset + k * k * dcn.deformableGroups(), true) : null;
            int[] s = {params.strideH(), params.strideW()}, p = {params.padH(), params.padW()}, d = {params.dilH(), params.dilW()};
            return DeformConv2d.forward(x, offset, w, b, s, p, d, mask);
        } finally {
            if (offset != null && offset != om) offset.close();
            if (mask != null) mask.close();
            om.close();
        }
    }

    private static Tensor addRelu(Tensor a, Tensor r, boolean relu) {
        float[] x = a.toFloatArray(), y = r.toFloatArray();
        for (int i = 0; i < x.length; i++) {
            float v = x[i] + y[i];
            x[i] = relu && v < 0 ? 0 : v;
        }
        return Tensor.of(x, a.shape());
    }

    void closeFolded() {
        if (foldedWeight != null) foldedWeight.close();
        if (foldedBias != null) foldedBias.close();
        foldedWeight = foldedBias = null;
    }
}
