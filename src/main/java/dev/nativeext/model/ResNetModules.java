package dev.nativeext.model;

import dev.nativeext.model.config.BackboneConfig;

/**
 * The registries of maskrcnn-benchmark's resnet.py, open to user modules: stems
 * ({@code STEM_FUNC}) and transformation modules ({@code TRANS_FUNC}); stage specs live in
 * {@link StageSpecs#REGISTRY}, whole backbones in {@link Backbone#REGISTRY}.
 */
public final class ResNetModules {

    /** The DCN settings of a stage, as maskrcnn-benchmark's {@code dcn_config} dict. */
    public record DcnConfig(boolean stageWithDcn, boolean withModulatedDcn, int deformableGroups) {
        public static final DcnConfig NONE = new DcnConfig(false, false, 1);
    }

    /** The arguments of a transformation module, as {@code _make_stage} passes them. */
    public record BlockArgs(int inChannels, int bottleneckChannels, int outChannels, int numGroups, boolean strideIn1x1,
                            int stride, int dilation, DcnConfig dcn, BackboneConfig config) {
    }

    /** Builds a stem from the config; its output has {@code MODEL.RESNETS.STEM_OUT_CHANNELS} channels. */
    @FunctionalInterface
    public interface StemFactory {
        Module create(BackboneConfig config);
    }

    /** Builds one residual block. */
    @FunctionalInterface
    public interface BlockFactory {
        Module create(BlockArgs args);
    }

    public static final Registry<StemFactory> STEMS = new Registry<StemFactory>("stem modules")
            .register("StemWithFixedBatchNorm", c -> new Stem(c.stemOutChannels(), Norm.frozenBatchNorm()))
            .register("StemWithGN", c -> new Stem(c.stemOutChannels(), groupNorm(c)));

    public static final Registry<BlockFactory> TRANSFORMATION_MODULES = new Registry<BlockFactory>("transformation modules")
            .register("BottleneckWithFixedBatchNorm", a -> new Bottleneck(a, Norm.frozenBatchNorm()))
            .register("BottleneckWithGN", a -> new Bottleneck(a, groupNorm(a.config())));

    private ResNetModules() {
    }

    /** maskrcnn-benchmark's group_norm(): groups from MODEL.GROUP_NORM, its epsilon. */
    static Norm groupNorm(BackboneConfig c) {
        return new Norm.GroupNorm(c::groupNormGroups, c.groupNormEpsilon());
    }
}
