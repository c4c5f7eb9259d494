package dev.nativeext.model.io;

import dev.nativeext.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Maps a checkpoint's tensor names onto a model's, and reports every missing, unexpected and
 * wrongly shaped key at once.
 *
 * <p>The model's names are maskrcnn-benchmark's module paths under its backbone:
 * {@code body.stem.conv1.weight}, {@code body.layer1.0.bn1.running_var},
 * {@code body.layer2.0.conv2.offset.weight}, {@code fpn.fpn_inner2.weight},
 * {@code fpn.top_blocks.p6.weight}; the C4 box head's res5 is {@code head.layer4...}; a classifier
 * has {@code fc.weight}. Checkpoint names are brought to that form by, in order:
 * <ol>
 * <li>dropping a DataParallel {@code module.} prefix;</li>
 * <li>a detector's {@code backbone.} prefix dropped ({@code backbone.body.*}, {@code backbone.fpn.*}),
 *     and its {@code roi_heads.box.feature_extractor.head.} becoming {@code head.}; the detector's
 *     other parts ({@code rpn.*}, the heads' predictors) are <em>ignored</em>, not unexpected;</li>
 * <li>torchvision's and bare ResNet names ({@code conv1.weight}, {@code bn1.*}, {@code stem.*},
 *     {@code layer1.0.downsample.0.weight}) placed under {@code body.}, torchvision's
 *     {@code conv1}/{@code bn1} under {@code body.stem.};</li>
 * <li>batch norm's {@code num_batches_tracked} counters ignored, and a classifier's {@code fc.*}
 *     when the model has none (ImageNet weights into a detector backbone);</li>
 * <li>in a C4 model (a body without stage 4), torchvision's {@code layer4.*} is res5, the C4 box
 *     head's, as maskrcnn-benchmark loads ImageNet weights: {@code head.layer4.*} where the model
 *     has that head, else ignored.</li>
 * </ol>
 */
public final class WeightMapper {

    /** What a load found; {@link #matched} holds the tensors, renamed, owned by the caller. */
    public record Result(Map<String, Tensor> matched, List<String> missing, List<String> unexpected,
                         List<String> wrongShape, List<String> ignored) {

        public boolean complete() {
            return missing.isEmpty() && unexpected.isEmpty() && wrongShape.isEmpty();
        }

        /** Every problem in one message (nothing when complete). */
        public String problems() {
            StringBuilder sb = new StringBuilder();
            if (!missing.isEmpty()) sb.append("\n  missing (").append(missing.size()).append("): ").append(String.join(", ", missing));
            if (!unexpected.isEmpty()) sb.append("\n  unexpected (").append(unexpected.size()).append("): ").append(String.join(", ", unexpected));
            if (!wrongShape.isEmpty()) sb.append("\n  wrong shape (").append(wrongShape.size()).append("): ").append(String.join("; ", wrongShape));
            return sb.toString();
        }

        /** Throws a {@link CheckpointException} listing every problem, closing the matched tensors. */
        public Result orThrow(String source) {
            if (complete()) return this;
            matched.values().forEach(Tensor::close);
            throw new CheckpointException(source + " does not fit the model:" + problems());
        }
    }

    private WeightMapper() {
    }

    /** The model name of checkpoint name {@code key}, or null when the key is to be ignored. */
    public static String normalize(String key, boolean detector) {
        String k = key;
        while (k.startsWith("module.")) k = k.substring("module.".length());
        if (k.endsWith(".num_batches_tracked")) return null;
        if (detector) {
            if (k.startsWith("backbone.")) return k.substring("backbone.".length());
            String head = "roi_heads.box.feature_extractor.head.";
            if (k.startsWith(head)) return "head." + k.substring(head.length());
            return null;
        }
        if (k.startsWith("conv1.") || k.startsWith("bn1.")) return "body.stem." + k;
        if (k.startsWith("stem.") || k.matches("layer\\d+\\..*")) return "body." + k;
        return k;
    }

    /**
     * Takes the tensors of {@code ckpt} that {@code expected} (model name -> shape) names, renamed;
     * what is left in {@code ckpt} afterwards is what was not used.
     */
    public static Result map(StateDict ckpt, Map<String, long[]> expected) {
        boolean detector = false;
        for (String n : ckpt.names()) {
            String k = n;
            while (k.startsWith("module.")) k = k.substring("module.".length());
            if (k.startsWith("backbone.")) {
                detector = true;
                break;
            }
        }
        // A detector's C4 box head is part of the model only when the model has one.
        boolean wantsHead = expected.keySet().stream().anyMatch(k -> k.startsWith("head."));
        boolean c4 = expected.keySet().stream().noneMatch(k -> k.startsWith("body.layer4."));
        Map<String, String> byModelName = new LinkedHashMap<>();
        List<String> unexpected = new ArrayList<>(), ignored = new ArrayList<>(), wrongShape = new ArrayList<>();
        for (String n : ckpt.names()) {
            String m = normalize(n, detector);
            if (!detector && c4 && m != null && m.startsWith("body.layer4.")) m = "head." + m.substring("body.".length());
            // a classifier's fc loaded into a detector backbone: not part of it, ignored like a detector's heads
            boolean foreignFc = !detector && m != null && m.startsWith("fc.") && !expected.containsKey(m);
            if (m == null || (!wantsHead && m.startsWith("head.")) || foreignFc) {
                ignored.add(n);
            } else if (!expected.containsKey(m)) {
                unexpected.add(n);
            } else if (byModelName.putIfAbsent(m, n) != null) {
                unexpected.add(n + " (a second name for " + m + ")");
            }
        }
        Map<String, Tensor> matched = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            String src = byModelName.get(e.getKey());
            if (src == null) {
                missing.add(e.getKey());
                continue;
            }
            long[] got = ckpt.get(src).shape();
            if (!Arrays.equals(got, e.getValue())) {
                wrongShape.add(src + " is " + Arrays.toString(got) + ", the model's " + e.getKey() + " is " + Arrays.toString(e.getValue()));
                continue;
            }
            matched.put(e.getKey(), ckpt.take(src));
        }
        return new Result(matched, Collections.unmodifiableList(missing), Collections.unmodifiableList(unexpected),
                Collections.unmodifiableList(wrongShape), Collections.unmodifiableList(ignored));
    }
}
