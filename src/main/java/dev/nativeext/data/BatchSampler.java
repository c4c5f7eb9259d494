package dev.nativeext.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/** The batches of one epoch, each a list of dataset indices; a pure function of the epoch. */
@FunctionalInterface
public interface BatchSampler {

    List<int[]> batches(int epoch);

    /** Consecutive runs of {@code batchSize} indices of {@code sampler}; a short last one unless {@code dropLast}. */
    static BatchSampler of(Sampler sampler, int batchSize, boolean dropLast) {
        Objects.requireNonNull(sampler, "sampler");
        if (batchSize < 1) throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        return epoch -> {
            int[] idx = sampler.indices(epoch);
            List<int[]> out = new ArrayList<>(idx.length / batchSize + 1);
            for (int at = 0; at < idx.length; at += batchSize) {
                int end = Math.min(idx.length, at + batchSize);
                if (end - at < batchSize && dropLast) break;
                out.add(Arrays.copyOfRange(idx, at, end));
            }
            return out;
        };
    }
}
