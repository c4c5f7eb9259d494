package dev.nativeext.model;

import dev.nativeext.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * A stage as maskrcnn-benchmark's {@code _make_stage} builds it: {@code blockCount} blocks, the
 * first with {@code firstStride}, the rest with stride 1, in = out after the first. Each block's
 * input is closed as soon as the next block has consumed it.
 */
public final class Stage implements Module {

    private final List<Module> blocks = new ArrayList<>();

    public Stage(ResNetModules.BlockFactory block, int inChannels, int bottleneckChannels, int outChannels, int blockCount,
                 int numGroups, boolean strideIn1x1, int firstStride, int dilation, ResNetModules.DcnConfig dcn,
                 dev.nativeext.model.config.BackboneConfig config) {
        int stride = firstStride;
        for (int i = 0; i < blockCount; i++) {
            blocks.add(block.create(new ResNetModules.BlockArgs(inChannels, bottleneckChannels, outChannels, numGroups, strideIn1x1,
                    stride, dilation, dcn, config)));
            stride = 1;
            inChannels = outChannels;
        }
    }

    public List<Module> blocks() {
        return Collections.unmodifiableList(blocks);
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor cur = x;
        for (Module b : blocks) {
            // a block's input that this loop owns (not the stage's) may take the block's output
            Tensor next = cur != x && b instanceof Bottleneck bb ? bb.forwardOverwriting(cur) : b.forward(cur);
            if (cur != x && next != cur) cur.close();
            cur = next;
        }
        return cur;
    }

    @Override
    public void parameters(String prefix, Map<String, Parameter> out) {
        for (int i = 0; i < blocks.size(); i++) blocks.get(i).parameters(prefix + i + ".", out);
    }

    @Override
    public void prepare() {
        blocks.forEach(Module::prepare);
    }

    @Override
    public void release() {
        blocks.forEach(Module::release);
    }
}
