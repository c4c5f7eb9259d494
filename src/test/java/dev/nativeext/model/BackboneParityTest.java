package dev.nativeext.model;

import dev.nativeext.model.config.BackboneConfig;
import dev.nativeext.model.config.ConfigLoader;
import dev.nativeext.model.io.Safetensors;
import dev.nativeext.model.io.StateDict;
import dev.nativeext.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every backbone output, pooled feature and head output against PyTorch's, from the committed
 * fixtures of tools/reference/backbone_reference.py (same config file, same torch.save weights,
 * same input): within 1e-4 of the reference's largest magnitude, in float32.
 */
class BackboneParityTest {

    static final double TOLERANCE = 1e-4;


    static void assertClose(Tensor expected, Tensor actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        float[] e = expected.toFloatArray(), a = actual.toFloatArray();
        double max = 0, err = 0;
        int worst = -1;
        for (int i = 0; i < e.length; i++) {
            max = Math.max(max, Math.abs(e[i]));
            double d = Math.abs((double) e[i] - a[i]);
            if (!(d <= err)) {
                err = d;
                worst = i;
            }
        }
        assertTrue(err <= TOLERANCE * Math.max(max, 1e-30), what + ": max |diff| " + err + " at " + worst + " (expected " + (worst >= 0 ? e[worst] : 0)
                + ", got " + (worst >= 0 ? a[worst] : 0) + "), reference max " + max + " -> relative " + err / max);
    }

    @ParameterizedTest
    @ValueSource(strings = {"r50_c4_frozen_bn", "r50_fpn_gn", "r50_c5_dcn_dg2", "r50_c4_dcn_plain", "resnext_32x4_tiny", "r50_fpn_retinanet"})
    void matchesPyTorch(String name) throws IOException {
        Fixtures.registerTinySpec();
        BackboneConfig cfg = ConfigLoader.load(Fixtures.fixture(name, "config.yaml"));
        boolean withHead;
        try (StateDict io = Safetensors.read(Fixtures.fixture(name, "io.safetensors")); Backbone b = Backbone.build(cfg)) {
            withHead = io.contains("head");
            ResNetHead head = withHead ? ResNetHead.conv5(cfg) : null;
            Map<String, Parameter> all = new LinkedHashMap<>(b.parameters());
            if (head != null) head.parameters("head.", all);
            Weights.LoadReport report = Weights.load(Fixtures.fixture(name, "weights.pth"), all, () -> {
                b.prepare();
                if (head != null) head.prepare();
            });
            assertEquals(all.size(), report.loaded());
            List<Tensor> outs = b.forward(io.get("image"));
            try {
                int n = 0;
                while (io.contains("out." + n)) n++;
                assertEquals(n, outs.size(), "outputs");
                for (int i = 0; i < n; i++) assertClose(io.get("out." + i), outs.get(i), name + " " + b.outputNames().get(i));
                if (io.contains("pooled")) {
                    Pooler pooler = new Pooler(cfg.poolerResolution(), cfg.poolerScales(), cfg.poolerSamplingRatio());
                    try (Tensor pooled = pooler.forward(outs, io.get("boxes"))) {
                        assertClose(io.get("pooled"), pooled, name + " pooled");
                        if (head != null) {
                            try (Tensor h = head.forward(pooled)) {
                                assertClose(io.get("head"), h, name + " head");
                            }
                        }
                    }
                }
            } finally {
                outs.forEach(Tensor::close);
                if (head != null) {
                    Map<String, Parameter> hp = new LinkedHashMap<>();
                    head.parameters("", hp);
                    hp.values().forEach(Parameter::close);
                }
            }
        }
    }

    @Test
    void torchvisionLayoutWithBatchNormEpsilonAvgpoolAndFc() throws IOException {
        try (StateDict io = Safetensors.read(Fixtures.fixture("tv_resnet_narrow", "io.safetensors"));
             TorchvisionResNet net = new TorchvisionResNet(new int[] {1, 2, 1, 1}, 8, 4, 10)) {
            Weights.LoadReport r = Weights.load(Fixtures.fixture("tv_resnet_narrow", "weights.pth"), net.parameters(), net::prepare);
            assertTrue(r.ignored().stream().allMatch(k -> k.endsWith("num_batches_tracked")), r.ignored().toString());
            try (Tensor logits = net.forward(io.get("image"))) {
                assertClose(io.get("logits"), logits, "tv_resnet_narrow logits");
            }
        }
    }

    @Test
    void parameterNamesAreMaskrcnnBenchmarks() {
        try (Backbone b = Backbone.build(BackboneConfig.defaults().with("MODEL.BACKBONE.CONV_BODY", "R-50-FPN")
                .with("MODEL.RESNETS.STAGE_WITH_DCN", "(False, False, True, False)").with("MODEL.RESNETS.WITH_MODULATED_DCN", "True"))) {
            Map<String, Parameter> p = b.parameters();
            assertTrue(p.containsKey("body.stem.conv1.weight"));
            assertTrue(p.containsKey("body.layer1.0.bn1.running_var"));
            assertTrue(p.containsKey("body.layer1.0.downsample.0.weight"));
            assertArrayEquals(new long[] {27, 256, 3, 3}, p.get("body.layer3.0.conv2.offset.weight").shape());
            assertArrayEquals(new long[] {256, 256, 3, 3}, p.get("body.layer3.0.conv2.conv.weight").shape());
            assertTrue(p.containsKey("fpn.fpn_inner2.weight"));
            assertTrue(p.containsKey("fpn.fpn_layer4.bias"));
            assertEquals(Arrays.asList(false, true), Arrays.asList(p.get("body.layer1.0.conv1.weight").requiresGrad(),
                    p.get("body.layer2.0.conv1.weight").requiresGrad()));
            assertEquals(false, p.get("body.stem.conv1.weight").requiresGrad());
            assertEquals(false, p.get("body.layer2.0.bn1.weight").requiresGrad(), "frozen BN holds buffers");
        }
    }
}
