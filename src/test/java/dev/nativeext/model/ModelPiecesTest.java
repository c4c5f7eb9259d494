package dev.nativeext.model;

import dev.nativeext.model.config.BackboneConfig;
import dev.nativeext.model.config.ConfigException;
import dev.nativeext.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelPiecesTest {

    @Test
    void levelMapperAsMaskrcnnBenchmark() {
        Pooler p = new Pooler(7, new double[] {0.25, 0.125, 0.0625, 0.03125}, 2);
        // side 224 (+1 convention: x2 - x1 = 223) -> level 4 -> index 2; 112 -> 3; 32 -> 2 (clamped); 2000 -> 5
        float[] rois = {
            0, 0, 0, 223, 223,
            0, 10, 10, 121, 121,
            0, 0, 0, 31, 31,
            0, 0, 0, 1999, 1999,
            0, 0, 0, 447, 447,
        };
        assertArrayEquals(new int[] {2, 1, 0, 3, 3}, p.levels(rois));
        assertArrayEquals(new int[] {0, 0}, new Pooler(14, new double[] {1.0 / 16}, 0).levels(new float[10]));
        assertThrows(IllegalArgumentException.class, () -> new Pooler(7, new double[] {0.3}, 2));
        assertThrows(IllegalArgumentException.class, () -> new Pooler(7, new double[] {0.25, 0.0625}, 2));
    }

    /** Boxes of another shape than [K, 5] are refused, not read five floats at a time. */
    @Test
    void poolerRefusesBoxesOfAnotherShape() {
        Pooler p = new Pooler(2, new double[] {0.25, 0.125}, 2);
        try (Tensor f2 = Tensor.uniform(1, -1, 1, 1, 4, 16, 16); Tensor f3 = Tensor.uniform(2, -1, 1, 1, 4, 8, 8);
             Tensor four = Tensor.of(new float[] {0, 0, 10, 10, 0, 0, 20, 20}, 2, 4); Tensor flat = Tensor.of(new float[] {0, 0, 0, 10, 10}, 5)) {
            for (Tensor bad : List.of(four, flat)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.forward(List.of(f2, f3), bad));
                assertTrue(e.getMessage().startsWith("Pooler: rois must be FLOAT32 [K, 5]"), e.getMessage());
            }
            try (Tensor ok = Tensor.of(new float[] {0, 0, 0, 10, 10}, 1, 5); Tensor out = p.forward(List.of(f2, f3), ok)) {
                assertArrayEquals(new long[] {1, 4, 2, 2}, out.shape());
            }
        }
    }

    @Test
    void resizeGetSizeAsMaskrcnnBenchmark() {
        assertArrayEquals(new int[] {800, 1066}, ImageInput.size(640, 480, 800, 1333));   // {h, w}
        assertArrayEquals(new int[] {750, 1333}, ImageInput.size(1600, 900, 800, 1333));  // capped by the max size
        assertArrayEquals(new int[] {1000, 800}, ImageInput.size(800, 1000, 800, 1333));   // already the size
        assertArrayEquals(new int[] {1066, 800}, ImageInput.size(480, 640, 800, 1333));
    }

    /**
     * A stage writes each block's output over what it owns (the downsample's output, then the
     * previous block's output): the bits of running the blocks one by one into fresh outputs,
     * and the stage's own input left as it was.
     */
    @Test
    void stageOverwritingItsOwnTensorsGivesTheBlockByBlockBits() {
        for (int[] v : new int[][] {{1, 1}, {2, 1}, {2, 2}}) {   // first stride, dilation
            BackboneConfig c = BackboneConfig.defaults();
            Stage stage = new Stage(a -> new Bottleneck(a, Norm.frozenBatchNorm()), 8, 4, 16, 3, 1, false, v[0], v[1],
                    ResNetModules.DcnConfig.NONE, c);
            Map<String, Parameter> params = new java.util.LinkedHashMap<>();
            stage.parameters("", params);
            Weights.seed(5, params, stage::prepare);
            try (Tensor x = Tensor.uniform(6, -1, 1, 1, 8, 13, 11)) {
                float[] before = x.toFloatArray();
                float[] expected;
                Tensor cur = x;
                for (Module b : stage.blocks()) {
                    Tensor next = b.forward(cur);
                    if (cur != x) cur.close();
                    cur = next;
                }
                expected = cur.toFloatArray();
                cur.close();
                try (Tensor y = stage.forward(x)) {
                    assertArrayEquals(expected, y.toFloatArray(), 0f, "stride " + v[0] + " dilation " + v[1]);
                }
                assertArrayEquals(before, x.toFloatArray(), 0f, "the stage's input");
            }
            stage.release();
            params.values().forEach(Parameter::close);
        }
    }

    @Test
    void userRegisteredTransformationModuleIsBuiltAndNamed() {
        AtomicInteger built = new AtomicInteger();
        synchronized (ResNetModules.TRANSFORMATION_MODULES) {
            if (!ResNetModules.TRANSFORMATION_MODULES.contains("CountingBottleneck")) {
                ResNetModules.TRANSFORMATION_MODULES.register("CountingBottleneck", a -> {
                    built.incrementAndGet();
                    return new Bottleneck(a, Norm.frozenBatchNorm());
                });
            }
        }
        IllegalArgumentException dup = assertThrows(IllegalArgumentException.class,
                () -> ResNetModules.TRANSFORMATION_MODULES.register("BottleneckWithGN", a -> null));
        assertTrue(dup.getMessage().contains("'BottleneckWithGN'"), dup.getMessage());
        BackboneConfig c = BackboneConfig.defaults().with("MODEL.RESNETS.TRANS_FUNC", "CountingBottleneck")
                .with("MODEL.RESNETS.STEM_OUT_CHANNELS", 4).with("MODEL.RESNETS.RES2_OUT_CHANNELS", 8)
                .with("MODEL.RESNETS.WIDTH_PER_GROUP", 2);
        try (Backbone b = Backbone.build(c)) {
            assertEquals(13, built.get(), "R-50-C4 has 3 + 4 + 6 blocks");
            assertEquals(List.of("layer3"), b.outputNames());
            Weights.seed(3, b);
            try (Tensor x = Tensor.uniform(1, -1, 1, 1, 3, 64, 32)) {
                List<Tensor> out = b.forward(x);
                assertArrayEquals(new long[] {1, 32, 4, 2}, out.get(0).shape());
                out.forEach(Tensor::close);
            }
        }
        ConfigException miss = assertThrows(ConfigException.class,
                () -> Backbone.build(BackboneConfig.defaults().with("MODEL.RESNETS.STEM_FUNC", "StemWithMagic")));
        assertTrue(miss.getMessage().contains("'StemWithMagic'") && miss.getMessage().contains("StemWithGN"), miss.getMessage());
    }

    @Test
    void freezeAtFreezesTheStemAndTheStagesBelowIt() {
        for (int at : new int[] {-1, 0, 1, 2, 5}) {
            try (Backbone b = Backbone.build(BackboneConfig.defaults().with("MODEL.BACKBONE.CONV_BODY", "R-50-FPN")
                    .with("MODEL.BACKBONE.FREEZE_CONV_BODY_AT", at))) {
                Map<String, Parameter> p = b.parameters();
                assertEquals(at >= 1, !p.get("body.stem.conv1.weight").requiresGrad(), "stem at " + at);
                for (int s = 1; s <= 4; s++) {
                    assertEquals(at > s, !p.get("body.layer" + s + ".0.conv1.weight").requiresGrad(), "layer" + s + " at " + at);
                }
                assertTrue(p.get("fpn.fpn_inner1.weight").requiresGrad());
            }
        }
    }

    @Test
    void resNetHeadAsTheC4BoxHeadBuildsIt() {
        BackboneConfig c = BackboneConfig.defaults().with("MODEL.RESNETS.RES5_DILATION", 2);
        ResNetHead h = ResNetHead.conv5(c);
        assertEquals(2048, h.outChannels());
        Map<String, Parameter> p = new java.util.LinkedHashMap<>();
        h.parameters("head.", p);
        assertArrayEquals(new long[] {2048, 1024, 1, 1}, p.get("head.layer4.0.downsample.0.weight").shape());
        assertArrayEquals(new long[] {512, 1024, 1, 1}, p.get("head.layer4.0.conv1.weight").shape());
        assertFalse(p.containsKey("head.layer4.1.downsample.0.weight"));
        assertEquals(3 * 3 * 5 + 5, p.size(), "3 blocks of 3 convs (weight + 4 frozen-BN tensors), and one downsample");
    }

    @Test
    void groupNormNeedsGroupsThatDivide() {
        BackboneConfig c = BackboneConfig.defaults().with("MODEL.RESNETS.STEM_FUNC", "StemWithGN").with("MODEL.RESNETS.STEM_OUT_CHANNELS", 48);
        ConfigException e = assertThrows(ConfigException.class, () -> Backbone.build(c));
        assertTrue(e.getMessage().contains("NUM_GROUPS 32 does not divide 48"), e.getMessage());
    }

    /** What the model cannot be built from is refused before anything is allocated, naming the key and its line. */
    @Test
    void aConfigTheModelCannotBuildNamesTheKeyAndItsLine() {
        assertRefused("c.yaml:3: MODEL.RESNETS.STEM_FUNC 'StemWithBN' is not one of the stem modules: StemWithFixedBatchNorm, StemWithGN",
                "    STEM_FUNC: \"StemWithBN\"");
        assertRefused("c.yaml:3: MODEL.RESNETS.RES2_OUT_CHANNELS 0 must be in [1, 1048576]", "    RES2_OUT_CHANNELS: 0");
        assertRefused("c.yaml:3: MODEL.RESNETS.STEM_OUT_CHANNELS 4294967296 is outside the int range", "    STEM_OUT_CHANNELS: 4294967296");
        assertRefused("c.yaml:4: MODEL.RESNETS.WIDTH_PER_GROUP 4096 x NUM_GROUPS 4096 gives layer1 16777216 bottleneck channels, over 1048576",
                "    NUM_GROUPS: 4096", "    WIDTH_PER_GROUP: 4096");
        assertRefused("c.yaml:4: MODEL.RESNETS.DEFORMABLE_GROUPS 3 does not divide the 128 input channels of layer2's deformable 3x3 (STAGE_WITH_DCN)",
                "    STAGE_WITH_DCN: (False, True, True, True)", "    DEFORMABLE_GROUPS: 3");
        ConfigException e = assertThrows(ConfigException.class, () -> Backbone.build(BackboneConfig.defaults().with("MODEL.BACKBONE.CONV_BODY", "R-51")));
        assertTrue(e.getMessage().startsWith("defaults: MODEL.BACKBONE.CONV_BODY 'R-51' is not one of the backbones: R-50-C4, "), e.getMessage());
    }

    /** Backbone.build of R-50-C4 with {@code resnetsLines} under MODEL.RESNETS (they start at line 3). */
    private static void assertRefused(String message, String... resnetsLines) {
        BackboneConfig c = dev.nativeext.model.config.ConfigLoader.parse("MODEL:\n  RESNETS:\n" + String.join("\n", resnetsLines) + "\n", "c.yaml");
        ConfigException e = assertThrows(ConfigException.class, () -> Backbone.build(c));
        assertEquals(message, e.getMessage());
    }

    /** A float64 checkpoint loads as PyTorch's load_state_dict loads it into a float model: each value rounded to float32. */
    @Test
    void aFloat64CheckpointLoadsRoundedToFloat32(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        BackboneConfig cfg = dev.nativeext.model.config.ConfigLoader.load(Fixtures.fixture("r50_c4_frozen_bn", "config.yaml"));
        java.nio.file.Path f64 = dir.resolve("w64.safetensors");
        Map<String, Tensor> wide = new java.util.LinkedHashMap<>();
        try (dev.nativeext.model.io.StateDict sd = dev.nativeext.model.io.Checkpoints.read(Fixtures.fixture("r50_c4_frozen_bn", "weights.pth"))) {
            sd.asMap().forEach((k, t) -> {
                if (t.dtype() != dev.nativeext.tensor.DType.FLOAT32) return;   // num_batches_tracked: ignored by the mapper anyway
                float[] v = t.toFloatArray();
                double[] d = new double[v.length];
                for (int i = 0; i < v.length; i++) d[i] = v[i];
                wide.put(k, Tensor.of(d, t.shape()));
            });
            dev.nativeext.model.io.Safetensors.write(f64, wide, Map.of());
        } finally {
            wide.values().forEach(Tensor::close);
        }
        try (Backbone a = Backbone.build(cfg); Backbone b = Backbone.build(cfg); Tensor x = Tensor.uniform(5, -1, 1, 1, 3, 64, 64)) {
            Weights.load(Fixtures.fixture("r50_c4_frozen_bn", "weights.pth"), a);
            Weights.load(f64, b);
            List<Tensor> ya = a.forward(x), yb = b.forward(x);
            try {
                for (int i = 0; i < ya.size(); i++) assertArrayEquals(ya.get(i).toFloatArray(), yb.get(i).toFloatArray(), "output " + i);
            } finally {
                ya.forEach(Tensor::close);
                yb.forEach(Tensor::close);
            }
        }
    }
}
