package dev.nativeext.ops;

import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Tensor;

import java.util.Arrays;

/**
 * maskrcnn-benchmark's {@code DFConv2d} (backbone.md §2): a deformable 3×3 (any square k) whose
 * offsets come from a plain convolution of the same input, forward only, CPU and CUDA, float32 and
 * float64, NCHW, with the epilogue of conv2d (per-channel scale and shift, residual, ReLU).
 *
 * <ul>
 *   <li>The offset conv ({@link Conv2d}): {@code Conv2d(C_in, dg·k²·(3 if modulated else 2), k, stride,
 *       padding = dilation·(k−1)/2, dilation)} with bias: {@code offsetWeight [dg·k²·m, C_in, k, k]},
 *       {@code offsetBias [dg·k²·m]} (null: none).</li>
 *   <li>v1 ({@code modulated == false}): all {@code 2·k²·dg} channels are the offsets.</li>
 *   <li>Modulated (DCNv2): the first {@code 2·k²·dg} output channels are the offsets and the last
 *       {@code k²·dg} go through a sigmoid and become the mask. maskrcnn-benchmark slices
 *       {@code [:, :18]} and {@code [:, -9:]} whatever {@code dg} is, which is right only for
 *       {@code dg = 1} (with dg > 1 its CUDA op reads past the slice); this class slices by
 *       {@code dg} — the correct split, equal to maskrcnn-benchmark's for dg = 1. The split is
 *       made on the offset conv's weight rows once, here, so the forward runs two convolutions
 *       and never copies a channel slice.</li>
 *   <li>The deformable conv: {@code weight [C_out, C_in / groups, k, k]}, no bias (as in the
 *       backbone), torchvision's offset layout ((y, x) pairs per kernel tap and deformable group),
 *       run by {@link DeformConv2d}.</li>
 *   <li>Epilogue ({@link ChannelAffine}, in place on the output): {@code relu?(out · scale[c] +
 *       shift[c] + residual)}, every part optional.</li>
 * </ul>
 *
 * <p>The weights stay the caller's; {@link #close()} frees only the split copies this layer made.
 */
public final class DfConv2dLayer implements AutoCloseable {

    private static final String OP = "DFConv2d";

    private final Tensor offsetWeight, offsetBias, maskWeight, maskBias, weight;
    private final boolean ownsSplit, modulated;
    private final int kernel, stride, padding, dilation, deformableGroups;
    private final long inChannels, outChannels;

    /** maskrcnn-benchmark's layer: {@code padding = dilation·(k−1)/2}. */
    public DfConv2dLayer(Tensor offsetWeight, Tensor offsetBias, Tensor weight, int stride, int dilation, int deformableGroups,
                         boolean modulated) {
        this(offsetWeight, offsetBias, weight, stride, -1, dilation, deformableGroups, modulated);
    }

    /** With an explicit padding ({@code -1}: maskrcnn-benchmark's {@code dilation·(k−1)/2}). */
    public DfConv2dLayer(Tensor offsetWeight, Tensor offsetBias, Tensor weight, int stride, int padding, int dilation,
                         int deformableGroups, boolean modulated) {
        LayerChecks.nchw(OP, "weight", weight);
        LayerChecks.nchw(OP, "offsetWeight", offsetWeight);
        long k = weight.shape(2);
        if (k != weight.shape(3) || k < 1) {
            throw new IllegalArgumentException(OP + ": weight must be [C_out, C_in/groups, k, k] (square), got " + Arrays.toString(weight.shape()));
        }
        if (stride < 1) throw new IllegalArgumentException(OP + ": stride must be >= 1, got " + stride);
        if (dilation < 1) throw new IllegalArgumentException(OP + ": dilation must be >= 1, got " + dilation);
        if (padding < -1) throw new IllegalArgumentException(OP + ": padding must be >= 0 (or -1 for dilation*(k-1)/2), got " + padding);
        if (deformableGroups < 1) throw new IllegalArgumentException(OP + ": deformableGroups must be >= 1, got " + deformableGroups);
        long cin = offsetWeight.shape(1), per = (modulated ? 3 : 2) * k * k, oc = per * deformableGroups;
        long[] ow = {oc, cin, k, k};
        if (!Arrays.equals(offsetWeight.shape(), ow)) {
            throw new IllegalArgumentException(OP + ": offsetWeight must be [deformableGroups*k*k*" + (modulated ? 3 : 2) + ", C_in, k, k] = "
                    + Arrays.toString(ow) + ", got " + Arrays.toString(offsetWeight.shape()));
        }
        LayerChecks.like(OP, "weight", weight, offsetWeight, weight.shape());
        LayerChecks.like(OP, "offsetBias", offsetBias, offsetWeight, oc);
        if (cin % weight.shape(1) != 0 || weight.shape(0) % (cin / weight.shape(1)) != 0) {
            throw new IllegalArgumentException(OP + ": weight.shape[1] must divide C_in = " + cin + " into groups that divide C_out, got "
                    + Arrays.toString(weight.shape()));
        }
        if (cin % deformableGroups != 0) {
            throw new IllegalArgumentException(OP + ": C_in = " + cin + " must be divisible by deformableGroups, got " + deformableGroups);
        }
        OpRegistry.commonDevice(OP, offsetWeight, offsetBias, weight);
        this.kernel = (int) k;
        this.stride = stride;
        this.dilation = dilation;
        this.padding = padding >= 0 ? padding : (int) (dilation * (k - 1) / 2);
        this.deformableGroups = deformableGroups;
        this.modulated = modulated;
        this.inChannels = cin;
        this.outChannels = weight.shape(0);
        this.weight = weight;
        if (!modulated) {
            this.offsetWeight = offsetWeight;
            this.offsetBias = offsetBias;
            this.maskWeight = null;
            this.maskBias = null;
            this.ownsSplit = false;
        } else {
            long split = 2 * k * k * deformableGroups;
            Tensor[] parts = new Tensor[4];
            try {
                parts[0] = rows(offsetWeight, 0, split);
                parts[1] = rows(offsetWeight, split, oc);
                parts[2] = offsetBias == null ? null : rows(offsetBias, 0, split);
                parts[3] = offsetBias == null ? null : rows(offsetBias, split, oc);
            } catch (RuntimeException e) {
                for (Tensor t : parts) if (t != null) t.close();
                throw e;
            }
            this.offsetWeight = parts[0];
            this.maskWeight = parts[1];
            this.offsetBias = parts[2];
            this.maskBias = parts[3];
            this.ownsSplit = true;
        }
    }

    public boolean modulated() {
        return modulated;
    }

    public int padding() {
        return padding;
    }

    /** The output spatial size for an input of {@code h} (or w) pixels. */
    public long outputSize(long in) {
        return (in + 2L * padding - ((long) dilation * (kernel - 1) + 1)) / stride + 1;
    }

    public Tensor forward(Tensor x) {
        return forward(x, null, null, null, false);
    }

    /**
     * {@code relu?(dfconv(x) · scale + shift + residual)}: x {@code [N, C_in, H, W]}; scale, shift
     * {@code [C_out]} or null; residual {@code [N, C_out, H_out, W_out]} or null.
     */
    public Tensor forward(Tensor x, Tensor scale, Tensor shift, Tensor residual, boolean relu) {
        LayerChecks.nchw(OP, "x", x);
        OpRegistry.commonDevice(OP, x, weight, scale, shift, residual);
        if (x.dtype() != weight.dtype()) {
            throw new IllegalArgumentException(OP + ": x must have the weights' dtype " + weight.dtype() + ", got " + x.dtype());
        }
        long n = x.shape(0), h = x.shape(2), w = x.shape(3);
        if (x.shape(1) != inChannels || h < 1 || w < 1) {
            throw new IllegalArgumentException(OP + ": x must be [N, C_in = " + inChannels + ", H >= 1, W >= 1], got " + Arrays.toString(x.shape()));
        }
        long ho = outputSize(h), wo = outputSize(w);
        if (ho < 1 || wo < 1) {
            throw new IllegalArgumentException(OP + ": x " + h + "x" + w + " is too small for kernel " + kernel + ", dilation " + dilation
                    + ", padding " + padding + ": output " + ho + "x" + wo);
        }
        LayerChecks.like(OP, "scale", scale, x, outChannels);
        LayerChecks.like(OP, "shift", shift, x, outChannels);
        LayerChecks.like(OP, "residual", residual, x, n, outChannels, ho, wo);
        if (n == 0) return Tensor.zeros(x.dtype(), x.device(), 0, outChannels, ho, wo);  // maskrcnn-benchmark's empty path
        int[] s = {stride, stride}, p = {padding, padding}, d = {dilation, dilation};
        Tensor out;
        try (Tensor offset = conv(x, offsetWeight, offsetBias); Tensor mask = modulated ? conv(x, maskWeight, maskBias) : null) {
            if (mask != null) Activation.sigmoidInPlace(mask);
            out = DeformConv2d.forward(x, offset, weight, null, s, p, d, mask);
        }
        if (scale != null || shift != null || residual != null || relu) {
            try {
                ChannelAffine.into(out, scale, shift, residual, relu, out);
            } catch (RuntimeException e) {
                out.close();
                throw e;
            }
        }
        return out;
    }

    /** The offset conv (stride, padding, dilation of the layer, groups 1, with bias): {@link Conv2d}. */
    private Tensor conv(Tensor x, Tensor w, Tensor b) {
        return Conv2d.forward(x, w, b, Conv2d.Params.of(stride, padding, dilation, 1), null);
    }

    /** Rows [from, to) of t along its first axis, as a new tensor on t's device. */
    private static Tensor rows(Tensor t, long from, long to) {
        long[] shape = t.shape();
        long inner = t.numel() / shape[0];
        shape[0] = to - from;
        Tensor h = t.to(Device.CPU);
        try {
            Tensor part;
            int a = Math.toIntExact(from * inner), z = Math.toIntExact(to * inner);
            if (t.dtype() == DType.FLOAT64) part = Tensor.of(Arrays.copyOfRange(h.toDoubleArray(), a, z), shape);
            else part = Tensor.of(Arrays.copyOfRange(h.toFloatArray(), a, z), shape);
            if (t.device().equals(Device.CPU)) return part;
            try (part) {
                return part.to(t.device());
            }
        } finally {
            if (h != t) h.close();
        }
    }

    @Override
    public void close() {
        if (!ownsSplit) return;
        for (Tensor t : new Tensor[] {offsetWeight, offsetBias, maskWeight, maskBias}) if (t != null) t.close();
    }
}
