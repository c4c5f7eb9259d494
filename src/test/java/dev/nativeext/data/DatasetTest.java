package dev.nativeext.data;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DatasetTest {

    @Test
    void listFunctionMapSubset() {
        Dataset<String> d = Dataset.of(List.of("a", "b", "c"));
        assertEquals(3, d.size());
        assertEquals("b", d.get(1));
        Dataset<Integer> sq = Dataset.from(5, i -> i * i);
        assertEquals(16, sq.get(4));
        assertThrows(IndexOutOfBoundsException.class, () -> sq.get(5));
        assertEquals("C", d.map(String::toUpperCase).get(2));
        Dataset<Integer> sub = sq.subset(4, 0, 4);
        assertEquals(List.of(16, 0, 16), List.of(sub.get(0), sub.get(1), sub.get(2)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sq.subset(1, 9));
        assertTrue(e.getMessage().contains("indices[1] = 9"), e.getMessage());
    }

    @Test
    void concatenation() {
        Dataset<Integer> c = Dataset.concat(Dataset.from(2, i -> i), Dataset.from(0, i -> -1), Dataset.from(3, i -> 10 + i));
        assertEquals(5, c.size());
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < c.size(); i++) all.add(c.get(i));
        assertEquals(List.of(0, 1, 10, 11, 12), all);
    }

    @Test
    void seededSplitIsAPartitionAndReproducible() {
        Dataset<Integer> d = Dataset.from(100, i -> i);
        List<Dataset<Integer>> a = d.split(7, 70, 20, 10);
        List<Dataset<Integer>> b = d.split(7, 70, 20, 10);
        List<Dataset<Integer>> c = d.split(8, 70, 20, 10);
        Set<Integer> seen = new HashSet<>();
        int[] first = new int[70];
        for (int p = 0; p < 3; p++) {
            for (int i = 0; i < a.get(p).size(); i++) {
                assertEquals(a.get(p).get(i), b.get(p).get(i));
                assertTrue(seen.add(a.get(p).get(i)));
                if (p == 0) first[i] = a.get(p).get(i);
            }
        }
        assertEquals(100, seen.size());
        int[] other = new int[70];
        for (int i = 0; i < 70; i++) other[i] = c.get(0).get(i);
        assertNotEquals(Arrays.toString(first), Arrays.toString(other));
        assertThrows(IllegalArgumentException.class, () -> d.split(1, 50, 49));
    }
}
