package dev.nativeext.model;

import dev.nativeext.model.config.BackboneConfig;
import dev.nativeext.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * maskrcnn-benchmark's ResNet body: a stem ({@code STEM_FUNC}) and the stages of
 * {@code CONV_BODY}'s {@link StageSpec}s built from {@code TRANS_FUNC}; {@link #forward} returns
 * the outputs of the stages flagged {@code returnFeatures}, in order.
 *
 * <p>Stage {@code i} (1..4, named {@code layer<i>}) has bottleneck channels
 * {@code NUM_GROUPS·WIDTH_PER_GROUP·2^(i−1)}, out channels {@code RES2_OUT_CHANNELS·2^(i−1)},
 * first stride {@code i > 1 ? 2 : 1}, DCN per {@code STAGE_WITH_DCN[i−1]}. As in
 * maskrcnn-benchmark the body runs every stage at dilation 1: {@code RES5_DILATION} applies to
 * {@link ResNetHead} only. {@code FREEZE_CONV_BODY_AT = k} freezes the stem (stage 0) and stages
 * 1..k−1, visible per parameter through {@link Parameter#requiresGrad()}.
 */
public final class ResNet implements Module {

    private final Module stem;
    private final List<String> names = new ArrayList<>();
    private final List<Stage> stages = new ArrayList<>();
    private final List<Boolean> returns = new ArrayList<>();
    private final List<Integer> outChannels = new ArrayList<>();
    private final int freezeAt;

    public ResNet(BackboneConfig cfg) {
        // what the config names and sizes, checked before anything is allocated
        ResNetModules.StemFactory stemFactory = ResNetModules.STEMS.get(cfg.stemFunc(), m -> cfg.error("MODEL.RESNETS.STEM_FUNC", m));
        List<StageSpec> specs = StageSpecs.REGISTRY.get(cfg.convBody(), m -> cfg.error("MODEL.BACKBONE.CONV_BODY", m));
        ResNetModules.BlockFactory block = ResNetModules.TRANSFORMATION_MODULES.get(cfg.transFunc(), m -> cfg.error("MODEL.RESNETS.TRANS_FUNC", m));
        stem = stemFactory.create(cfg);
        int in = cfg.stemOutChannels();
        boolean[] dcn = cfg.stageWithDcn();
        for (StageSpec s : specs) {
            int factor = 1 << (s.index() - 1);
            int out = cfg.res2OutChannels() * factor;
            long mid = (long) cfg.numGroups() * cfg.widthPerGroup() * factor;
            if (mid > BackboneConfig.MAX_COUNT) {
                throw cfg.error("MODEL.RESNETS.WIDTH_PER_GROUP", cfg.widthPerGroup() + " x NUM_GROUPS " + cfg.numGroups() + " gives layer" + s.index()
                        + " " + mid + " bottleneck channels, over " + BackboneConfig.MAX_COUNT);
            }
            ResNetModules.DcnConfig d = new ResNetModules.DcnConfig(dcn[s.index() - 1], cfg.withModulatedDcn(), cfg.deformableGroups());
            if (d.stageWithDcn() && mid % d.deformableGroups() != 0) {
                throw cfg.error("MODEL.RESNETS.DEFORMABLE_GROUPS", d.deformableGroups() + " does not divide the " + mid
                        + " input channels of layer" + s.index() + "'s deformable 3x3 (STAGE_WITH_DCN)");
            }
            stages.add(new Stage(block, in, (int) mid, out, s.blockCount(), cfg.numGroups(),
                    cfg.strideIn1x1(), s.index() > 1 ? 2 : 1, 1, d, cfg));
            names.add("layer" + s.index());
            returns.add(s.returnFeatures());
            outChannels.add(out);
            in = out;
        }
        freezeAt = cfg.freezeConvBodyAt();
        freeze();
    }

    /** The stage names ({@code layer1..}) in order. */
    public List<String> stageNames() {
        return Collections.unmodifiableList(names);
    }

    /** The channel counts of the returned features, in order. */
    public List<Integer> returnedChannels() {
        List<Integer> r = new ArrayList<>();
        for (int i = 0; i < stages.size(); i++) if (returns.get(i)) r.add(outChannels.get(i));
        return r;
    }

    /** The stage names of the returned features. */
    public List<String> returnedStages() {
        List<String> r = new ArrayList<>();
        for (int i = 0; i < stages.size(); i++) if (returns.get(i)) r.add(names.get(i));
        return r;
    }

    /** FREEZE_CONV_BODY_AT: stages below it (0 = the stem) are frozen; negative freezes nothing. */
    public int freezeAt() {
        return freezeAt;
    }

    private void freeze() {
        for (int i = 0; i < freezeAt; i++) {
            Map<String, Parameter> p = new LinkedHashMap<>();
            if (i == 0) stem.parameters("", p);
            else if (i - 1 < stages.size()) stages.get(i - 1).parameters("", p);
            p.values().forEach(Parameter::freeze);
        }
    }

    /** The flagged stage outputs, in order (new tensors); {@code timer} may be null. */
    public List<Tensor> forwardFeatures(Tensor image, StageTimer timer) {
        List<Tensor> outs = new ArrayList<>();
        long t0 = System.nanoTime();
        Tensor x = stem.forward(image);
        if (timer != null) timer.record("stem", System.nanoTime() - t0);
        boolean kept = false; // whether x is one of the outputs (then it must stay open)
        try {
            for (int i = 0; i < stages.size(); i++) {
                t0 = System.nanoTime();
                Tensor y = stages.get(i).forward(x);
                if (timer != null) timer.record(names.get(i), System.nanoTime() - t0);
                if (!kept) x.close(); // consumed: free it before the next stage allocates
                x = y;
                kept = returns.get(i);
                if (kept) outs.add(y);
            }
            if (!kept) x.close();
        } catch (RuntimeException e) {
            if (!kept) x.close();
            outs.forEach(Tensor::close);
            throw e;
        }
        return outs;
    }

    /** Single-tensor forward: the last returned feature (other outputs are closed). */
    @Override
    public Tensor forward(Tensor x) {
        List<Tensor> outs = forwardFeatures(x, null);
        for (int i = 0; i < outs.size() - 1; i++) outs.get(i).close();
        return outs.get(outs.size() - 1);
    }

    @Override
    public void parameters(String prefix, Map<String, Parameter> out) {
        stem.parameters(prefix + "stem.", out);
        for (int i = 0; i < stages.size(); i++) stages.get(i).parameters(prefix + names.get(i) + ".", out);
    }

    @Override
    public void prepare() {
        stem.prepare();
        stages.forEach(Stage::prepare);
    }

    @Override
    public void release() {
        stem.release();
        stages.forEach(Stage::release);
    }

    /** Receives per-stage wall times (ns). */
    @FunctionalInterface
    public interface StageTimer {
        void record(String stage, long nanos);
    }
}
