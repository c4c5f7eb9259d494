package dev.nativeext.cli;

import dev.nativeext.data.DataLoader;
import dev.nativeext.data.Dataset;
import dev.nativeext.data.image.BatchCollator;
import dev.nativeext.data.image.ByteImage;
import dev.nativeext.data.image.DetectionSample;
import dev.nativeext.data.image.DetectionTransform;
import dev.nativeext.data.image.ImageBatch;
import dev.nativeext.data.image.ImageFolder;
import dev.nativeext.data.image.Normalize;
import dev.nativeext.data.image.Resize;
import dev.nativeext.data.image.Target;
import dev.nativeext.ops.VisionOps;
import dev.nativeext.tensor.Tensor;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * {@code nativeext demo [--images <folder>] [--config <yaml>] [--weights <file>] [--out <folder>]
 * [--workers n] [--batch n]}: a folder of images through the DataLoader (decode, maskrcnn-benchmark's
 * test transform, BatchCollator with SIZE_DIVISIBILITY 32), a feature pyramid at strides 4..32,
 * sampled boxes pooled with the multi-level ROIAlign rule of maskrcnn-benchmark's pooler, a
 * progress bar, and an HTML report (images, pyramid levels as heat-maps, pooled crops, timing).
 *
 * <p>The R-50-FPN backbone is not wired in yet: the pyramid levels are the normalised input
 * average-pooled to each stride (a stand-in, labelled so in the report), and {@code --config} /
 * {@code --weights} are accepted but not used.
 */
final class DemoCommand {

    private static final int POOL = 14;
    private static final int BOXES = 4;

    /** What a worker hands over per image besides the pixels. */
    record Meta(int index, String name, int origW, int origH, int w, int h, float[] boxes, BufferedImage thumb,
                double decodeMs, double transformMs) {
    }

    record Loaded(DetectionSample sample, Meta meta) {
    }

    record Batch(ImageBatch images, List<Meta> metas, double collateMs) implements AutoCloseable {
        @Override
        public void close() {
            images.close();
        }
    }

    private DemoCommand() {
    }

    static int run(String[] args) throws Exception {
        Path home = Path.of(System.getProperty("nativeext.home", ".")).toAbsolutePath().normalize();
        Path images = null;
        Path config = null;
        Path weights = null;
        Path out = home.resolve("target/demo");
        int workers = 2;
        int batchSize = 2;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (i + 1 >= args.length) return usage("missing value after " + a);
            switch (a) {
                case "--images" -> images = Path.of(args[++i]);
                case "--config" -> config = Path.of(args[++i]);
                case "--weights" -> weights = Path.of(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--workers" -> workers = Integer.parseInt(args[++i]);
                case "--batch" -> batchSize = Integer.parseInt(args[++i]);
                default -> {
                    return usage("unknown option " + a);
                }
            }
        }
        if (images == null) images = DemoImages.ensure(out.resolve("images"));
        String backboneNote = "The R-50-FPN backbone is not wired into this build: the pyramid levels below are the normalised "
                + "input average-pooled to strides 4, 8, 16, 32 (a stand-in for P2..P5), and the boxes are pooled from them.";
        if (config != null || weights != null) {
            System.err.println("demo: --config / --weights given, but the R-50-FPN backbone is not wired into this build; they are not used");
        }
        ImageFolder folder = new ImageFolder(images);
        if (folder.size() == 0) {
            System.err.println("demo: no .jpg/.jpeg/.png files in " + images);
            return 1;
        }
        System.out.println("demo: " + folder.size() + " images from " + images + ", " + workers + " workers, batch " + batchSize);

        DetectionTransform transform = DetectionTransform.maskRcnnTest();
        Dataset<Loaded> dataset = Dataset.from(folder.size(), i -> load(folder, transform, i));
        BatchCollator collator = new BatchCollator(32);
        List<Meta> metas = new ArrayList<>();
        List<List<BufferedImage>> maps = new ArrayList<>();
        List<List<BufferedImage>> crops = new ArrayList<>();
        List<List<String>> cropCaptions = new ArrayList<>();
        double collateMs = 0;
        double waitMs = 0;
        double pyramidMs = 0;
        double poolMs = 0;
        long start = System.nanoTime();
        int done = 0;
        try (DataLoader<Loaded, Batch> loader = DataLoader.builder(dataset, (List<Loaded> s) -> collate(collator, s))
                .batchSize(batchSize).numWorkers(workers).build()) {
            DataLoader.EpochIterator<Batch> it = loader.iterator();
            while (it.hasNext()) {
                long t0 = System.nanoTime();
                try (Batch b = it.next()) {
                    long t1 = System.nanoTime();
                    waitMs += (t1 - t0) / 1e6;
                    collateMs += b.collateMs();
                    Pyramid p = Pyramid.of(b.images().images());
                    long t2 = System.nanoTime();
                    pyramidMs += (t2 - t1) / 1e6;
                    List<Tensor> pooled = pool(p, b.metas());
                    long t3 = System.nanoTime();
                    poolMs += (t3 - t2) / 1e6;
                    for (int i = 0; i < b.metas().size(); i++) {
                        Meta m = b.metas().get(i);
                        metas.add(m);
                        maps.add(p.heatMaps(i, m.h(), m.w()));
                        try (Tensor t = pooled.get(i)) {
                            crops.add(cropImages(t));
                        }
                        cropCaptions.add(captions(m.boxes()));
                    }
                    p.close();
                    done += b.metas().size();
                    progress(done, folder.size(), start);
                }
            }
        }
        System.err.println();
        double wall = (System.nanoTime() - start) / 1e6;
        double decode = metas.stream().mapToDouble(Meta::decodeMs).sum();
        double trans = metas.stream().mapToDouble(Meta::transformMs).sum();

        DemoReport r = new DemoReport("nativeext demo: " + folder.size() + " images",
                DemoReport.esc(images.toString()) + " through the DataLoader (" + workers + " workers, batch " + batchSize
                        + "), maskrcnn-benchmark's test transform (Resize 800/1333, TO_BGR255, PIXEL_MEAN), BatchCollator(32). "
                        + "<b>" + DemoReport.esc(backboneNote) + "</b>");
        r.heading("Timing");
        r.table(List.of("step", "total ms", "ms per image", "where"), List.of(
                List.of("decode (ImageIO)", DemoReport.ms(decode), DemoReport.ms(decode / done), "workers"),
                List.of("transform (resize + normalise)", DemoReport.ms(trans), DemoReport.ms(trans / done), "workers"),
                List.of("collate", DemoReport.ms(collateMs), DemoReport.ms(collateMs / done), "workers"),
                List.of("waiting for the loader", DemoReport.ms(waitMs), DemoReport.ms(waitMs / done), "main thread"),
                List.of("backbone (R-50)", "not run", "-", "not wired in"),
                List.of("FPN", "not run", "-", "not wired in"),
                List.of("input pyramid (stand-in)", DemoReport.ms(pyramidMs), DemoReport.ms(pyramidMs / done), "main thread"),
                List.of("pooler (multi-level ROIAlign " + POOL + "x" + POOL + ")", DemoReport.ms(poolMs), DemoReport.ms(poolMs / done), "main thread"),
                List.of("wall", DemoReport.ms(wall), DemoReport.ms(wall / done), String.format(Locale.ROOT, "%.2f images/s", done / wall * 1000))));
        r.heading("Images");
        for (int i = 0; i < metas.size(); i++) {
            Meta m = metas.get(i);
            r.beginSection(m.name() + ": " + m.origW() + "x" + m.origH() + " -> " + m.w() + "x" + m.h()
                    + String.format(Locale.ROOT, " (decode %.1f ms, transform %.1f ms)", m.decodeMs(), m.transformMs()));
            float s = (float) m.thumb().getWidth() / m.w();
            float[] tb = m.boxes().clone();
            for (int k = 0; k < tb.length; k++) tb[k] *= s;
            r.image(DemoReport.withBoxes(m.thumb(), tb), m.name());
            r.figures("maps", maps.get(i), List.of("stride 4 (P2 stand-in)", "stride 8 (P3)", "stride 16 (P4)", "stride 32 (P5)"));
            r.figures("crops", crops.get(i), cropCaptions.get(i));
            r.endSection();
        }
        Path report = out.resolve("report.html");
        r.write(report);
        System.out.printf(Locale.ROOT, "demo: %d images in %.0f ms (%.2f images/s); report: %s%n", done, wall, done / wall * 1000, report.toUri());
        System.out.println("demo: " + backboneNote);
        return 0;
    }

    private static int usage(String problem) {
        System.err.println("demo: " + problem);
        System.err.println("usage: nativeext demo [--images <folder>] [--config <yaml>] [--weights <file>] [--out <folder>] [--workers n] [--batch n]");
        return 2;
    }

    private static Loaded load(ImageFolder folder, DetectionTransform transform, int i) {
        long t0 = System.nanoTime();
        ByteImage img = folder.get(i);
        long t1 = System.nanoTime();
        DetectionSample s = transform.apply(img, Target.empty(img.width(), img.height()), i, 0);
        long t2 = System.nanoTime();
        int w = s.image().width();
        int h = s.image().height();
        int tw = Math.min(320, img.width());
        int th = Math.max(1, Math.round((float) img.height() * tw / img.width()));
        ByteImage small = Resize.resize(img, tw, th);
        BufferedImage thumb = new BufferedImage(tw, th, BufferedImage.TYPE_3BYTE_BGR);
        System.arraycopy(small.bgr(), 0, ((java.awt.image.DataBufferByte) thumb.getRaster().getDataBuffer()).getData(), 0, small.bgr().length);
        Meta m = new Meta(i, folder.file(i).getFileName().toString(), img.width(), img.height(), w, h, sampleBoxes(w, h, i), thumb,
                (t1 - t0) / 1e6, (t2 - t1) / 1e6);
        return new Loaded(s, m);
    }

    /** Seeded boxes of several sizes, so that the pooler's level rule sends them to different levels. */
    static float[] sampleBoxes(int w, int h, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] b = new float[4 * BOXES];
        int[] sides = {48, 120, 260, 520};
        for (int k = 0; k < BOXES; k++) {
            int side = Math.min(Math.min(w, h) - 2, sides[k] + r.nextInt(sides[k] / 4 + 1));
            int bw = Math.max(4, side + r.nextInt(side / 3 + 1) - side / 6);
            int bh = Math.max(4, side);
            bw = Math.min(bw, w - 2);
            bh = Math.min(bh, h - 2);
            int x = r.nextInt(Math.max(1, w - bw));
            int y = r.nextInt(Math.max(1, h - bh));
            b[4 * k] = x;
            b[4 * k + 1] = y;
            b[4 * k + 2] = x + bw - 1;
            b[4 * k + 3] = y + bh - 1;
        }
        return b;
    }

    private static Batch collate(BatchCollator collator, List<Loaded> samples) {
        long t0 = System.nanoTime();
        List<DetectionSample> s = new ArrayList<>(samples.size());
        List<Meta> m = new ArrayList<>(samples.size());
        for (Loaded l : samples) {
            s.add(l.sample());
            m.add(l.meta());
        }
        ImageBatch b = collator.apply(s);
        return new Batch(b, List.copyOf(m), (System.nanoTime() - t0) / 1e6);
    }

    /**
     * maskrcnn-benchmark's pooler on the pyramid: level {@code floor(4 + log2(sqrt(area) / 224 + 1e-6))}
     * clamped to [2, 5] with area {@code (x2 - x1 + 1)(y2 - y1 + 1)}, ROIAlign with scale
     * {@code 2^-level}, sampling ratio 2, unaligned (the legacy op); results in the boxes' order.
     */
    private static List<Tensor> pool(Pyramid p, List<Meta> metas) {
        List<Tensor> out = new ArrayList<>();
        for (int i = 0; i < metas.size(); i++) {
            float[] b = metas.get(i).boxes();
            int k = b.length / 4;
            float[] result = new float[k * 3 * POOL * POOL];
            for (int j = 0; j < k; j++) {
                int level = level(b[4 * j], b[4 * j + 1], b[4 * j + 2], b[4 * j + 3]);
                try (Tensor rois = Tensor.of(new float[]{i, b[4 * j], b[4 * j + 1], b[4 * j + 2], b[4 * j + 3]}, 1, 5);
                     Tensor pooled = VisionOps.roiAlign(p.level(level), rois, new int[]{POOL, POOL}, Math.pow(2, -level), 2, false)) {
                    System.arraycopy(pooled.toFloatArray(), 0, result, j * 3 * POOL * POOL, 3 * POOL * POOL);
                }
            }
            out.add(Tensor.of(result, k, 3, POOL, POOL));
        }
        return out;
    }

    static int level(float x1, float y1, float x2, float y2) {
        double s = Math.sqrt((x2 - x1 + 1) * (double) (y2 - y1 + 1));
        int lvl = (int) Math.floor(4 + Math.log(s / 224 + 1e-6) / Math.log(2));
        return Math.max(2, Math.min(5, lvl));
    }

    private static List<String> captions(float[] b) {
        List<String> c = new ArrayList<>();
        for (int j = 0; j < b.length / 4; j++) {
            c.add(String.format(Locale.ROOT, "box %d: %.0fx%.0f, level P%d", j, b[4 * j + 2] - b[4 * j] + 1, b[4 * j + 3] - b[4 * j + 1] + 1,
                    level(b[4 * j], b[4 * j + 1], b[4 * j + 2], b[4 * j + 3])));
        }
        return c;
    }

    /** Pooled {@code [K, 3, P, P]} (B, G, R minus PIXEL_MEAN) back to viewable RGB, enlarged 6x. */
    private static List<BufferedImage> cropImages(Tensor pooled) {
        float[] v = pooled.toFloatArray();
        int k = (int) pooled.shape(0);
        List<BufferedImage> out = new ArrayList<>();
        int s = 6;
        for (int j = 0; j < k; j++) {
            BufferedImage img = new BufferedImage(POOL * s, POOL * s, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < POOL * s; y++) {
                for (int x = 0; x < POOL * s; x++) {
                    int o = j * 3 * POOL * POOL + (y / s) * POOL + x / s;
                    int bl = clamp(v[o] + Normalize.PIXEL_MEAN[0]);
                    int gr = clamp(v[o + POOL * POOL] + Normalize.PIXEL_MEAN[1]);
                    int rd = clamp(v[o + 2 * POOL * POOL] + Normalize.PIXEL_MEAN[2]);
                    img.setRGB(x, y, (rd << 16) | (gr << 8) | bl);
                }
            }
            out.add(img);
        }
        return out;
    }

    private static int clamp(float v) {
        return Math.max(0, Math.min(255, Math.round(v)));
    }

    private static void progress(int done, int total, long start) {
        int width = 30;
        int fill = (int) ((long) done * width / total);
        double secs = (System.nanoTime() - start) / 1e9;
        System.err.printf(Locale.ROOT, "\r[%s%s] %d/%d images  %.2f images/s", "#".repeat(fill), ".".repeat(width - fill), done, total, done / secs);
    }

    /** The stand-in pyramid: the batch average-pooled to strides 4, 8, 16, 32 (levels 2..5). */
    static final class Pyramid {
        private final Tensor[] levels = new Tensor[6];
        private final long[][] shapes = new long[6][];

        static Pyramid of(Tensor batch) {
            Pyramid p = new Pyramid();
            float[] cur = batch.toFloatArray();
            long n = batch.shape(0);
            long c = batch.shape(1);
            int h = (int) batch.shape(2);
            int w = (int) batch.shape(3);
            for (int lvl = 1; lvl <= 5; lvl++) {
                int oh = h / 2;
                int ow = w / 2;
                float[] next = new float[(int) (n * c * oh * ow)];
                for (int pl = 0; pl < n * c; pl++) {
                    for (int y = 0; y < oh; y++) {
                        int r0 = (pl * h + 2 * y) * w;
                        int r1 = r0 + w;
                        int o = (pl * oh + y) * ow;
                        for (int x = 0; x < ow; x++) {
                            next[o + x] = 0.25f * (cur[r0 + 2 * x] + cur[r0 + 2 * x + 1] + cur[r1 + 2 * x] + cur[r1 + 2 * x + 1]);
                        }
                    }
                }
                cur = next;
                h = oh;
                w = ow;
                if (lvl >= 2) {
                    p.levels[lvl] = Tensor.of(cur, n, c, h, w);
                    p.shapes[lvl] = new long[]{n, c, h, w};
                }
            }
            return p;
        }

        Tensor level(int k) {
            return levels[k];
        }

        /** Per level, the channel-mean of image {@code i}, cropped to its real size at that stride. */
        List<BufferedImage> heatMaps(int i, int realH, int realW) {
            List<BufferedImage> out = new ArrayList<>();
            for (int lvl = 2; lvl <= 5; lvl++) {
                long[] s = shapes[lvl];
                int c = (int) s[1];
                int h = (int) s[2];
                int w = (int) s[3];
                int ch = Math.max(1, Math.min(h, (realH + (1 << lvl) - 1) >> lvl));
                int cw = Math.max(1, Math.min(w, (realW + (1 << lvl) - 1) >> lvl));
                float[] all = levels[lvl].toFloatArray();
                float[] m = new float[ch * cw];
                for (int k = 0; k < c; k++) {
                    for (int y = 0; y < ch; y++) {
                        for (int x = 0; x < cw; x++) m[y * cw + x] += all[((i * c + k) * h + y) * w + x] / c;
                    }
                }
                out.add(DemoReport.heatMap(m, ch, cw, Math.max(1, 160 / Math.max(ch, cw))));
            }
            return out;
        }

        void close() {
            for (Tensor t : levels) if (t != null) t.close();
        }
    }
}
