package dev.nativeext.model;

import java.util.List;

/**
 * The named stage lists of maskrcnn-benchmark ({@code _STAGE_SPECS}) and their registry.
 *
 * <p>C4 variants stop after stage 3 (res4) and return it; C5 variants run all four stages and
 * return the last one only; FPN variants return all four. RetinaNet's specs are the FPN ones.
 */
public final class StageSpecs {

    public static final List<StageSpec> RESNET50_STAGES_TO_5 = specs(new int[] {3, 4, 6, 3}, false, 4);
    public static final List<StageSpec> RESNET50_STAGES_TO_4 = specs(new int[] {3, 4, 6}, false, 3);
    public static final List<StageSpec> RESNET101_STAGES_TO_5 = specs(new int[] {3, 4, 23, 3}, false, 4);
    public static final List<StageSpec> RESNET101_STAGES_TO_4 = specs(new int[] {3, 4, 23}, false, 3);
    public static final List<StageSpec> RESNET50_FPN_STAGES_TO_5 = specs(new int[] {3, 4, 6, 3}, true, 4);
    public static final List<StageSpec> RESNET101_FPN_STAGES_TO_5 = specs(new int[] {3, 4, 23, 3}, true, 4);
    public static final List<StageSpec> RESNET152_FPN_STAGES_TO_5 = specs(new int[] {3, 8, 36, 3}, true, 4);

    /** {@code MODEL.BACKBONE.CONV_BODY} -> stages; open to user entries. */
    public static final Registry<List<StageSpec>> REGISTRY = new Registry<List<StageSpec>>("stage specs")
            .register("R-50-C4", RESNET50_STAGES_TO_4)
            .register("R-50-C5", RESNET50_STAGES_TO_5)
            .register("R-101-C4", RESNET101_STAGES_TO_4)
            .register("R-101-C5", RESNET101_STAGES_TO_5)
            .register("R-50-FPN", RESNET50_FPN_STAGES_TO_5)
            .register("R-50-FPN-RETINANET", RESNET50_FPN_STAGES_TO_5)
            .register("R-101-FPN", RESNET101_FPN_STAGES_TO_5)
            .register("R-101-FPN-RETINANET", RESNET101_FPN_STAGES_TO_5)
            .register("R-152-FPN", RESNET152_FPN_STAGES_TO_5);

    private StageSpecs() {
    }

    /** The registered stages of {@code convBody}. */
    public static List<StageSpec> get(String convBody) {
        return REGISTRY.get(convBody);
    }

    /** Stages 1..counts.length; all return features when {@code all}, else only stage {@code last}. */
    private static List<StageSpec> specs(int[] counts, boolean all, int last) {
        StageSpec[] s = new StageSpec[counts.length];
        for (int i = 0; i < counts.length; i++) s[i] = new StageSpec(i + 1, counts[i], all || i + 1 == last);
        return List.of(s);
    }
}
