package dev.nativeext.cli;

import dev.nativeext.data.image.ImageDecoder;
import dev.nativeext.model.Backbone;
import dev.nativeext.model.ImageInput;
import dev.nativeext.model.Parameter;
import dev.nativeext.model.Weights;
import dev.nativeext.model.config.BackboneConfig;
import dev.nativeext.model.config.ConfigLoader;
import dev.nativeext.ops.CpuOptions;
import dev.nativeext.tensor.Tensor;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code nativeext resnet --config <yaml> [--weights <.pth|.safetensors>] [--image <file>]
 * [--size <min side>] [--threads <n>] [--out <png>] [--save <.safetensors>]}: builds the backbone
 * of a maskrcnn-benchmark config (seeded weights when none are given), runs it on the image (or
 * the bundled one) twice, prints the first forward's time (which prepares the weights), the
 * second's per stage, each output's shape and where the frozen stages end, and writes a PNG grid
 * of the strongest channels per output level.
 */
final class ResNetCommand {

    private ResNetCommand() {
    }

    static final String USAGE = "usage: nativeext resnet --config <yaml> [--weights <.pth|.safetensors>] [--image <file>] [--size <min side>]"
            + " [--max-size <n>] [--threads <n>] [--out <png>] [--save <.safetensors>] [--seed <n>]";

    static int run(String[] args) throws IOException {
        // every option checked, and the image read, before the backbone is built
        CliOptions o = CliOptions.parse(args, List.of("config", "weights", "image", "size", "max-size", "threads", "out", "save", "seed"), USAGE);
        Path config = o.inputFile("config");
        if (config == null) throw new CliOptions.UsageException("--config <yaml> is required", USAGE);
        Path weights = o.inputFile("weights");
        Path image = o.inputFile("image");
        Path png = o.outputFile("out", Path.of("resnet-features.png"));
        Path save = o.outputFile("save", null);
        Integer threads = o.intAtLeast("threads", 1);
        long seed = o.longValue("seed", 0);
        Integer size = o.intAtLeast("size", 1), maxSize = o.intAtLeast("max-size", 1);
        BufferedImage img = image != null ? ImageDecoder.readBuffered(image) : ImageInput.bundled();
        if (threads != null) CpuOptions.setThreads(threads);
        BackboneConfig cfg = ConfigLoader.load(config);
        System.out.println("config " + cfg.source() + ": " + cfg.convBody() + ", " + cfg.stemFunc() + " + " + cfg.transFunc()
                + ", groups " + cfg.numGroups() + "x" + cfg.widthPerGroup() + ", DCN " + java.util.Arrays.toString(cfg.stageWithDcn())
                + (cfg.withModulatedDcn() ? " (modulated)" : "") + ", FPN GN " + cfg.fpnUseGn());
        if (!cfg.unusedKeys().isEmpty()) {
            System.out.println("keys the backbone does not use (" + cfg.unusedKeys().size() + "): " + String.join(", ", cfg.unusedKeys()));
        }
        try (Backbone b = Backbone.build(cfg)) {
            long t0 = System.nanoTime();
            if (weights != null) {
                Weights.LoadReport r = Weights.load(weights, b);
                System.out.printf(Locale.ROOT, "weights %s: %d tensors in %.1f ms%s%n", weights, r.loaded(), r.nanos() / 1e6,
                        r.ignored().isEmpty() ? "" : " (" + r.ignored().size() + " keys that are not this backbone's ignored: "
                                + families(r.ignored()) + ")");
            } else {
                Weights.seed(seed, b);
                System.out.printf(Locale.ROOT, "weights: seeded (no --weights) in %.1f ms%n", (System.nanoTime() - t0) / 1e6);
            }
            long params = 0;
            for (Parameter p : b.parameters().values()) {
                long n = 1;
                for (long d : p.shape()) n *= d;
                params += n;
            }
            System.out.printf(Locale.ROOT, "%d tensors, %.2f M values%n", b.parameters().size(), params / 1e6);
            System.out.println(frozenLine(b));
            if (save != null) {
                Weights.save(save, b.parameters());
                System.out.println("saved " + save);
            }
            int min = size != null ? size : cfg.minSizeTest();
            int max = maxSize != null ? maxSize : cfg.maxSizeTest();
            // FPN's ×2 top-down needs sizes divisible by 32 (maskrcnn-benchmark's FPN configs set SIZE_DIVISIBILITY 32)
            int div = b.hasFpn() ? Math.max(32, cfg.sizeDivisibility()) : cfg.sizeDivisibility();
            ImageInput.Batch in = ImageInput.prepare(img, cfg, min, max, div);
            try (Tensor x = in.tensor()) {
                System.out.printf(Locale.ROOT, "image %s %dx%d -> resized %dx%d, input %s, %d thread(s)%n",
                        image != null ? image : "(bundled)", img.getWidth(), img.getHeight(), in.width(), in.height(),
                        java.util.Arrays.toString(x.shape()), CpuOptions.threads());
                // The first forward prepares each convolution's weights for this input size (and the
                // kernel's first touch of those buffers): timed apart, so that the stages' times are
                // the ones every later forward takes.
                long f0 = System.nanoTime();
                b.forward(x).forEach(Tensor::close);
                System.out.printf(Locale.ROOT, "first forward %.1f ms (it prepares each convolution's weights for this input size);"
                        + " the second, per stage:%n", (System.nanoTime() - f0) / 1e6);
                Map<String, Double> times = new LinkedHashMap<>();
                f0 = System.nanoTime();
                List<Tensor> outs = b.forward(x, (stage, ns) -> times.merge(stage, ns / 1e6, Double::sum));
                double total = (System.nanoTime() - f0) / 1e6;
                try {
                    times.forEach((k, v) -> System.out.printf(Locale.ROOT, "  %-7s %9.1f ms%n", k, v));
                    System.out.printf(Locale.ROOT, "  %-7s %9.1f ms%n", "total", total);
                    List<String> names = b.outputNames();
                    for (int i = 0; i < outs.size(); i++) {
                        System.out.println("  " + names.get(i) + " " + java.util.Arrays.toString(outs.get(i).shape()));
                    }
                    ImageIO.write(FeatureGrid.render(outs, names, 8, 96), "png", png.toFile());
                    System.out.println("wrote " + png.toAbsolutePath() + " (8 strongest channels per level)");
                } finally {
                    outs.forEach(Tensor::close);
                }
            }
        }
        return 0;
    }

    /**
     * Ignored checkpoint keys by family, the largest first: {@code layer4.* 50, *.num_batches_tracked
     * 53, fc.* 2} (a key's first name, or its last for batch norm's counters).
     */
    static String families(List<String> keys) {
        Map<String, Integer> n = new LinkedHashMap<>();
        for (String k : keys) {
            String f = k.endsWith(".num_batches_tracked") ? "*.num_batches_tracked" : k.contains(".") ? k.substring(0, k.indexOf('.')) + ".*" : k;
            n.merge(f, 1, Integer::sum);
        }
        List<Map.Entry<String, Integer>> e = new ArrayList<>(n.entrySet());
        e.sort((a, b) -> b.getValue() - a.getValue());
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < e.size() && i < 4; i++) sb.append(i > 0 ? ", " : "").append(e.get(i).getKey()).append(' ').append(e.get(i).getValue());
        if (e.size() > 4) sb.append(", ...");
        return sb.toString();
    }

    private static String frozenLine(Backbone b) {
        int at = b.body().freezeAt();
        if (at <= 0) return "frozen: nothing (FREEZE_CONV_BODY_AT " + at + ")";
        List<String> frozen = new ArrayList<>();
        frozen.add("stem");
        for (int i = 1; i < at && i <= b.body().stageNames().size(); i++) frozen.add(b.body().stageNames().get(i - 1));
        long n = b.parameters().values().stream().filter(p -> !p.isBuffer() && !p.requiresGrad()).count();
        return "frozen: " + String.join(", ", frozen) + " (FREEZE_CONV_BODY_AT " + at + "; " + n + " parameters without grad; trainable from "
                + (at - 1 < b.body().stageNames().size() ? b.body().stageNames().get(at - 1) : "nothing") + ")";
    }
}
