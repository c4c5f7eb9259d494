package dev.nativeext.model;

import dev.nativeext.tensor.Tensor;

import java.util.Map;

/**
 * maskrcnn-benchmark's Bottleneck: 1×1 → 3×3 (groups = NUM_GROUPS; a DFConv2d when the stage has
 * DCN) → 1×1, each with its norm, ReLU after the first two, then {@code relu(out + identity)}.
 * The downsample branch (1×1 conv + norm) exists exactly when in ≠ out channels, with stride 1
 * under dilation; dilation > 1 resets the stride to 1; the stride sits in the first 1×1 when
 * {@code strideIn1x1} (MSRA weights) else in the 3×3 (fb.torch / Caffe2 / torchvision).
 */
public final class Bottleneck implements Module {

    private final ConvNorm downsample;
    private final ConvNorm conv1, conv2, conv3;

    public Bottleneck(ResNetModules.BlockArgs a, Norm norm) {
        int stride = a.stride(), dilation = a.dilation();
        downsample = a.inChannels() != a.outChannels()
                ? new ConvNorm("downsample.0", "downsample.1", norm, a.inChannels(), a.outChannels(), 1, dilation == 1 ? stride : 1, 0, 1, 1, null)
                : null;
        if (dilation > 1) stride = 1;
        int s1 = a.strideIn1x1() ? stride : 1, s3 = a.strideIn1x1() ? 1 : stride;
        int cb = a.bottleneckChannels();
        conv1 = new ConvNorm("conv1", "bn1", norm, a.inChannels(), cb, 1, s1, 0, 1, 1, null);
        ConvNorm.Dcn dcn = a.dcn().stageWithDcn() ? new ConvNorm.Dcn(a.dcn().deformableGroups(), a.dcn().withModulatedDcn()) : null;
        conv2 = new ConvNorm("conv2", "bn2", norm, cb, cb, 3, s3, dilation, dilation, a.numGroups(), dcn);
        conv3 = new ConvNorm("conv3", "bn3", norm, cb, a.outChannels(), 1, 1, 0, 1, 1, null);
    }

    @Override
    public Tensor forward(Tensor x) {
        return forward(x, false);
    }

    /**
     * {@link #forward}, for a caller that closes {@code x} right after: without a downsample the
     * output is written over {@code x} (the identity, read by the epilogue before each element is
     * written; same bits) and {@code x} itself is returned. Its lines are in cache; a fresh
     * output's came from memory.
     */
    Tensor forwardOverwriting(Tensor x) {
        return forward(x, true);
    }

    private Tensor forward(Tensor x, boolean overwrite) {
        Tensor identity = null;
        Tensor y2;
        try (Tensor y1 = conv1.forward(x, null, true)) {
            y2 = conv2.forward(y1, null, true);
        }
        // y1 is freed before the downsample runs (one activation fewer alive at once; in
        // torchvision's layout the downsample's output has y1's size in stages 2-4 and may take
        // its block: no speed change measured on the shared machine)
        try (y2) {
            identity = downsample != null ? downsample.forward(x, null, false) : x;
            if ((identity != x || overwrite) && conv3.accumulates()) {
                // over the downsample's output, which this block owns and has just written, or
                // over x when the caller lets it (in cache): a fresh output's lines came from
                // memory (torchvision resnet50, first block of stage 1: 64->256 on 56x56 1.15 ms
                // against 0.81 in the next blocks)
                Tensor out = conv3.forwardAccumulate(y2, identity, true);
                identity = null;
                return out;
            }
            return conv3.forward(y2, identity, true);
        } finally {
            if (identity != null && identity != x) identity.close();
        }
    }

    @Override
    public void parameters(String prefix, Map<String, Parameter> out) {
        if (downsample != null) downsample.parameters(prefix, out);
        conv1.parameters(prefix, out);
        conv2.parameters(prefix, out);
        conv3.parameters(prefix, out);
    }

    @Override
    public void prepare() {
        if (downsample != null) downsample.prepare();
        conv1.prepare();
        conv2.prepare();
        conv3.prepare();
    }

    @Override
    public void release() {
        if (downsample != null) downsample.closeFolded();
        conv1.closeFolded();
        conv2.closeFolded();
        conv3.closeFolded();
    }
}
