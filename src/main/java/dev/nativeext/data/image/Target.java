package dev.nativeext.data.image;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The annotations of one image, as maskrcnn-benchmark's {@code BoxList} with its {@code labels}
 * and polygon {@code masks} fields: {@code boxes [K, 4] = (x1, y1, x2, y2)} in pixels of an
 * image of {@link #width()} × {@link #height()}, with maskrcnn-benchmark's inclusive-pixel
 * convention ({@code x2 = x + w - 1}); {@code labels [K]} contiguous class ids 1..C; per
 * instance a list of polygons {@code [x0, y0, x1, y1, ...]} (empty lists when there are no
 * masks). Immutable; each transform returns a new target, computed in float32 as torch does.
 */
public final class Target {

    private final int width;
    private final int height;
    private final float[] boxes;
    private final int[] labels;
    private final List<List<float[]>> polygons;

    public Target(int width, int height, float[] boxes, int[] labels, List<List<float[]>> polygons) {
        if (width < 1 || height < 1) throw new IllegalArgumentException("image size must be >= 1x1, got " + width + "x" + height);
        if (boxes.length % 4 != 0) throw new IllegalArgumentException("boxes must hold K*4 values, got " + boxes.length);
        int k = boxes.length / 4;
        if (labels.length != k) throw new IllegalArgumentException("labels must hold " + k + " values (one per box), got " + labels.length);
        if (polygons != null && polygons.size() != k) {
            throw new IllegalArgumentException("polygons must hold " + k + " instances (one per box), got " + polygons.size());
        }
        this.width = width;
        this.height = height;
        this.boxes = boxes;
        this.labels = labels;
        this.polygons = polygons;
    }

    /** No annotations (e.g. an image folder). */
    public static Target empty(int width, int height) {
        return new Target(width, height, new float[0], new int[0], null);
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    public int size() {
        return labels.length;
    }

    /** {@code [K * 4]} xyxy (a copy). */
    public float[] boxes() {
        return boxes.clone();
    }

    public int[] labels() {
        return labels.clone();
    }

    public boolean hasMasks() {
        return polygons != null;
    }

    /** Instance {@code i}'s polygons (copies). */
    public List<float[]> polygons(int i) {
        if (polygons == null) return List.of();
        List<float[]> out = new ArrayList<>();
        for (float[] p : polygons.get(i)) out.add(p.clone());
        return out;
    }

    /** BoxList.resize + PolygonInstance.resize to a {@code newW × newH} image. */
    public Target resize(int newW, int newH) {
        float rw = (float) ((double) newW / width);
        float rh = (float) ((double) newH / height);
        float[] b = new float[boxes.length];
        for (int i = 0; i < b.length; i += 4) {
            b[i] = boxes[i] * rw;
            b[i + 1] = boxes[i + 1] * rh;
            b[i + 2] = boxes[i + 2] * rw;
            b[i + 3] = boxes[i + 3] * rh;
        }
        return new Target(newW, newH, b, labels, mapPolygons(p -> {
            float[] q = new float[p.length];
            for (int j = 0; j + 1 < p.length; j += 2) {
                q[j] = p[j] * rw;
                q[j + 1] = p[j + 1] * rh;
            }
            return q;
        }));
    }

    /** FLIP_LEFT_RIGHT: {@code x1' = w - x2 - 1}, {@code x2' = w - x1 - 1}; polygon {@code x' = w - x - 1}. */
    public Target flipHorizontal() {
        float[] b = new float[boxes.length];
        float w = width;
        for (int i = 0; i < b.length; i += 4) {
            b[i] = w - boxes[i + 2] - 1;
            b[i + 1] = boxes[i + 1];
            b[i + 2] = w - boxes[i] - 1;
            b[i + 3] = boxes[i + 3];
        }
        return new Target(width, height, b, labels, mapPolygons(p -> {
            float[] q = p.clone();
            for (int j = 0; j < q.length; j += 2) q[j] = w - p[j] - 1;
            return q;
        }));
    }

    /**
     * {@code clip_to_image(remove_empty)}: x clamped to {@code [0, w - 1]}, y to {@code [0, h - 1]};
     * with {@code removeEmpty} boxes without {@code x2 > x1 && y2 > y1} are dropped.
     */
    public Target clipToImage(boolean removeEmpty) {
        float[] b = new float[boxes.length];
        boolean[] keep = new boolean[labels.length];
        int kept = 0;
        for (int i = 0; i < labels.length; i++) {
            int o = 4 * i;
            b[o] = clamp(boxes[o], width - 1);
            b[o + 1] = clamp(boxes[o + 1], height - 1);
            b[o + 2] = clamp(boxes[o + 2], width - 1);
            b[o + 3] = clamp(boxes[o + 3], height - 1);
            keep[i] = !removeEmpty || (b[o + 2] > b[o] && b[o + 3] > b[o + 1]);
            if (keep[i]) kept++;
        }
        float[] nb = new float[4 * kept];
        int[] nl = new int[kept];
        List<List<float[]>> np = polygons == null ? null : new ArrayList<>();
        for (int i = 0, j = 0; i < labels.length; i++) {
            if (!keep[i]) continue;
            System.arraycopy(b, 4 * i, nb, 4 * j, 4);
            nl[j++] = labels[i];
            if (np != null) np.add(polygons.get(i));
        }
        return new Target(width, height, nb, nl, np);
    }

    private static float clamp(float v, float hi) {
        return Math.max(0f, Math.min(hi, v));
    }

    private interface PolyMap {
        float[] apply(float[] p);
    }

    private List<List<float[]>> mapPolygons(PolyMap f) {
        if (polygons == null) return null;
        List<List<float[]>> out = new ArrayList<>(polygons.size());
        for (List<float[]> inst : polygons) {
            List<float[]> o = new ArrayList<>(inst.size());
            for (float[] p : inst) o.add(f.apply(p));
            out.add(o);
        }
        return out;
    }

    /**
     * Instance {@code i}'s polygons rasterised to a {@code height × width} 0/1 mask: a pixel is
     * inside when its centre {@code (x + 0.5, y + 0.5)} is inside the union of the polygons
     * (even-odd rule per polygon). pycocotools rasterises on a 5× upsampled boundary instead, so
     * edge pixels may differ from its masks by one pixel; areas agree to the boundary.
     */
    public byte[] mask(int i) {
        byte[] m = new byte[width * height];
        if (polygons == null) return m;
        double[] xs = new double[16];
        for (float[] p : polygons.get(i)) {
            int n = p.length / 2;
            if (n < 3) continue;
            for (int y = 0; y < height; y++) {
                double cy = y + 0.5;
                int cnt = 0;
                for (int a = 0, b = n - 1; a < n; b = a++) {
                    double ya = p[2 * a + 1];
                    double yb = p[2 * b + 1];
                    if ((ya <= cy) != (yb <= cy)) {
                        double xa = p[2 * a];
                        double xb = p[2 * b];
                        if (cnt == xs.length) xs = Arrays.copyOf(xs, 2 * cnt);
                        xs[cnt++] = xa + (cy - ya) / (yb - ya) * (xb - xa);
                    }
                }
                Arrays.sort(xs, 0, cnt);
                for (int k = 0; k + 1 < cnt; k += 2) {
                    int x0 = (int) Math.max(0, Math.ceil(xs[k] - 0.5));
                    int x1 = (int) Math.min(width - 1, Math.ceil(xs[k + 1] - 0.5) - 1);
                    for (int x = x0; x <= x1; x++) m[y * width + x] = 1;
                }
            }
        }
        return m;
    }

    @Override
    public String toString() {
        return "Target(" + size() + " boxes, " + width + "x" + height + (hasMasks() ? ", masks" : "") + ")";
    }
}
