package dev.nativeext.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;

/**
 * maskrcnn-benchmark's {@code GroupedBatchSampler}: every batch holds indices of one group only
 * (for detection: landscape or portrait images, so that padding wastes little), and the batches
 * follow the base sampler's order as closely as possible.
 *
 * <p>Exactly as the reference: indices of each group, in the order the sampler drew them, are
 * cut into runs of {@code batchSize}; the runs are then sorted by the sampler position of their
 * first element; with {@code dropUneven} runs shorter than {@code batchSize} are dropped.
 * Indices the sampler did not draw are left out; a sampler that draws an index twice keeps the
 * later position, as the reference's {@code order[sampled_ids] = arange} does.
 */
public final class GroupedBatchSampler implements BatchSampler {

    private final Sampler sampler;
    private final int[] groupIds;
    private final int batchSize;
    private final boolean dropUneven;

    /** @param groupIds the group of each dataset index ({@code groupIds.length} = the dataset size) */
    public GroupedBatchSampler(Sampler sampler, int[] groupIds, int batchSize, boolean dropUneven) {
        this.sampler = Objects.requireNonNull(sampler, "sampler");
        this.groupIds = groupIds.clone();
        if (batchSize < 1) throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        this.batchSize = batchSize;
        this.dropUneven = dropUneven;
    }

    /**
     * maskrcnn-benchmark's aspect-ratio groups ({@code _quantize} with {@code bins}): the group of
     * an image is the number of bins {@code <= height / width} ({@code bisect_right}); its default
     * bins {@code [1]} put landscape images in group 0 and portrait or square ones in group 1.
     */
    public static int[] aspectRatioGroups(int[] heights, int[] widths, double... bins) {
        if (heights.length != widths.length) {
            throw new IllegalArgumentException("heights and widths differ in length: " + heights.length + " vs " + widths.length);
        }
        double[] b = bins.clone();
        Arrays.sort(b);
        int[] g = new int[heights.length];
        for (int i = 0; i < g.length; i++) {
            double r = (double) heights[i] / (double) widths[i];
            int k = 0;
            while (k < b.length && b[k] <= r) k++;
            g[i] = k;
        }
        return g;
    }

    @Override
    public List<int[]> batches(int epoch) {
        int[] sampled = sampler.indices(epoch);
        int n = groupIds.length;
        int[] order = new int[n];
        Arrays.fill(order, -1);
        for (int k = 0; k < sampled.length; k++) {
            int idx = sampled[k];
            if (idx < 0 || idx >= n) {
                throw new IllegalArgumentException("the sampler drew index " + idx + ", outside the " + n + " group ids");
            }
            order[idx] = k;
        }
        // Per group (sorted by id), the sampled dataset indices in sampler order.
        TreeMap<Integer, List<Integer>> clusters = new TreeMap<>();
        for (int g : groupIds) clusters.computeIfAbsent(g, x -> new ArrayList<>());
        Integer[] bySamplerPos = new Integer[n];
        int m = 0;
        for (int i = 0; i < n; i++) if (order[i] >= 0) bySamplerPos[m++] = i;
        Integer[] pos = Arrays.copyOf(bySamplerPos, m);
        Arrays.sort(pos, (a, b) -> Integer.compare(order[a], order[b]));
        for (int i : pos) clusters.get(groupIds[i]).add(sampled[order[i]]);

        List<int[]> merged = new ArrayList<>();
        for (List<Integer> c : clusters.values()) {
            for (int at = 0; at < c.size(); at += batchSize) {
                int end = Math.min(c.size(), at + batchSize);
                int[] b = new int[end - at];
                for (int j = at; j < end; j++) b[j - at] = c.get(j);
                merged.add(b);
            }
        }
        // Batches sorted by the sampler position of their first element (positions are unique).
        merged.sort((a, b) -> Integer.compare(order[a[0]], order[b[0]]));
        if (dropUneven) merged.removeIf(b -> b.length != batchSize);
        return merged;
    }
}
