package dev.nativeext.model;

import dev.nativeext.model.config.BackboneConfig;
import dev.nativeext.ops.Conv2d;
import dev.nativeext.ops.NnOps;
import dev.nativeext.ops.PreparedConv2d;
import dev.nativeext.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * torchvision's ResNet classifier ({@code resnet50} by default): the same bottleneck body as
 * maskrcnn-benchmark's with the stride in the 3×3 and batch norm with epsilon 1e-5, then global
 * average pooling and {@code fc}. Loads torchvision's names ({@code conv1.weight},
 * {@code layer1.0.downsample.0.weight}, {@code fc.bias}); inside, they are {@code body.stem.conv1.weight}
 * and so on, like the detector backbones.
 */
public final class TorchvisionResNet implements AutoCloseable {

    private final Stem stem;
    private final List<Stage> stages = new ArrayList<>();
    private final Parameter fcWeight, fcBias;
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private Tensor fcWeight4;
    private PreparedConv2d fc;   // the fc as a 1x1 convolution, its weights laid out once

    /**
     * @param blocks    blocks per stage ({3, 4, 6, 3} for resnet50)
     * @param stem      stem width (64)
     * @param planes    bottleneck width of stage 1 (64; doubles per stage, out = 4 × planes)
     * @param classes   fc outputs (1000)
     */
    public TorchvisionResNet(int[] blocks, int stem, int planes, int classes) {
        Norm bn = Norm.torchvisionBatchNorm();
        this.stem = new Stem(stem, bn);
        int in = stem;
        BackboneConfig cfg = BackboneConfig.defaults();
        for (int i = 0; i < blocks.length; i++) {
            int p = planes << i;
            stages.add(new Stage(a -> new Bottleneck(a, bn), in, p, 4 * p, blocks[i], 1, false, i == 0 ? 1 : 2, 1,
                    ResNetModules.DcnConfig.NONE, cfg));
            in = 4 * p;
        }
        fcWeight = new Parameter(false, classes, in);
        fcBias = new Parameter(false, classes);
        this.stem.parameters("body.stem.", parameters);
        for (int i = 0; i < stages.size(); i++) stages.get(i).parameters("body.layer" + (i + 1) + ".", parameters);
        parameters.put("fc.weight", fcWeight);
        parameters.put("fc.bias", fcBias);
    }

    public static TorchvisionResNet resnet50() {
        return new TorchvisionResNet(new int[] {3, 4, 6, 3}, 64, 64, 1000);
    }

    public Map<String, Parameter> parameters() {
        return Collections.unmodifiableMap(parameters);
    }

    public void prepare() {
        stem.prepare();
        stages.forEach(Stage::prepare);
        closeFc();
        long[] s = fcWeight.shape();
        fcWeight4 = fcWeight.value().reshape(s[0], s[1], 1, 1);
        fc = NnOps.prepareConv2d(fcWeight4, fcBias.value(), Conv2d.Params.of(1, 0, 1, 1), null, null);
    }

    /** Logits {@code [N, classes]} for {@code image [N, 3, H, W]}. */
    public Tensor forward(Tensor image) {
        Tensor x = stem.forward(image);
        for (Stage s : stages) {
            Tensor y = s.forward(x);
            x.close();
            x = y;
        }
        LayerProfile profile = LayerProfile.active();
        long t0 = System.nanoTime();
        try (Tensor pooled = NnOps.globalAvgPool2d(x);
             Tensor logits = NnOps.conv2d(fc, pooled, null, false)) {
            Tensor out = logits.reshape(logits.shape(0), logits.shape(1));
            long nanos = System.nanoTime() - t0;   // before the description is built (that is the profiler's time)
            if (profile != null) profile.recordStep(fcWeight, "avgpool + fc " + fcWeight.shape()[1] + "->" + fcWeight.shape()[0], 2.0 * logits.shape(0) * logits.shape(1) * fcWeight.shape()[1], nanos);
            return out;
        } finally {
            x.close();
        }
    }

    @Override
    public void close() {
        stem.release();
        stages.forEach(Stage::release);
        parameters.values().forEach(Parameter::close);
        closeFc();
    }

    private void closeFc() {
        if (fc != null) fc.close();
        if (fcWeight4 != null) fcWeight4.close();
        fc = null;
        fcWeight4 = null;
    }
}
