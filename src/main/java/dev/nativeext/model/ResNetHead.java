package dev.nativeext.model;

import dev.nativeext.model.config.BackboneConfig;
import dev.nativeext.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * maskrcnn-benchmark's ResNetHead: the stages a C4 detector runs on pooled boxes (res5 for
 * {@code ResNet50Conv5ROIFeatureExtractor}). For the first stage {@code index}, out channels
 * {@code res2OutChannels·2^(index−1)}, in channels half that, bottleneck
 * {@code numGroups·widthPerGroup·2^(index−1)}; first stride {@code strideInit}, or when null
 * {@code index > 1 ? 2 : 1}; every stage at {@code dilation} (RES5_DILATION).
 */
public final class ResNetHead implements Module {

    private final List<String> names = new ArrayList<>();
    private final List<Stage> stages = new ArrayList<>();
    private final int outChannels;

    public ResNetHead(String blockModule, List<StageSpec> stageSpecs, int numGroups, int widthPerGroup, boolean strideIn1x1,
                      Integer strideInit, int res2OutChannels, int dilation, ResNetModules.DcnConfig dcnConfig, BackboneConfig config) {
        int factor = 1 << (stageSpecs.get(0).index() - 1);
        int out = res2OutChannels * factor, in = out / 2, bottleneck = numGroups * widthPerGroup * factor;
        ResNetModules.BlockFactory block = ResNetModules.TRANSFORMATION_MODULES.get(blockModule);
        Integer stride = strideInit;
        for (StageSpec s : stageSpecs) {
            int first = stride != null && stride != 0 ? stride : s.index() > 1 ? 2 : 1;
            stages.add(new Stage(block, in, bottleneck, out, s.blockCount(), numGroups, strideIn1x1, first, dilation,
                    dcnConfig == null ? ResNetModules.DcnConfig.NONE : dcnConfig, config));
            names.add("layer" + s.index());
            stride = null;
        }
        outChannels = out;
    }

    /** As ResNet50Conv5ROIFeatureExtractor builds it from a config: stage 5 (index 4, 3 blocks). */
    public static ResNetHead conv5(BackboneConfig c) {
        return new ResNetHead(c.transFunc(), List.of(new StageSpec(4, 3, false)), c.numGroups(), c.widthPerGroup(), c.strideIn1x1(),
                null, c.res2OutChannels(), c.res5Dilation(), ResNetModules.DcnConfig.NONE, c);
    }

    public int outChannels() {
        return outChannels;
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor cur = x;
        for (Stage s : stages) {
            Tensor next = s.forward(cur);
            if (cur != x) cur.close();
            cur = next;
        }
        return cur;
    }

    @Override
    public void parameters(String prefix, Map<String, Parameter> out) {
        for (int i = 0; i < stages.size(); i++) stages.get(i).parameters(prefix + names.get(i) + ".", out);
    }

    @Override
    public void prepare() {
        stages.forEach(Stage::prepare);
    }

    @Override
    public void release() {
        stages.forEach(Stage::release);
    }
}
