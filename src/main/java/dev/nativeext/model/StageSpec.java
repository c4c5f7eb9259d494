package dev.nativeext.model;

/**
 * One ResNet stage, as maskrcnn-benchmark's {@code StageSpec} namedtuple.
 *
 * @param index          the stage's index, 1..4 for res2..res5 ({@code layer1..layer4})
 * @param blockCount     residual blocks in the stage
 * @param returnFeatures whether the stage's last output is one of the network's outputs
 */
public record StageSpec(int index, int blockCount, boolean returnFeatures) {

    public StageSpec {
        if (index < 1 || index > 4) throw new IllegalArgumentException("StageSpec index must be in 1..4, got " + index);
        if (blockCount < 1) throw new IllegalArgumentException("StageSpec blockCount must be >= 1, got " + blockCount);
    }
}
