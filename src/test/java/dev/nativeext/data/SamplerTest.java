package dev.nativeext.data;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplerTest {

    @Test
    void randomIsAPermutationPerEpochAndSeeded() {
        Sampler s = Sampler.random(50, 3);
        int[] e0 = s.indices(0);
        int[] sorted = e0.clone();
        Arrays.sort(sorted);
        assertArrayEquals(Sampler.sequential(50).indices(0), sorted);
        assertArrayEquals(e0, Sampler.random(50, 3).indices(0));
        assertFalse(Arrays.equals(e0, s.indices(1)));
        assertFalse(Arrays.equals(e0, Sampler.random(50, 4).indices(0)));
    }

    @Test
    void weightedFollowsTheWeights() {
        double[] w = {0, 1, 3, 0};
        int[] draws = Sampler.weighted(w, 40_000, true, 11).indices(0);
        int[] counts = new int[4];
        for (int d : draws) counts[d]++;
        assertEquals(0, counts[0]);
        assertEquals(0, counts[3]);
        assertEquals(3.0, (double) counts[2] / counts[1], 0.15);
        int[] noRepl = Sampler.weighted(new double[]{1, 1, 5, 0, 2}, 4, false, 2).indices(0);
        assertEquals(4, Arrays.stream(noRepl).distinct().count());
        assertFalse(Arrays.stream(noRepl).anyMatch(i -> i == 3));
        assertThrows(IllegalArgumentException.class, () -> Sampler.weighted(new double[]{1, 0}, 2, false, 0));
        assertThrows(IllegalArgumentException.class, () -> Sampler.weighted(new double[]{1, Double.NaN}, 2, true, 0));
    }

    @Test
    void batchSamplerDropLast() {
        List<int[]> b = BatchSampler.of(Sampler.sequential(7), 3, false).batches(0);
        assertEquals(3, b.size());
        assertArrayEquals(new int[]{6}, b.get(2));
        assertEquals(2, BatchSampler.of(Sampler.sequential(7), 3, true).batches(0).size());
    }

    /** The example worked through by hand from maskrcnn-benchmark's _prepare_batches. */
    @Test
    void groupedBatchSamplerMatchesTheReference() {
        // dataset of 8, groups 0/1; the sampler draws this order
        int[] groups = {0, 1, 0, 1, 1, 0, 0, 1};
        Sampler order = epoch -> new int[]{5, 1, 2, 7, 0, 3, 6, 4};
        List<int[]> b = new GroupedBatchSampler(order, groups, 3, false).batches(0);
        // group 0 in sampler order: 5, 2, 0, 6 -> [5,2,0] [6]; group 1: 1, 7, 3, 4 -> [1,7,3] [4]
        // sorted by the sampler position of the first element: 5(0), 1(1), 6(6), 4(7)
        assertEquals("[[5, 2, 0], [1, 7, 3], [6], [4]]", render(b));
        List<int[]> even = new GroupedBatchSampler(order, groups, 3, true).batches(0);
        assertEquals("[[5, 2, 0], [1, 7, 3]]", render(even));
        // a sampler that draws a subset only: undrawn indices are left out
        List<int[]> part = new GroupedBatchSampler(epoch -> new int[]{3, 0, 1}, groups, 2, false).batches(0);
        assertEquals("[[3, 1], [0]]", render(part));
    }

    @Test
    void aspectRatioGroupsAreBisectRight() {
        int[] g = GroupedBatchSampler.aspectRatioGroups(new int[]{480, 640, 500}, new int[]{640, 480, 500}, 1.0);
        assertArrayEquals(new int[]{0, 1, 1}, g);
    }

    @Test
    void groupedBatchesNeverMixGroups() {
        int n = 200;
        int[] groups = new int[n];
        for (int i = 0; i < n; i++) groups[i] = (i * 7919) % 3;
        List<int[]> b = new GroupedBatchSampler(Sampler.random(n, 5), groups, 4, false).batches(2);
        int total = 0;
        for (int[] batch : b) {
            total += batch.length;
            for (int i : batch) assertEquals(groups[batch[0]], groups[i]);
        }
        assertEquals(n, total);
        assertTrue(b.stream().filter(x -> x.length < 4).count() <= 3);
    }

    private static String render(List<int[]> batches) {
        return batches.stream().map(Arrays::toString).toList().toString();
    }
}
