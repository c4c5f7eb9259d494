package dev.nativeext.model.io;

import dev.nativeext.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WeightMapperTest {

    private static Map<String, long[]> expected() {
        Map<String, long[]> m = new LinkedHashMap<>();
        m.put("body.stem.conv1.weight", new long[] {4, 3, 7, 7});
        m.put("body.stem.bn1.running_var", new long[] {4});
        m.put("body.layer1.0.downsample.0.weight", new long[] {8, 4, 1, 1});
        m.put("fpn.fpn_inner1.weight", new long[] {2, 8, 1, 1});
        return m;
    }

    private static StateDict dict(String... names) {
        StateDict sd = new StateDict();
        Map<String, long[]> e = expected();
        for (String n : names) {
            long[] shape = e.values().stream().filter(s -> true).toList().get(0);
            for (Map.Entry<String, long[]> x : e.entrySet()) if (n.endsWith(x.getKey().substring(x.getKey().indexOf('.') + 1))) shape = x.getValue();
            sd.put(n, Tensor.zeros(dev.nativeext.tensor.DType.FLOAT32, dev.nativeext.tensor.Device.CPU, shape));
        }
        return sd;
    }

    @Test
    void mapsMaskrcnnBenchmarkNamesWithAModulePrefixAndIgnoresTheHeads() {
        try (StateDict sd = dict("module.backbone.body.stem.conv1.weight", "module.backbone.body.stem.bn1.running_var",
                "module.backbone.body.layer1.0.downsample.0.weight", "module.backbone.fpn.fpn_inner1.weight",
                "module.rpn.head.conv.weight")) {
            WeightMapper.Result r = WeightMapper.map(sd, expected());
            assertTrue(r.complete(), r.problems());
            assertEquals(List.copyOf(expected().keySet()), List.copyOf(r.matched().keySet()));
            assertEquals(List.of("module.rpn.head.conv.weight"), r.ignored());
            r.matched().values().forEach(Tensor::close);
        }
    }

    @Test
    void mapsTorchvisionNames() {
        Map<String, long[]> e = new LinkedHashMap<>();
        e.put("body.stem.conv1.weight", new long[] {4, 3, 7, 7});
        e.put("body.stem.bn1.running_var", new long[] {4});
        e.put("body.layer1.0.downsample.0.weight", new long[] {8, 4, 1, 1});
        try (StateDict sd = new StateDict()) {
            sd.put("conv1.weight", Tensor.uniform(1, 0, 1, 4, 3, 7, 7));
            sd.put("bn1.running_var", Tensor.uniform(1, 0, 1, 4));
            sd.put("bn1.num_batches_tracked", Tensor.of(new long[] {0}));
            sd.put("layer1.0.downsample.0.weight", Tensor.uniform(1, 0, 1, 8, 4, 1, 1));
            sd.put("fc.weight", Tensor.uniform(1, 0, 1, 10, 8));
            WeightMapper.Result r = WeightMapper.map(sd, e);
            assertTrue(r.complete(), r.problems());
            assertEquals(List.of("bn1.num_batches_tracked", "fc.weight"), r.ignored());
            r.matched().values().forEach(Tensor::close);
        }
    }

    /**
     * ImageNet weights (torchvision's names) into a C4 model: its body ends at stage 4, and res5
     * (torchvision's layer4) is the C4 box head's, as maskrcnn-benchmark loads it: into
     * {@code head.layer4} where the model has that head, else ignored like a classifier's fc.
     */
    @Test
    void torchvisionsLayer4GoesToTheC4HeadOrIsIgnoredWithoutOne() {
        Map<String, long[]> body = new LinkedHashMap<>();
        body.put("body.stem.conv1.weight", new long[] {4, 3, 7, 7});
        body.put("body.layer3.0.conv1.weight", new long[] {8, 4, 1, 1});
        Map<String, long[]> withHead = new LinkedHashMap<>(body);
        withHead.put("head.layer4.0.conv1.weight", new long[] {16, 8, 1, 1});
        for (Map<String, long[]> e : List.of(body, withHead)) {
            try (StateDict sd = new StateDict()) {
                sd.put("conv1.weight", Tensor.uniform(1, 0, 1, 4, 3, 7, 7));
                sd.put("layer3.0.conv1.weight", Tensor.uniform(1, 0, 1, 8, 4, 1, 1));
                sd.put("layer4.0.conv1.weight", Tensor.uniform(1, 0, 1, 16, 8, 1, 1));
                sd.put("fc.weight", Tensor.uniform(1, 0, 1, 10, 8));
                WeightMapper.Result r = WeightMapper.map(sd, e);
                assertTrue(r.complete(), r.problems());
                assertEquals(List.copyOf(e.keySet()), List.copyOf(r.matched().keySet()));
                assertEquals(e == body ? List.of("layer4.0.conv1.weight", "fc.weight") : List.of("fc.weight"), r.ignored());
                r.matched().values().forEach(Tensor::close);
            }
        }
        // a model whose body has a stage 4 (C5, FPN) takes torchvision's layer4 there, as before
        Map<String, long[]> c5 = new LinkedHashMap<>(body);
        c5.put("body.layer4.0.conv1.weight", new long[] {16, 8, 1, 1});
        try (StateDict sd = new StateDict()) {
            sd.put("conv1.weight", Tensor.uniform(1, 0, 1, 4, 3, 7, 7));
            sd.put("layer3.0.conv1.weight", Tensor.uniform(1, 0, 1, 8, 4, 1, 1));
            sd.put("layer4.0.conv1.weight", Tensor.uniform(1, 0, 1, 16, 8, 1, 1));
            WeightMapper.Result r = WeightMapper.map(sd, c5);
            assertTrue(r.complete(), r.problems());
            r.matched().values().forEach(Tensor::close);
        }
    }

    @Test
    void reportsEveryMissingUnexpectedAndWronglyShapedKeyAtOnce() {
        try (StateDict sd = new StateDict()) {
            sd.put("backbone.body.stem.conv1.weight", Tensor.uniform(1, 0, 1, 4, 3, 3, 3));
            sd.put("backbone.body.layer9.0.conv1.weight", Tensor.uniform(1, 0, 1, 1));
            sd.put("backbone.fpn.fpn_inner1.weight", Tensor.uniform(1, 0, 1, 2, 8, 1, 1));
            WeightMapper.Result r = WeightMapper.map(sd, expected());
            assertFalse(r.complete());
            CheckpointException ex = assertThrows(CheckpointException.class, () -> r.orThrow("w.pth"));
            String m = ex.getMessage();
            assertTrue(m.contains("missing (2): body.stem.bn1.running_var, body.layer1.0.downsample.0.weight"), m);
            assertTrue(m.contains("unexpected (1): backbone.body.layer9.0.conv1.weight"), m);
            assertTrue(m.contains("wrong shape (1): backbone.body.stem.conv1.weight is [4, 3, 3, 3], the model's body.stem.conv1.weight is [4, 3, 7, 7]"), m);
        }
    }
}
