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
import dev.nativeext.model.Backbone;
import dev.nativeext.model.Pooler;
import dev.nativeext.model.Weights;
import dev.nativeext.model.config.BackboneConfig;
import dev.nativeext.model.config.ConfigLoader;
import dev.nativeext.ops.VisionOps;
import dev.nativeext.tensor.Tensor;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * {@code nativeext demo [--images <folder>] [--config <yaml>] [--weights <file>] [--out <folder>]
 * [--workers n] [--batch n] [--size n] [--max-size n] [--seed n]}: a folder of images through the
 * DataLoader (decode, the config's test transform, BatchCollator with its SIZE_DIVISIBILITY),
 * maskrcnn-benchmark's backbone (R-50-FPN by default, seeded weights unless {@code --weights}),
 * sampled boxes pooled by its multi-level {@link Pooler}, a progress bar with images/s, and an
 * HTML report: per image the picture with its boxes, the FPN levels as heat-maps, the pooled
 * crops, and the timing split (decode / transform / collate / backbone / FPN / pooler).
 */
final class DemoCommand {

    private static final int CROP = 14;
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
        CliOptions o = CliOptions.parse(args, List.of("images", "config", "weights", "out", "workers", "batch", "size", "max-size", "seed"), USAGE);
        Path images = o.inputFolder("images");
        Path config = o.inputFile("config");
        Path weights = o.inputFile("weights");
        Path out = o.path("out", home.resolve("target/demo"));
        int workers = o.intAtLeast("workers", 0, 2);
        int batchSize = o.intAtLeast("batch", 1, 2);
        Integer size = o.intAtLeast("size", 1), maxSize = o.intAtLeast("max-size", 1);
        long seed = o.longValue("seed", 0);
        if (images == null) images = DemoImages.ensure(out.resolve("images"));
        BackboneConfig cfg = config != null ? ConfigLoader.load(config) : ConfigLoader.parse(bundledConfig(), "demo_R-50-FPN.yaml (bundled)");
        ImageFolder folder = new ImageFolder(images);
        if (folder.size() == 0) {
            System.err.println("demo: no .jpg/.jpeg/.png files in " + images);
            return 1;
        }
        System.out.println("demo: " + folder.size() + " images from " + images + ", " + workers + " workers, batch " + batchSize);

        int minSize = size != null ? size : cfg.minSizeTest();
        int maxSide = maxSize != null ? maxSize : cfg.maxSizeTest();
        double[] pm = cfg.pixelMean();
        double[] ps = cfg.pixelStd();
        Normalize normalize = new Normalize(new float[]{(float) pm[0], (float) pm[1], (float) pm[2]},
                new float[]{(float) ps[0], (float) ps[1], (float) ps[2]}, cfg.toBgr255());
        DetectionTransform transform = new DetectionTransform(new Resize(new int[]{minSize}, maxSide), 0, normalize, 0);
        Dataset<Loaded> dataset = Dataset.from(folder.size(), i -> load(folder, transform, i));
        Backbone backbone = Backbone.build(cfg);
        int div = backbone.hasFpn() ? Math.max(32, cfg.sizeDivisibility()) : cfg.sizeDivisibility();
        BatchCollator collator = new BatchCollator(div);
        String weightsNote;
        long w0 = System.nanoTime();
        if (weights != null) {
            Weights.LoadReport lr = Weights.load(weights, backbone);
            weightsNote = "weights " + weights + " (" + lr.loaded() + " tensors)";
        } else {
            Weights.seed(seed, backbone);
            weightsNote = "seeded weights (seed " + seed + "; no --weights), so the features show structure, not learned semantics";
        }
        System.out.printf(Locale.ROOT, "demo: %s %s, %s, %.0f ms%n", cfg.source(), cfg.convBody(), weightsNote, (System.nanoTime() - w0) / 1e6);
        double[] scales = cfg.poolerScales();
        Pooler pooler = new Pooler(cfg.poolerResolution(), scales, cfg.poolerSamplingRatio());
        List<String> levelNames = backbone.outputNames();
        List<Meta> metas = new ArrayList<>();
        List<List<BufferedImage>> maps = new ArrayList<>();
        List<List<BufferedImage>> crops = new ArrayList<>();
        List<List<String>> cropCaptions = new ArrayList<>();
        java.util.Map<String, Double> stageMs = new java.util.LinkedHashMap<>();
        double collateMs = 0;
        double waitMs = 0;
        double poolMs = 0;
        long start = System.nanoTime();
        int done = 0;
        try (backbone; DataLoader<Loaded, Batch> loader = DataLoader.builder(dataset, (List<Loaded> s) -> collate(collator, s))
                .batchSize(batchSize).numWorkers(workers).build()) {
            DataLoader.EpochIterator<Batch> it = loader.iterator();
            while (it.hasNext()) {
                long t0 = System.nanoTime();
                try (Batch b = it.next()) {
                    long t1 = System.nanoTime();
                    waitMs += (t1 - t0) / 1e6;
                    collateMs += b.collateMs();
                    List<Tensor> feats = backbone.forward(b.images().images(), (stage, ns) -> stageMs.merge(stage, ns / 1e6, Double::sum));
                    try {
                        long t2 = System.nanoTime();
                        List<float[]> pooled = pool(pooler, feats.subList(0, scales.length), b.images().images(), b.metas());
                        poolMs += (System.nanoTime() - t2) / 1e6;
                        for (int i = 0; i < b.metas().size(); i++) {
                            Meta m = b.metas().get(i);
                            metas.add(m);
                            maps.add(heatMaps(feats, (int) Math.round(1 / scales[0]), i, m.h(), m.w()));
                            crops.add(cropImages(pooled.get(2 * i), pooled.get(2 * i + 1), cfg.poolerResolution(), normalize));
                            cropCaptions.add(captions(pooler, m.boxes()));
                        }
                    } finally {
                        feats.forEach(Tensor::close);
                    }
                    done += b.metas().size();
                    progress(done, folder.size(), start);
                }
            }
        }
        System.err.println();
        double wall = (System.nanoTime() - start) / 1e6;
        double decode = metas.stream().mapToDouble(Meta::decodeMs).sum();
        double trans = metas.stream().mapToDouble(Meta::transformMs).sum();
        double fpnMs = stageMs.getOrDefault("fpn", 0.0);
        double bodyMs = stageMs.entrySet().stream().filter(e -> !e.getKey().equals("fpn")).mapToDouble(java.util.Map.Entry::getValue).sum();
        String stages = String.join(", ", stageMs.entrySet().stream().filter(e -> !e.getKey().equals("fpn"))
                .map(e -> e.getKey() + " " + DemoReport.ms(e.getValue())).toList());

        DemoReport r = new DemoReport("nativeext demo: " + folder.size() + " images, " + cfg.convBody(),
                DemoReport.esc(images.toString()) + " through the DataLoader (" + workers + " workers, batch " + batchSize
                        + "), the test transform (Resize " + minSize + "/" + maxSide + ", TO_BGR255 " + cfg.toBgr255()
                        + ", PIXEL_MEAN), BatchCollator(" + div + "), " + DemoReport.esc(cfg.convBody()) + " from "
                        + DemoReport.esc(cfg.source()) + " with " + DemoReport.esc(weightsNote) + ", and the multi-level pooler ("
                        + cfg.poolerResolution() + "x" + cfg.poolerResolution() + ", sampling ratio " + cfg.poolerSamplingRatio()
                        + ") on " + BOXES + " sampled boxes per image.");
        r.heading("Timing");
        r.table(List.of("step", "total ms", "ms per image", "where"), List.of(
                List.of("decode (ImageIO)", DemoReport.ms(decode), DemoReport.ms(decode / done), "workers"),
                List.of("transform (sizes, flip, targets)", DemoReport.ms(trans), DemoReport.ms(trans / done), "workers"),
                List.of("collate (resize + normalise straight into the batch tensor)", DemoReport.ms(collateMs), DemoReport.ms(collateMs / done), "workers"),
                List.of("waiting for the loader", DemoReport.ms(waitMs), DemoReport.ms(waitMs / done), "main thread"),
                List.of("backbone body (" + stages + ")", DemoReport.ms(bodyMs), DemoReport.ms(bodyMs / done), "main thread"),
                List.of("FPN", DemoReport.ms(fpnMs), DemoReport.ms(fpnMs / done), "main thread"),
                List.of("pooler (multi-level ROIAlign)", DemoReport.ms(poolMs), DemoReport.ms(poolMs / done), "main thread"),
                List.of("wall", DemoReport.ms(wall), DemoReport.ms(wall / done), String.format(Locale.ROOT, "%.2f images/s", done / wall * 1000))));
        r.heading("Images");
        for (int i = 0; i < metas.size(); i++) {
            Meta m = metas.get(i);
            r.beginSection(m.name() + ": " + m.origW() + "x" + m.origH() + " -> " + m.w() + "x" + m.h()
                    + String.format(Locale.ROOT, " (decode %.1f ms, transform %.1f ms)", m.decodeMs(), m.transformMs()));
            float sc = (float) m.thumb().getWidth() / m.w();
            float[] tb = m.boxes().clone();
            for (int k = 0; k < tb.length; k++) tb[k] *= sc;
            r.image(DemoReport.withBoxes(m.thumb(), tb), m.name());
            List<String> mapNames = new ArrayList<>();
            for (String n : levelNames) mapNames.add(n + " (mean |activation| over channels)");
            r.figures("maps", maps.get(i), mapNames.subList(0, maps.get(i).size()));
            r.figures("crops", crops.get(i), cropCaptions.get(i));
            r.endSection();
        }
        Path report = out.resolve("report.html");
        r.write(report);
        System.out.printf(Locale.ROOT, "demo: %d images in %.0f ms (%.2f images/s); report: %s%n", done, wall, done / wall * 1000, report.toUri());
        return 0;
    }

    static final String USAGE = "usage: nativeext demo [--images <folder>] [--config <yaml>] [--weights <.pth|.safetensors>] [--out <folder>]"
            + " [--workers n] [--batch n] [--size <min side>] [--max-size n] [--seed n]";

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
     * The boxes of the batch (image i's boxes with batch index i) through the pooler on the
     * features, and through ROIAlign at the same level's scale on the input image, so that the
     * report can show what each pooled feature looked at. Per image: {features [K, C, P, P] flat,
     * pixels [K, 3, P, P] flat}.
     */
    private static List<float[]> pool(Pooler pooler, List<Tensor> feats, Tensor images, List<Meta> metas) {
        int k = BOXES;
        float[] rois = new float[metas.size() * k * 5];
        for (int i = 0; i < metas.size(); i++) {
            float[] b = metas.get(i).boxes();
            for (int j = 0; j < k; j++) {
                int o = (i * k + j) * 5;
                rois[o] = i;
                System.arraycopy(b, 4 * j, rois, o + 1, 4);
            }
        }
        List<float[]> out = new ArrayList<>();
        try (Tensor r = Tensor.of(rois, (long) metas.size() * k, 5);
             Tensor pooled = pooler.forward(feats, r);
             Tensor pixels = VisionOps.roiAlign(images, r, new int[]{CROP, CROP}, 1.0, 2, false)) {
            float[] f = pooled.toFloatArray();
            float[] p = pixels.toFloatArray();
            int pf = f.length / metas.size();
            int pp = p.length / metas.size();
            for (int i = 0; i < metas.size(); i++) {
                out.add(java.util.Arrays.copyOfRange(f, i * pf, (i + 1) * pf));
                out.add(java.util.Arrays.copyOfRange(p, i * pp, (i + 1) * pp));
            }
        }
        return out;
    }

    private static List<String> captions(Pooler pooler, float[] b) {
        float[] rois = new float[b.length / 4 * 5];
        for (int j = 0; j < b.length / 4; j++) System.arraycopy(b, 4 * j, rois, 5 * j + 1, 4);
        int[] lv = pooler.levels(rois);
        List<String> c = new ArrayList<>();
        for (int j = 0; j < b.length / 4; j++) {
            String size = String.format(Locale.ROOT, "%.0fx%.0f", b[4 * j + 2] - b[4 * j] + 1, b[4 * j + 3] - b[4 * j + 1] + 1);
            c.add("box " + j + " " + size + ": pixels");
            c.add("box " + j + ": pooled level " + lv[j] + " (mean |feature|)");
        }
        return c;
    }

    /** Per box: the input pixels under it (de-normalised to RGB) and the pooled feature's channel mean, both enlarged. */
    private static List<BufferedImage> cropImages(float[] feats, float[] pixels, int res, Normalize norm) {
        List<BufferedImage> out = new ArrayList<>();
        int k = BOXES;
        int c = feats.length / (k * res * res);
        int s = 6;
        for (int j = 0; j < k; j++) {
            BufferedImage img = new BufferedImage(CROP * s, CROP * s, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < CROP * s; y++) {
                for (int x = 0; x < CROP * s; x++) {
                    int o = j * 3 * CROP * CROP + (y / s) * CROP + x / s;
                    float[] v = {pixels[o], pixels[o + CROP * CROP], pixels[o + 2 * CROP * CROP]};
                    int[] rgb = norm.toBgr255() ? new int[]{clamp(v[2] + Normalize.PIXEL_MEAN[2]), clamp(v[1] + Normalize.PIXEL_MEAN[1]),
                            clamp(v[0] + Normalize.PIXEL_MEAN[0])} : new int[]{clamp(v[0] * 255), clamp(v[1] * 255), clamp(v[2] * 255)};
                    img.setRGB(x, y, (rgb[0] << 16) | (rgb[1] << 8) | rgb[2]);
                }
            }
            out.add(img);
            float[] m = new float[res * res];
            for (int ch = 0; ch < c; ch++) {
                for (int i = 0; i < res * res; i++) m[i] += Math.abs(feats[(j * c + ch) * res * res + i]) / c;
            }
            out.add(DemoReport.heatMap(m, res, res, CROP * s / res));
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

    /**
     * Per output level, the channel-mean of |activation| of image {@code i}, cropped to its real
     * size at that level's stride ({@code stride0} for the first level, doubling with each halving).
     */
    private static List<BufferedImage> heatMaps(List<Tensor> feats, int stride0, int i, int realH, int realW) {
        List<BufferedImage> out = new ArrayList<>();
        for (Tensor t : feats) {
            int c = (int) t.shape(1);
            int h = (int) t.shape(2);
            int w = (int) t.shape(3);
            double stride = (double) stride0 * feats.get(0).shape(2) / h;
            int ch = Math.max(1, Math.min(h, (int) Math.ceil(realH / stride)));
            int cw = Math.max(1, Math.min(w, (int) Math.ceil(realW / stride)));
            float[] all = t.toFloatArray();
            float[] m = new float[ch * cw];
            for (int k = 0; k < c; k++) {
                int base = (i * c + k) * h * w;
                for (int y = 0; y < ch; y++) {
                    for (int x = 0; x < cw; x++) m[y * cw + x] += Math.abs(all[base + y * w + x]) / c;
                }
            }
            out.add(DemoReport.heatMap(m, ch, cw, Math.max(1, 200 / Math.max(ch, cw))));
        }
        return out;
    }

    private static String bundledConfig() throws IOException {
        try (InputStream in = DemoCommand.class.getResourceAsStream("demo_R-50-FPN.yaml")) {
            if (in == null) throw new IOException("the bundled demo config demo_R-50-FPN.yaml is missing from the jar");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
