package dev.nativeext.ops;

import java.util.ArrayList;
import java.util.List;

/**
 * A slow, obviously-correct NMS written from docs/ops.md §4: sort by (score desc, index asc), then
 * the greedy walk over all pairs. With {@code floatMath} every intermediate is rounded to float,
 * as a float32 kernel computes it (Java float arithmetic is IEEE); the comparison with the
 * threshold is in double, as torchvision's CPU kernel does.
 */
final class NmsReference {

    private NmsReference() {
    }

    static long[] nms(double[] boxes, double[] scores, long[] idxs, double thr, double offset, boolean ge, boolean floatMath) {
        int n = scores.length;
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) order.add(i);
        order.sort((a, b) -> {
            double sa = scores[a], sb = scores[b];
            boolean na = Double.isNaN(sa), nb = Double.isNaN(sb);
            if (na || nb) return na == nb ? 0 : na ? -1 : 1;   // NaN ranks first
            if (sa == sb) return 0;                             // -0 == +0; the stable sort keeps index order
            return sa > sb ? -1 : 1;
        });
        boolean[] removed = new boolean[n];
        List<Long> keep = new ArrayList<>();
        for (int oi = 0; oi < n; oi++) {
            int i = order.get(oi);
            if (removed[i]) continue;
            keep.add((long) i);
            for (int oj = oi + 1; oj < n; oj++) {
                int j = order.get(oj);
                if (idxs != null && idxs[i] != idxs[j]) continue;
                double iou = floatMath ? iouFloat(boxes, i, j, (float) offset) : iouDouble(boxes, i, j, offset);
                if (ge ? iou >= thr : iou > thr) removed[j] = true;
            }
        }
        return keep.stream().mapToLong(Long::longValue).toArray();
    }

    static double iouDouble(double[] b, int i, int j, double d) {
        double ai = (b[4 * i + 2] - b[4 * i] + d) * (b[4 * i + 3] - b[4 * i + 1] + d);
        double aj = (b[4 * j + 2] - b[4 * j] + d) * (b[4 * j + 3] - b[4 * j + 1] + d);
        double w = Math.max(0.0, Math.min(b[4 * i + 2], b[4 * j + 2]) - Math.max(b[4 * i], b[4 * j]) + d);
        double h = Math.max(0.0, Math.min(b[4 * i + 3], b[4 * j + 3]) - Math.max(b[4 * i + 1], b[4 * j + 1]) + d);
        double inter = w * h;
        return inter / (ai + aj - inter);
    }

    static float iouFloat(double[] bd, int i, int j, float d) {
        float[] b = {(float) bd[4 * i], (float) bd[4 * i + 1], (float) bd[4 * i + 2], (float) bd[4 * i + 3],
                (float) bd[4 * j], (float) bd[4 * j + 1], (float) bd[4 * j + 2], (float) bd[4 * j + 3]};
        float ai = (b[2] - b[0] + d) * (b[3] - b[1] + d);
        float aj = (b[6] - b[4] + d) * (b[7] - b[5] + d);
        float w = Math.max(0f, Math.min(b[2], b[6]) - Math.max(b[0], b[4]) + d);
        float h = Math.max(0f, Math.min(b[3], b[7]) - Math.max(b[1], b[5]) + d);
        float inter = w * h;
        return inter / (ai + aj - inter);
    }
}
