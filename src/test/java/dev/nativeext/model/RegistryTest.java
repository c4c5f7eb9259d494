package dev.nativeext.model;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RegistryTest {

    @Test
    void refusesADuplicateKeyNamingIt() {
        Registry<Integer> r = new Registry<Integer>("numbers").register("one", 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.register("one", 2));
        assertTrue(e.getMessage().contains("'one'"), e.getMessage());
        assertEquals(1, r.get("one"));
    }

    @Test
    void aMissNamesTheKeyAndListsTheKnownOnes() {
        Registry<Integer> r = new Registry<Integer>("numbers").register("one", 1).register("two", 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.get("three"));
        assertTrue(e.getMessage().contains("'three'") && e.getMessage().contains("one, two"), e.getMessage());
    }

    @Test
    void theNineStageSpecsOfMaskrcnnBenchmark() {
        assertEquals(List.of("R-50-C4", "R-50-C5", "R-101-C4", "R-101-C5", "R-50-FPN", "R-50-FPN-RETINANET", "R-101-FPN",
                "R-101-FPN-RETINANET", "R-152-FPN"), List.copyOf(StageSpecs.REGISTRY.keys()).subList(0, 9));
        assertEquals(List.of(new StageSpec(1, 3, false), new StageSpec(2, 4, false), new StageSpec(3, 6, true)), StageSpecs.get("R-50-C4"));
        assertEquals(List.of(new StageSpec(1, 3, false), new StageSpec(2, 4, false), new StageSpec(3, 6, false), new StageSpec(4, 3, true)),
                StageSpecs.get("R-50-C5"));
        assertEquals(List.of(new StageSpec(1, 3, false), new StageSpec(2, 4, false), new StageSpec(3, 23, true)), StageSpecs.get("R-101-C4"));
        assertEquals(23, StageSpecs.get("R-101-C5").get(2).blockCount());
        assertTrue(StageSpecs.get("R-101-C5").get(3).returnFeatures());
        assertFalse(StageSpecs.get("R-101-C5").get(2).returnFeatures());
        for (String fpn : List.of("R-50-FPN", "R-50-FPN-RETINANET", "R-101-FPN", "R-101-FPN-RETINANET", "R-152-FPN")) {
            assertEquals(4, StageSpecs.get(fpn).size(), fpn);
            assertTrue(StageSpecs.get(fpn).stream().allMatch(StageSpec::returnFeatures), fpn);
        }
        assertSame(StageSpecs.get("R-50-FPN"), StageSpecs.get("R-50-FPN-RETINANET"));
        assertEquals(List.of(3, 8, 36, 3), StageSpecs.get("R-152-FPN").stream().map(StageSpec::blockCount).toList());
        assertEquals(List.of(3, 4, 23, 3), StageSpecs.get("R-101-FPN").stream().map(StageSpec::blockCount).toList());
    }

    @Test
    void stageSpecChecksItsFields() {
        assertThrows(IllegalArgumentException.class, () -> new StageSpec(0, 3, true));
        assertThrows(IllegalArgumentException.class, () -> new StageSpec(5, 3, true));
        assertThrows(IllegalArgumentException.class, () -> new StageSpec(2, 0, true));
    }
}
