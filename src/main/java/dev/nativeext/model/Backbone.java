package dev.nativeext.model;

import dev.nativeext.model.config.BackboneConfig;
import dev.nativeext.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * maskrcnn-benchmark's {@code build_backbone}: the ResNet body ({@code body.*}) and, for FPN
 * bodies, the FPN ({@code fpn.*}); {@link #REGISTRY} maps {@code CONV_BODY} to a builder as
 * maskrcnn-benchmark's {@code BACKBONES} registry does, open to user entries.
 *
 * <p>Parameters carry the names of maskrcnn-benchmark's module tree under its backbone
 * ({@code body.layer1.0.conv1.weight}); see {@link Weights} for loading and seeding.
 */
public final class Backbone implements AutoCloseable {

    /** {@code CONV_BODY} -> backbone; the C4/C5 bodies alone, FPN with P6 max-pool, RetinaNet FPN with P6/P7. */
    public static final Registry<Function<BackboneConfig, Backbone>> REGISTRY = new Registry<Function<BackboneConfig, Backbone>>("backbones")
            .register("R-50-C4", Backbone::bodyOnly)
            .register("R-50-C5", Backbone::bodyOnly)
            .register("R-101-C4", Backbone::bodyOnly)
            .register("R-101-C5", Backbone::bodyOnly)
            .register("R-50-FPN", Backbone::fpn)
            .register("R-101-FPN", Backbone::fpn)
            .register("R-152-FPN", Backbone::fpn)
            .register("R-50-FPN-RETINANET", Backbone::retinaNet)
            .register("R-101-FPN-RETINANET", Backbone::retinaNet);

    private final BackboneConfig config;
    private final ResNet body;
    private final Fpn fpn;
    private final int outChannels;
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();

    public Backbone(BackboneConfig config, ResNet body, Fpn fpn, int outChannels) {
        this.config = config;
        this.body = body;
        this.fpn = fpn;
        this.outChannels = outChannels;
        body.parameters("body.", parameters);
        if (fpn != null) fpn.parameters("fpn.", parameters);
    }

    /** The backbone {@code config.convBody()} names. */
    public static Backbone build(BackboneConfig config) {
        return REGISTRY.get(config.convBody(), m -> config.error("MODEL.BACKBONE.CONV_BODY", m)).apply(config);
    }

    /** A C4/C5 body: its returned stages are the outputs. */
    public static Backbone bodyOnly(BackboneConfig c) {
        ResNet body = new ResNet(c);
        List<Integer> ch = body.returnedChannels();
        return new Backbone(c, body, null, ch.get(ch.size() - 1));
    }

    /** build_resnet_fpn_backbone: FPN over res2..res5 with LastLevelMaxPool. */
    public static Backbone fpn(BackboneConfig c) {
        int s2 = c.res2OutChannels(), out = c.backboneOutChannels();
        return new Backbone(c, new ResNet(c), new Fpn(c, new int[] {s2, s2 * 2, s2 * 4, s2 * 8}, out, Fpn.TopBlock.MAX_POOL, 0), out);
    }

    /** build_resnet_fpn_p3p7_backbone: FPN over res3..res5 with LastLevelP6P7 (from C5 when USE_C5). */
    public static Backbone retinaNet(BackboneConfig c) {
        int s2 = c.res2OutChannels(), out = c.backboneOutChannels();
        int p6In = c.retinanetUseC5() ? s2 * 8 : out;
        return new Backbone(c, new ResNet(c), new Fpn(c, new int[] {0, s2 * 2, s2 * 4, s2 * 8}, out, Fpn.TopBlock.P6_P7, p6In), out);
    }

    public BackboneConfig config() {
        return config;
    }

    public ResNet body() {
        return body;
    }

    /** Channels of every output ({@code BACKBONE_OUT_CHANNELS} with FPN). */
    public int outChannels() {
        return outChannels;
    }

    public boolean hasFpn() {
        return fpn != null;
    }

    /** Every parameter and buffer, by its PyTorch name, in module order. */
    public Map<String, Parameter> parameters() {
        return Collections.unmodifiableMap(parameters);
    }

    /** After loading or seeding: folds frozen batch norms into their convolutions. */
    public void prepare() {
        body.prepare();
        if (fpn != null) fpn.prepare();
    }

    /** The outputs for {@code image [N, 3, H, W]}: the body's flagged stages, or the FPN levels P2.. (P3.. for RetinaNet). */
    public List<Tensor> forward(Tensor image) {
        return forward(image, null);
    }

    public List<Tensor> forward(Tensor image, ResNet.StageTimer timer) {
        List<Tensor> feats = body.forwardFeatures(image, timer);
        if (fpn == null) return feats;
        long t0 = System.nanoTime();
        List<Tensor> out = fpn.forwardConsuming(feats); // each body feature freed once its lateral is done
        if (timer != null) timer.record("fpn", System.nanoTime() - t0);
        return out;
    }

    /** The names of the outputs: stage names for a body, {@code p2..p6} (or p3..p7) with FPN. */
    public List<String> outputNames() {
        if (fpn == null) return body.returnedStages();
        List<String> r = new ArrayList<>();
        boolean retina = config.convBody().endsWith("RETINANET");
        for (int i = retina ? 3 : 2; i <= (retina ? 7 : 6); i++) r.add("p" + i);
        return r;
    }

    @Override
    public void close() {
        body.release();
        if (fpn != null) fpn.release();
        parameters.values().forEach(Parameter::close);
    }
}
