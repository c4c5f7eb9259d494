package dev.nativeext.model.config;

import dev.nativeext.model.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigLoaderTest {

    @Test
    void defaultsAreMaskrcnnBenchmarks() {
        BackboneConfig c = BackboneConfig.defaults();
        assertEquals("R-50-C4", c.convBody());
        assertEquals(2, c.freezeConvBodyAt());
        assertEquals("StemWithFixedBatchNorm", c.stemFunc());
        assertEquals("BottleneckWithFixedBatchNorm", c.transFunc());
        assertEquals(1, c.numGroups());
        assertEquals(64, c.widthPerGroup());
        assertTrue(c.strideIn1x1());
        assertEquals(64, c.stemOutChannels());
        assertEquals(256, c.res2OutChannels());
        assertEquals(1024, c.backboneOutChannels());
        assertEquals(1, c.res5Dilation());
        assertArrayEquals(new boolean[4], c.stageWithDcn());
        assertFalse(c.withModulatedDcn());
        assertEquals(1, c.deformableGroups());
        assertFalse(c.fpnUseGn());
        assertFalse(c.fpnUseRelu());
        assertEquals(-1, c.groupNormDimPerGp());
        assertEquals(32, c.groupNormNumGroups());
        assertEquals(1e-5, c.groupNormEpsilon());
        assertEquals(32, c.groupNormGroups(256));
        assertArrayEquals(new double[] {1.0 / 16}, c.poolerScales());
        assertArrayEquals(new double[] {102.9801, 115.9465, 122.7717}, c.pixelMean());
    }

    @Test
    void readsPythonLiteralsAsYacsDoes() {
        BackboneConfig c = ConfigLoader.parse("""
                MODEL:
                  RESNETS:
                    STAGE_WITH_DCN: (False, True, True, True)
                    WITH_MODULATED_DCN: True
                    STRIDE_IN_1X1: False
                    NUM_GROUPS: 32
                    WIDTH_PER_GROUP: 8
                  GROUP_NORM:
                    EPSILON: 1e-6
                    DIM_PER_GP: 16
                    NUM_GROUPS: -1
                  ROI_BOX_HEAD:
                    POOLER_SCALES: (0.25, 0.125, 0.0625, 0.03125)
                INPUT:
                  PIXEL_MEAN: [102.9801, 115.9465, 122.7717]
                """, "x.yaml");
        assertArrayEquals(new boolean[] {false, true, true, true}, c.stageWithDcn());
        assertTrue(c.withModulatedDcn());
        assertFalse(c.strideIn1x1());
        assertEquals(32, c.numGroups());
        assertEquals(1e-6, c.groupNormEpsilon());
        assertEquals(16, c.groupNormGroups(256));
        assertArrayEquals(new double[] {0.25, 0.125, 0.0625, 0.03125}, c.poolerScales());
    }

    @Test
    void wrongTypeNamesTheKeyAndFileLine() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("""
                MODEL:
                  BACKBONE:
                    CONV_BODY: "R-50-FPN"
                  RESNETS:
                    NUM_GROUPS: "many"
                """, "cfg.yaml"));
        assertTrue(e.getMessage().startsWith("cfg.yaml:5: MODEL.RESNETS.NUM_GROUPS expects int"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("MODEL:\n  GROUP_NORM:\n    EPSILON: 1\n", "cfg.yaml"));
        assertTrue(e.getMessage().startsWith("cfg.yaml:3: MODEL.GROUP_NORM.EPSILON expects float") && e.getMessage().contains("1.0"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("MODEL:\n  RESNETS:\n    STAGE_WITH_DCN: (False, 1, True, True)\n", "cfg.yaml"));
        assertTrue(e.getMessage().startsWith("cfg.yaml:3: MODEL.RESNETS.STAGE_WITH_DCN[1] expects bool"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("MODEL:\n  FPN:\n    USE_GN: 1\n", "cfg.yaml"));
        assertTrue(e.getMessage().startsWith("cfg.yaml:3: MODEL.FPN.USE_GN expects bool"), e.getMessage());
    }

    @Test
    void anUnknownKeyInABackboneSectionIsAnError() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("MODEL:\n  RESNETS:\n    NUM_GROUP: 32\n", "cfg.yaml"));
        assertTrue(e.getMessage().startsWith("cfg.yaml:3: MODEL.RESNETS.NUM_GROUP is not a config key") && e.getMessage().contains("NUM_GROUPS"),
                e.getMessage());
    }

    @Test
    void keysTheBackboneDoesNotUseAreListedOnce() throws IOException {
        BackboneConfig c = ConfigLoader.load(Fixtures.fixture("r50_c4_frozen_bn", "config.yaml"));
        assertEquals(List.of("MODEL.META_ARCHITECTURE", "MODEL.RPN.PRE_NMS_TOP_N_TEST", "DATASETS.TRAIN", "SOLVER.BASE_LR", "SOLVER.STEPS"),
                c.unusedKeys());
        assertEquals(4, c.poolerResolution());
        assertEquals(2, c.res5Dilation());
    }

    /** Unmodified config files of maskrcnn-benchmark load as they are. */
    @Test
    void realDetectorConfigsLoad() throws IOException {
        Path dir = Fixtures.path("configs");
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> yamls = files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
            assertEquals(8, yamls.size());
            for (Path p : yamls) {
                BackboneConfig c = ConfigLoader.load(p);
                assertFalse(c.unusedKeys().isEmpty(), p.toString());
                assertTrue(c.unusedKeys().contains("MODEL.META_ARCHITECTURE"), p.toString());
            }
        }
        BackboneConfig dcn = ConfigLoader.load(dir.resolve("e2e_mask_rcnn_mdconv_R_50_FPN_1x.yaml"));
        assertArrayEquals(new boolean[] {false, true, true, true}, dcn.stageWithDcn());
        assertTrue(dcn.withModulatedDcn());
        assertEquals(32, dcn.sizeDivisibility());
        BackboneConfig gn = ConfigLoader.load(dir.resolve("e2e_mask_rcnn_R_50_FPN_1x_gn.yaml"));
        assertEquals("StemWithGN", gn.stemFunc());
        assertTrue(gn.fpnUseGn());
        assertFalse(gn.strideIn1x1());
        BackboneConfig x = ConfigLoader.load(dir.resolve("e2e_faster_rcnn_X_101_32x8d_FPN_1x.yaml"));
        assertEquals(32, x.numGroups());
        assertEquals(8, x.widthPerGroup());
        assertEquals("R-101-FPN", x.convBody());
    }

    @Test
    void overridesAreCheckedLikeFileValues() {
        BackboneConfig c = BackboneConfig.defaults().with("MODEL.RESNETS.STAGE_WITH_DCN", "(False, True, False, True)")
                .with("MODEL.RESNETS.NUM_GROUPS", 2);
        assertArrayEquals(new boolean[] {false, true, false, true}, c.stageWithDcn());
        assertEquals(2, c.numGroups());
        assertThrows(ConfigException.class, () -> BackboneConfig.defaults().with("MODEL.RESNETS.NUM_GROUPS", "two"));
        assertThrows(ConfigException.class, () -> BackboneConfig.defaults().with("MODEL.RESNETS.NOPE", 1));
    }

    @Test
    void pythonLiterals() {
        assertEquals(new PyLiteral.Tuple(List.of(800L)), PyLiteral.eval("(800,)"));
        assertEquals(800L, PyLiteral.eval("(800)"));
        assertEquals(List.of(1.5, -2L, "a b", true), PyLiteral.eval("[1.5, -2, 'a b', True]"));
        assertEquals("R-50-FPN", PyLiteral.eval("R-50-FPN"));
        assertEquals("catalog://ImageNetPretrained/MSRA/R-50", PyLiteral.eval("catalog://ImageNetPretrained/MSRA/R-50"));
        assertEquals(1e-5, PyLiteral.eval("1e-5"));
        assertEquals(new PyLiteral.Tuple(List.of()), PyLiteral.eval("()"));
    }
}
